// The fake apiserver's objects: namespaced pods, secrets, configmaps and cluster-scoped namespaces,
// with resourceVersions, uids and watch events, the way the apiserver's storage behaves for a
// single-member etcd (monotonic resourceVersion per write).
import { randomUUID } from 'node:crypto';

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
};

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface ResourceDefinition {
  readonly name: string;
  readonly singularName: string;
  readonly kind: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
}

export const RESOURCES: readonly ResourceDefinition[] = [
  { name: 'pods', singularName: 'pod', kind: 'Pod', listKind: 'PodList', namespaced: true, shortNames: ['po'] },
  { name: 'secrets', singularName: 'secret', kind: 'Secret', listKind: 'SecretList', namespaced: true, shortNames: [] },
  { name: 'configmaps', singularName: 'configmap', kind: 'ConfigMap', listKind: 'ConfigMapList', namespaced: true, shortNames: ['cm'] },
  { name: 'namespaces', singularName: 'namespace', kind: 'Namespace', listKind: 'NamespaceList', namespaced: false, shortNames: ['ns'] },
];

export class StoreError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

type Watcher = (event: WatchEvent) => void;

interface Key {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

export class FakeStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<{ resource: string; namespace: string; fn: Watcher }>();
  private revision = 100;

  constructor() {
    for (const name of ['default', 'kube-system']) {
      this.create('namespaces', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: {}, status: { phase: 'Active' } });
    }
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  list(resource: string, namespace: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const object of this.objects.values()) {
      if (kindResource(object) !== resource) continue;
      if (namespace !== '' && object.metadata.namespace !== namespace) continue;
      out.push(structuredClone(object));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`),
    );
  }

  get(resource: string, namespace: string, name: string): KubeObject {
    const object = this.objects.get(keyOf({ resource, namespace, name }));
    if (!object) throw notFound(resource, name);
    return structuredClone(object);
  }

  create(resource: string, namespace: string, input: KubeObject): KubeObject {
    const definition = RESOURCES.find((r) => r.name === resource);
    if (!definition) throw new StoreError(404, 'NotFound', `the server could not find the requested resource`);
    const name =
      input.metadata.name ||
      (typeof input.metadata['generateName'] === 'string' ? `${input.metadata['generateName']}${randomUUID().slice(0, 5)}` : '');
    if (!name)
      throw new StoreError(
        422,
        'Invalid',
        `${definition.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (definition.namespaced && namespace !== '' && !this.objects.has(keyOf({ resource: 'namespaces', namespace: '', name: namespace }))) {
      throw new StoreError(404, 'NotFound', `namespaces "${namespace}" not found`);
    }
    const key = keyOf({ resource, namespace: definition.namespaced ? namespace : '', name });
    if (this.objects.has(key)) throw new StoreError(409, 'AlreadyExists', `${resource} "${name}" already exists`);
    const object: KubeObject = structuredClone({ ...input, apiVersion: 'v1', kind: definition.kind });
    object.metadata = {
      ...object.metadata,
      name,
      ...(definition.namespaced ? { namespace } : {}),
      uid: randomUUID(),
      resourceVersion: this.nextRevision(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    if (definition.kind === 'Pod') defaultPodStatus(object);
    if (definition.kind === 'Secret') normalizeSecret(object);
    this.objects.set(key, object);
    this.emit('ADDED', object);
    return structuredClone(object);
  }

  replace(resource: string, namespace: string, name: string, input: KubeObject): KubeObject {
    const current = this.get(resource, namespace, name);
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new StoreError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const object: KubeObject = structuredClone({ ...input, apiVersion: current.apiVersion, kind: current.kind });
    object.metadata = {
      ...input.metadata,
      name,
      ...(current.metadata.namespace ? { namespace } : {}),
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: this.nextRevision(),
    };
    if (object.kind === 'Secret') normalizeSecret(object);
    this.objects.set(keyOf({ resource, namespace, name }), object);
    this.emit('MODIFIED', object);
    return structuredClone(object);
  }

  /** RFC 7386 JSON merge patch (strategic merge patches are applied as merge patches). */
  patch(resource: string, namespace: string, name: string, patch: unknown): KubeObject {
    const current = this.get(resource, namespace, name);
    const merged = mergePatch(current, patch) as KubeObject;
    merged.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.replace(resource, namespace, name, merged);
  }

  delete(resource: string, namespace: string, name: string): KubeObject {
    const key = keyOf({ resource, namespace, name });
    const object = this.objects.get(key);
    if (!object) throw notFound(resource, name);
    this.objects.delete(key);
    const deleted = structuredClone(object);
    deleted.metadata.resourceVersion = this.nextRevision();
    this.emit('DELETED', deleted);
    return structuredClone(deleted);
  }

  /** Subscribe to changes of a resource (in a namespace, or all when ''); returns the unsubscribe. */
  watch(resource: string, namespace: string, fn: Watcher): () => void {
    const entry = { resource, namespace, fn };
    this.watchers.add(entry);
    return () => this.watchers.delete(entry);
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    const resource = kindResource(object);
    for (const watcher of [...this.watchers]) {
      if (watcher.resource !== resource) continue;
      if (watcher.namespace !== '' && object.metadata.namespace !== watcher.namespace) continue;
      watcher.fn({ type, object: structuredClone(object) });
    }
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }
}

function keyOf(key: Key): string {
  return `${key.resource}\u0000${key.namespace}\u0000${key.name}`;
}

function kindResource(object: KubeObject): string {
  return RESOURCES.find((r) => r.kind === object.kind)?.name ?? '';
}

function notFound(resource: string, name: string): StoreError {
  return new StoreError(404, 'NotFound', `${resource} "${name}" not found`);
}

function defaultPodStatus(pod: KubeObject): void {
  const spec = (pod['spec'] ?? {}) as { containers?: { name: string; image?: string }[] };
  const containers = spec.containers ?? [];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  pod['status'] = {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
    podIP: '10.0.0.10',
    startTime: now,
    containerStatuses: containers.map((c) => ({
      name: c.name,
      ready: true,
      restartCount: 0,
      image: c.image ?? '',
      started: true,
      state: { running: { startedAt: now } },
    })),
  };
}

/** stringData is write-only: the apiserver folds it into data (base64) and never returns it. */
function normalizeSecret(secret: KubeObject): void {
  const data = { ...((secret['data'] ?? {}) as Record<string, string>) };
  for (const [key, value] of Object.entries((secret['stringData'] ?? {}) as Record<string, string>))
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  delete secret['stringData'];
  secret['data'] = data;
  secret['type'] ??= 'Opaque';
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const base = new Map(typeof target === 'object' && target !== null && !Array.isArray(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) base.delete(key);
    else base.set(key, mergePatch(base.get(key), value));
  }
  return Object.fromEntries(base);
}
