// Test kit shared by every package's integration tests. Never imported by production code.
export { ManagedProcess, freePort, waitFor, type LogLine } from './processes.js';
export { ADMIN_URL_ENV, LOCAL_POSTGRES_URL, canConnect, createTestDatabase, type TestDatabase } from './test-database.js';
export {
  FakeApiServer,
  FakeStore,
  testCertificate,
  type FakeApiServerOptions,
  type KubeObject,
  type RecordedRequest,
  type WatchEvent,
} from './fake-apiserver/index.js';
