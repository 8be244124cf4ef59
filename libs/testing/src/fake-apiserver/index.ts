export { FakeApiServer, type FakeApiServerOptions, type RecordedRequest } from './fake-apiserver.js';
export { FakeStore, type KubeObject, type WatchEvent } from './fake-store.js';
export { testCertificate } from './test-certificate.js';
