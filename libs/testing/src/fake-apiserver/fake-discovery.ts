// Discovery documents as the apiserver serves them to clients that do not ask for aggregated
// discovery (kubectl falls back to these when /api and /apis answer plain application/json).
import { RESOURCES, type KubeObject } from './fake-store.js';

const VERBS_NAMESPACED = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
}

export function coreResourceList(): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const r of RESOURCES) {
    resources.push({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.namespaced ? VERBS_NAMESPACED : VERBS_NAMESPACED.filter((v) => v !== 'deletecollection'),
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.name === 'pods' ? { categories: ['all'] } : {}),
      storageVersionHash: Buffer.from(r.name).toString('base64').slice(0, 11),
    });
    if (r.name === 'pods') {
      resources.push(
        { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
        { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      );
    }
  }
  return { kind: 'APIResourceList', groupVersion: 'v1', resources };
}

export function version(): Record<string, unknown> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-sluice-fake',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export const OPENAPI_V3_CORE_PATH = '/openapi/v3/api/v1';

/** The OpenAPI v3 index (/openapi/v3): one group-version document, core/v1. */
export function openApiV3Index(): Record<string, unknown> {
  return { paths: { 'api/v1': { serverRelativeURL: `${OPENAPI_V3_CORE_PATH}?hash=FAKE` } } };
}

/**
 * A minimal core/v1 OpenAPI v3 document: the PATCH operations with their GVK and the
 * `fieldValidation` query parameter, which is what kubectl's query-param verifier looks for
 * (cli-runtime resource/query_param_verifier_v3.go) before it leaves validation to the server.
 */
export function openApiV3CoreV1(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const fieldValidation = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  for (const r of RESOURCES) {
    const item = r.namespaced ? `/api/v1/namespaces/{namespace}/${r.name}/{name}` : `/api/v1/${r.name}/{name}`;
    const gvk = { group: '', kind: r.kind, version: 'v1' };
    paths[item] = {
      patch: { parameters: [fieldValidation], 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk, responses: {} },
      put: { parameters: [fieldValidation], 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk, responses: {} },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

// ── Tables (meta.k8s.io/v1 Table), what `kubectl get` asks for ─────────────────────────────────────

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description: string;
  readonly cell: (object: KubeObject) => unknown;
}

function age(object: KubeObject): string {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created)) return '<unknown>';
  const seconds = Math.max(0, Math.floor((Date.now() - created) / 1000));
  return seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.floor(seconds / 60)}m` : `${Math.floor(seconds / 3600)}h`;
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name,
};
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp', cell: age };

const COLUMNS: Record<string, readonly Column[]> = {
  Pod: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      cell: (o) => {
        const statuses = (o['status'] as { containerStatuses?: { ready: boolean }[] } | undefined)?.containerStatuses ?? [];
        return `${statuses.filter((s) => s.ready).length}/${statuses.length}`;
      },
    },
    {
      name: 'Status',
      type: 'string',
      description: 'The aggregate status of the containers in this pod.',
      cell: (o) => (o['status'] as { phase?: string } | undefined)?.phase ?? 'Unknown',
    },
    {
      name: 'Restarts',
      type: 'string',
      description: 'The number of times the containers in this pod have been restarted.',
      cell: () => '0',
    },
    AGE,
  ],
  Secret: [
    NAME,
    { name: 'Type', type: 'string', description: 'The type of the secret', cell: (o) => o['type'] ?? 'Opaque' },
    {
      name: 'Data',
      type: 'string',
      description: 'The number of entries in the secret',
      cell: (o) => String(Object.keys(o['data'] ?? {}).length),
    },
    AGE,
  ],
  ConfigMap: [
    NAME,
    { name: 'Data', type: 'string', description: 'Number of data entries', cell: (o) => String(Object.keys(o['data'] ?? {}).length) },
    AGE,
  ],
  Namespace: [
    NAME,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the namespace',
      cell: (o) => (o['status'] as { phase?: string } | undefined)?.phase ?? 'Active',
    },
    AGE,
  ],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function table(
  kind: string,
  objects: readonly KubeObject[],
  resourceVersion: string,
  include: IncludeObject,
): Record<string, unknown> {
  const columns = COLUMNS[kind] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description,
      priority: 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      ...(include === 'None'
        ? {}
        : { object: include === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
