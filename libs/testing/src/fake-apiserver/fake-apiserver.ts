// A Kubernetes apiserver, faithful enough for kubectl 1.32 and @kubernetes/client-node on the
// paths Sluice's contract tests use: legacy discovery, /version, OpenAPI v3 index, core/v1 pods,
// secrets, configmaps and namespaces (get, list as objects or Tables, watch, create, update, merge
// patch, delete), pods/log (with follow) and pods/exec + pods/attach over WebSocket (v5/v4 channel
// protocols). Errors are Status objects. Every request is recorded for assertions (e.g. which
// Authorization and Impersonate-* headers reached it). Listens on 127.0.0.1, over TLS when given a
// certificate (kubectl sends bearer tokens only over TLS; see testCertificate()).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  OPENAPI_V3_CORE_PATH,
  apiGroupList,
  apiVersions,
  coreResourceList,
  openApiV3CoreV1,
  openApiV3Index,
  table,
  version,
  type IncludeObject,
} from './fake-discovery.js';
import { EXEC_PROTOCOLS, runExec } from './fake-exec.js';
import { iterationsSince, logScript, loopLines } from './fake-logs.js';
import { FakeStore, RESOURCES, StoreError, type KubeObject, type WatchEvent } from './fake-store.js';

export interface FakeApiServerOptions {
  /** The bearer token clients must present; a random one when unset. */
  readonly token?: string;
  /** Serve HTTPS with this certificate; plain HTTP when unset. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export class FakeApiServer {
  readonly store = new FakeStore();
  readonly requests: RecordedRequest[] = [];
  readonly resizes: { width: number; height: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ws = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  private constructor(
    private readonly server: Server,
    readonly token: string,
    private readonly scheme: 'http' | 'https' = 'http',
  ) {}

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const token = options.token ?? `fake-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createServer();
    const fake = new FakeApiServer(server, token, options.tls ? 'https' : 'http');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => fake.onUpgrade(req, socket, head));
    server.on('connection', (socket: Socket) => {
      fake.sockets.add(socket);
      socket.once('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `${this.scheme}://127.0.0.1:${address.port}`;
  }

  /** Requests whose path starts with `prefix`, oldest first. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.startsWith(prefix));
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const client of this.ws.clients) client.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── plain requests ─────────────────────────────────────────────────────────────────────────────

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    if (!this.authorized(req)) {
      sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    this.route(req, res, url).catch((error: unknown) => {
      if (error instanceof StoreError) sendStatus(res, error.code, error.reason, error.message);
      else sendStatus(res, 500, 'InternalError', (error as Error).message);
    });
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      switch (path) {
        case '/api':
          return sendJson(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
        case '/apis':
          return sendJson(res, 200, apiGroupList());
        case '/api/v1':
          return sendJson(res, 200, coreResourceList());
        case '/version':
          return sendJson(res, 200, version());
        case '/openapi/v3':
          return sendJson(res, 200, openApiV3Index());
        case OPENAPI_V3_CORE_PATH:
          return sendJson(res, 200, openApiV3CoreV1());
        case '/healthz':
        case '/livez':
        case '/readyz':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
      }
    }
    const target = parseResourcePath(path);
    if (!target) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    const { resource, namespace, name, subresource } = target;
    const definition = RESOURCES.find((r) => r.name === resource);
    if (!definition) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');

    if (subresource === 'log' && method === 'GET') return this.serveLog(res, namespace, name, url);
    if (subresource === 'exec' || subresource === 'attach') return sendStatus(res, 400, 'BadRequest', 'Upgrade request required');
    if (subresource !== '') return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');

    switch (method) {
      case 'GET':
      case 'HEAD': {
        if (name !== '') {
          const object = this.store.get(resource, namespace, name);
          return sendJson(
            res,
            200,
            wantsTable(req) ? table(object.kind, [object], this.store.resourceVersion, includeObject(url)) : object,
          );
        }
        if (target.watch || isTrue(url.searchParams.get('watch'))) return this.serveWatch(req, res, resource, namespace, url);
        const items = filterBySelectors(this.store.list(resource, namespace), url);
        if (wantsTable(req)) return sendJson(res, 200, table(definition.kind, items, this.store.resourceVersion, includeObject(url)));
        return sendJson(res, 200, {
          kind: definition.listKind,
          apiVersion: 'v1',
          metadata: { resourceVersion: this.store.resourceVersion },
          items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
        });
      }
      case 'POST': {
        const body = (await readJson(req)) as KubeObject;
        if (typeof body.metadata !== 'object') body.metadata = { name: '' };
        return sendJson(
          res,
          201,
          this.store.create(resource, definition.namespaced ? namespace || (body.metadata.namespace ?? 'default') : '', body),
        );
      }
      case 'PUT':
        return sendJson(res, 200, this.store.replace(resource, namespace, name, (await readJson(req)) as KubeObject));
      case 'PATCH': {
        const type = req.headers['content-type'] ?? '';
        if (type.startsWith('application/json-patch+json'))
          return sendStatus(res, 415, 'UnsupportedMediaType', 'the fake apiserver applies merge patches only');
        return sendJson(res, 200, this.store.patch(resource, namespace, name, await readJson(req)));
      }
      case 'DELETE': {
        if (name === '') {
          const deleted = this.store.list(resource, namespace).map((o) => this.store.delete(resource, namespace, o.metadata.name));
          return sendJson(res, 200, { kind: definition.listKind, apiVersion: 'v1', metadata: {}, items: deleted });
        }
        return sendJson(res, 200, this.store.delete(resource, namespace, name));
      }
      default:
        return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  private serveWatch(req: IncomingMessage, res: ServerResponse, resource: string, namespace: string, url: URL): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
    const send = (event: WatchEvent): void => {
      if (filterBySelectors([event.object], url).length === 0) return;
      res.write(`${JSON.stringify(event)}\n`);
    };
    const from = url.searchParams.get('resourceVersion');
    if (!from || from === '0') for (const object of this.store.list(resource, namespace)) send({ type: 'ADDED', object });
    const unsubscribe = this.store.watch(resource, namespace, send);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    const timer = setTimeout(() => res.end(), Math.min(timeout, 3600) * 1000);
    const stop = (): void => {
      unsubscribe();
      clearTimeout(timer);
    };
    req.once('close', stop);
    res.once('close', stop);
  }

  private serveLog(res: ServerResponse, namespace: string, name: string, url: URL): void {
    const pod = this.store.get('pods', namespace, name);
    const container = url.searchParams.get('container') ?? undefined;
    const containers = ((pod['spec'] as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
    if (container !== undefined && !containers.includes(container)) {
      return sendStatus(res, 400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    }
    const script = logScript(pod, container);
    const startedAt = Date.parse(pod.metadata.creationTimestamp ?? new Date().toISOString());
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    let done = iterationsSince(script, startedAt);
    const past = [...script.initial, ...Array.from({ length: done }, (_, i) => loopLines(script, i)).flat()];
    const tail = url.searchParams.get('tailLines');
    res.write(
      past
        .slice(tail === null ? 0 : Math.max(0, past.length - Number(tail)))
        .map((l) => `${l}\n`)
        .join(''),
    );
    if (!isTrue(url.searchParams.get('follow')) || !script.loop) {
      res.end();
      return;
    }
    const timer = setInterval(
      () => {
        const now = iterationsSince(script, startedAt);
        for (; done < now; done++)
          res.write(
            loopLines(script, done)
              .map((l) => `${l}\n`)
              .join(''),
          );
      },
      Math.min(script.loop.intervalMs, 250),
    );
    this.timers.add(timer);
    const unsubscribe = this.store.watch('pods', namespace, (event) => {
      if (event.type === 'DELETED' && event.object.metadata.name === name) res.end();
    });
    res.once('close', () => {
      clearInterval(timer);
      this.timers.delete(timer);
      unsubscribe();
    });
  }

  // ── exec / attach ───────────────────────────────────────────────────────────────────────────────

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    socket.on('error', () => undefined);
    const refuse = (code: number, reason: string, message: string): void => {
      const body = JSON.stringify(statusBody(code, reason, message));
      socket.end(
        `HTTP/1.1 ${code} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (!this.authorized(req)) return refuse(401, 'Unauthorized', 'Unauthorized');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
      return refuse(400, 'BadRequest', 'the fake apiserver speaks WebSockets only');
    const url = new URL(req.url ?? '/', 'http://fake');
    const target = parseResourcePath(url.pathname);
    if (!target || target.resource !== 'pods' || (target.subresource !== 'exec' && target.subresource !== 'attach')) {
      return refuse(400, 'BadRequest', 'only pods/exec and pods/attach can be upgraded');
    }
    let pod: KubeObject;
    try {
      pod = this.store.get('pods', target.namespace, target.name);
    } catch (error) {
      const e = error as StoreError;
      return refuse(e.code, e.reason, e.message);
    }
    const containers = ((pod['spec'] as { containers?: { name: string }[] } | undefined)?.containers ?? []).map((c) => c.name);
    const container = url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined || !containers.includes(container))
      return refuse(400, 'BadRequest', `a container name must be specified for pod ${target.name}`);
    const command = target.subresource === 'attach' ? ['sh'] : url.searchParams.getAll('command');
    if (command.length === 0) return refuse(400, 'BadRequest', 'you must specify at least 1 command');
    this.ws.handleUpgrade(req, socket, head, (ws) => {
      runExec(
        ws,
        {
          pod: target.name,
          namespace: target.namespace,
          container,
          command,
          stdin: isTrue(url.searchParams.get('stdin')),
          tty: isTrue(url.searchParams.get('tty')),
        },
        { onResize: (width, height) => this.resizes.push({ width, height }) },
      );
    });
  }
}

interface ResourcePath {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  readonly watch: boolean;
}

function parseResourcePath(path: string): ResourcePath | undefined {
  let parts = path.split('/').filter((p) => p !== '');
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
  parts = parts.slice(2);
  let watch = false;
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 2) {
    namespace = parts[1] ?? '';
    parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  if (resource === '' || parts.length > 3) return undefined;
  return { resource, namespace, name, subresource, watch };
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function includeObject(url: URL): IncludeObject {
  const value = url.searchParams.get('includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

/** `fieldSelector` on metadata.name / metadata.namespace and equality `labelSelector`s. */
function filterBySelectors(objects: KubeObject[], url: URL): KubeObject[] {
  const fields = (url.searchParams.get('fieldSelector') ?? '').split(',').filter((t) => t !== '');
  const labels = (url.searchParams.get('labelSelector') ?? '').split(',').filter((t) => t !== '');
  return objects.filter((o) => {
    for (const term of fields) {
      const [key = '', value = ''] = term.split(/!?==?/);
      const equal = !term.includes('!=');
      const actual = key === 'metadata.name' ? o.metadata.name : key === 'metadata.namespace' ? (o.metadata.namespace ?? '') : undefined;
      if (actual === undefined || (actual === value) !== equal) return false;
    }
    for (const term of labels) {
      const [key = '', value] = term.split(/!?==?/);
      const actual = o.metadata.labels?.[key];
      if (value === undefined ? actual === undefined : (actual === value) !== !term.includes('!=')) return false;
    }
    return true;
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? 'application/json';
  if (!type.includes('json'))
    throw new StoreError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new StoreError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new StoreError(400, 'BadRequest', 'the body of the request is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, code, statusBody(code, reason, message));
}
