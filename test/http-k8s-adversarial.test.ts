// Adversarial tests of the HTTP and Kubernetes data paths: an attacker holding a valid token for a
// read-only principal whose responses are masked tries to get around policy (method and path
// tricks, smuggling, header games) and around masking (content types, encodings, representations,
// validators). The real control plane and agent; an upstream written here that behaves like common
// frameworks do (method override, X-Original-URL, WHATWG path normalisation, JSONP, ETags); the
// fake apiserver of libs/testing.
//
// Tests whose title starts with "BYPASS" assert the secure behaviour and fail while the bypass is
// open; the others are regression tests of attacks the agent already stops.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  FakeApiServer,
  createTestDatabase,
  freePort,
  testCertificate,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '@sluice/testing';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const run = promisify(execFile);

const POLICY = `
rules:
  - id: open
    match: { commands: [session.open, k8s.discovery] }
    effect: allow
  # HTTP, ai-agents: read-only (GET/HEAD anywhere on the connection) with a deny-list and masking.
  - id: agents-read
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, commands: [http.GET, http.HEAD] }
    effect: allow
  - id: agents-no-admin
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, commands: ['http.*'], paths: ['/admin/**'] }
    effect: { deny: { message: the admin API is not for agents } }
  - id: agents-no-internal-notes
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, commands: ['http.*'] }
    when: "'include' in command.http.query && command.http.query['include'].contains('internal_notes')"
    effect: { deny: { message: internal notes are not for agents } }
  - id: agents-no-private
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, commands: ['http.*'] }
    when: "'include_private' in command.http.query && command.http.query['include_private'] == 'true'"
    effect: { deny: { message: private records are not for agents } }
  - id: agents-mask-pii
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, paths: ['/pii/**'] }
    effect:
      mask:
        columns:
          - { pattern: email, strategy: redact }
          - { pattern: home_address, strategy: redact }
          - { pattern: pin, strategy: redact }
        detectors:
          - { detector: email, strategy: redact }
  - id: agents-mask-fields
    description: field patterns only, no detectors
    match: { principal: { groups: [ai-agents] }, connection: { names: [internal-api] }, paths: ['/fields/**'] }
    effect:
      mask:
        columns:
          - { pattern: home_address, strategy: redact }
          - { pattern: pin, strategy: redact }
  # HTTP, db-approvers: GET anywhere on the connection, nothing else.
  - id: readers-get
    match: { principal: { groups: [db-approvers] }, connection: { names: [internal-api] }, commands: [http.GET] }
    effect: allow
  # Kubernetes, db-approvers: read-only operators, Secrets masked (no reveal), kube-system ConfigMaps off limits.
  - id: operators-read
    match: { principal: { groups: [db-approvers] }, connection: { names: [dev-cluster] }, commands: ['k8s.*.get', 'k8s.*.list', 'k8s.*.watch'] }
    effect: allow
  - id: operators-no-kube-system-config
    match: { principal: { groups: [db-approvers] }, connection: { names: [dev-cluster] }, namespaces: [kube-system], commands: ['k8s.configmaps.*'] }
    effect: { deny: { message: kube-system configuration is off limits } }
`;

// ── the HTTP upstream ─────────────────────────────────────────────────────────────────────────────

const ADDRESS = '12 Elm Street, Springfield';
const PIN = '4821';
const PEOPLE = [
  { id: 1, name: 'Alice', email: 'alice@example.com', home_address: ADDRESS, pin: PIN },
  { id: 2, name: 'Bob', email: 'bob@example.org', home_address: '7 Oak Road', pin: '9034' },
];
const ADMIN_SECRET = 'ADMIN-ONLY-7f3a';
const INTERNAL_KEY = 'INTERNAL-KEY-91c2';
const INTERNAL_NOTE = 'INTERNAL-NOTE-55aa';
const PRIVATE_NOTE = 'PRIVATE-NOTE-3b1e';

/** Express's default ETag: weak, length and SHA-1 of the body. */
function expressEtag(body: string): string {
  const hash = createHash('sha1').update(body, 'utf8').digest('base64').slice(0, 27);
  return `W/"${Buffer.byteLength(body).toString(16)}-${hash}"`;
}

interface Seen {
  method: string;
  effectiveMethod: string;
  url: string;
  effectivePath: string;
  headers: IncomingHttpHeaders;
}

/**
 * An internal API behaving like common frameworks: method override headers and `_method` (e.g.
 * method-override, ASP.NET, Laravel), X-Original-URL / X-Rewrite-URL (IIS, Symfony, Zend), WHATWG
 * URL parsing (`%2e%2e` is a dot segment: fetch-style servers), a `.json` format suffix (Rails,
 * Spring suffix patterns), JSONP with `?callback=` (Express res.jsonp: text/javascript), CSV by
 * content negotiation, ETags with If-None-Match (Express), Range.
 */
async function startUpstream(seen: Seen[], deletions: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const override = req.headers['x-http-method-override'] ?? req.headers['x-http-method'] ?? req.headers['x-method-override'];
      const method = String(override ?? url.searchParams.get('_method') ?? req.method ?? 'GET').toUpperCase();
      const rewritten = req.headers['x-original-url'] ?? req.headers['x-rewrite-url'];
      let path = typeof rewritten === 'string' ? new URL(rewritten, 'http://upstream').pathname : url.pathname;
      path = path.replace(/\.json$/, '');
      seen.push({ method: req.method ?? '', effectiveMethod: method, url: req.url ?? '', effectivePath: path, headers: req.headers });

      const send = (
        status: number,
        type: string | undefined,
        body: string | Buffer,
        extra: Record<string, string | string[]> = {},
      ): void => {
        res.writeHead(status, { ...(type ? { 'content-type': type } : {}), 'content-length': Buffer.byteLength(body), ...extra });
        res.end(body);
      };
      const json = (body: unknown, type = 'application/json; charset=utf-8'): void => {
        const text = JSON.stringify(body);
        const etag = expressEtag(text);
        const match = req.headers['if-none-match'];
        if (match === '*' || match === etag) {
          res.writeHead(304, { etag });
          res.end();
          return;
        }
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (range) {
          const slice = Buffer.from(text).subarray(Number(range[1]), Number(range[2]) + 1);
          send(206, type, slice, { etag, 'content-range': `bytes ${range[1]}-${range[2]}/${Buffer.byteLength(text)}` });
          return;
        }
        send(200, type, text, { etag });
      };

      const item = /^\/api\/items\/([^/]+)$/.exec(path);
      if (item && method === 'DELETE') {
        deletions.push(item[1] ?? '');
        return json({ deleted: item[1] });
      }
      if (path === '/api/admin' || path.startsWith('/api/admin/')) return json({ admin: true, secret: ADMIN_SECRET });
      if (path === '/internal/keys') return json({ key: INTERNAL_KEY });
      if (path === '/api/pii/account') return json({ id: 7, pin: PIN });
      if (path === '/api/pii/echo') return json({ headers: req.headers });
      if (path === '/api/pii/people' || path === '/api/fields/people') {
        const include = (url.searchParams.get('include') ?? '').split(',');
        const people = PEOPLE.map((p) => ({
          ...p,
          ...(include.includes('internal_notes') ? { internal_notes: INTERNAL_NOTE } : {}),
          ...(url.searchParams.get('include_private') === 'true' ? { private_note: PRIVATE_NOTE } : {}),
        }));
        const callback = url.searchParams.get('callback');
        if (callback) {
          const body = `/**/ typeof ${callback} === 'function' && ${callback}(${JSON.stringify(people)});`;
          return send(200, 'text/javascript; charset=utf-8', body);
        }
        if (/text\/csv/.test(req.headers.accept ?? '')) {
          const lines = [
            'id,name,email,home_address,pin',
            ...people.map((p) => `${p.id},${p.name},${p.email},"${p.home_address}",${p.pin}`),
          ];
          return send(200, 'text/csv; charset=utf-8', `${lines.join('\n')}\n`);
        }
        if (url.searchParams.get('format') === 'text-json') return send(200, 'text/json', JSON.stringify(people));
        return json(people);
      }
      const variant = /^\/api\/pii\/variants\/([a-z0-9-]+)$/.exec(path)?.[1];
      const secretJson = JSON.stringify({ email: 'alice@example.com', home_address: ADDRESS, pin: PIN });
      switch (variant) {
        case 'problem':
          return send(
            400,
            'application/problem+json',
            JSON.stringify({ type: 'about:blank', detail: 'x', home_address: ADDRESS, pin: PIN }),
          );
        case 'escaped-keys':
          return send(
            200,
            'application/json',
            `{"em\\u0061il":"alice@example.com","home\\u005faddress":"${ADDRESS}","\\u0070in":"${PIN}"}`,
          );
        case 'duplicate-keys':
          return send(200, 'application/json', `{"pin":"0000","pin":"${PIN}","home_address":"x","home_address":"${ADDRESS}"}`);
        case 'numbers':
          return send(200, 'application/json', `{"pin":${PIN},"home_address":[1,{"a":"${ADDRESS}"}]}`);
        case 'uppercase-keys':
          return send(200, 'application/json', JSON.stringify({ PIN, Home_Address: ADDRESS }));
        case 'ndjson':
          return send(200, 'application/x-ndjson', `${secretJson}\n${secretJson}\n`);
        case 'bom':
          return send(200, 'application/json', `\ufeff${secretJson}`);
        case 'utf16':
          return send(200, 'application/json; charset=utf-16le', Buffer.from(secretJson, 'utf16le'));
        case 'no-type':
          return send(200, undefined, secretJson);
        case 'octet':
          return send(200, 'application/octet-stream', secretJson);
        case 'identity-gzip':
          return send(200, 'application/json', gzipSync(secretJson), { 'content-encoding': 'identity, gzip' });
        case 'gzip-br':
          return send(200, 'application/json', brotliCompressSync(gzipSync(secretJson)), { 'content-encoding': 'gzip, br' });
        case 'two-headers':
          return send(200, 'application/json', gzipSync(gzipSync(secretJson)), { 'content-encoding': ['gzip', 'gzip'] });
        case 'unknown-encoding':
          return send(200, 'application/json', Buffer.from(secretJson), { 'content-encoding': 'zstd' });
        case 'deep': {
          const depth = 300;
          return send(200, 'application/json', `${'['.repeat(depth)}${secretJson}${']'.repeat(depth)}`);
        }
        case 'mid-token': {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`{"note":"ok","pin":"${PIN}","home_address":"${ADDRESS.slice(0, 10)}`);
          setTimeout(() => res.destroy(), 50);
          return;
        }
        case 'large-then-broken': {
          // More than the 64 KiB the agent holds back, then a syntax error.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`[${Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, padding: 'x'.repeat(20) })).join(',')},`);
          res.end(`{"pin":"${PIN}",,}]`);
          return;
        }
        default:
          break;
      }
      return json({ ok: true, path, method });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// ── clients ───────────────────────────────────────────────────────────────────────────────────────

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
}

/** One request with the path exactly as given (node:http does not normalise it). */
function call(origin: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const target = new URL(origin);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve, reject) => {
    const req = send(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        const done = (): void =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Raw bytes to the listener; whatever comes back before the connection closes (or 3 s pass). */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise<string>((resolve) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(text, 'latin1')));
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

async function file(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

// ── the suite ─────────────────────────────────────────────────────────────────────────────────────

describe('adversarial: HTTP and Kubernetes connections', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let agent: ManagedProcess;
  let upstream: Server;
  let fake: FakeApiServer;
  const seen: Seen[] = [];
  const deletions: string[] = [];
  let httpPort = 0;
  let base = '';
  let k8s = '';
  let agentCa = '';
  let agentToken = '';
  let readerToken = '';
  const upstreamSecret = `upstream-cred-${Math.random().toString(36).slice(2)}`;
  const SECRET_VALUE = 'hunter2-correct-horse';
  const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');
  const KUBE_SYSTEM_VALUE = 'kube-system-bootstrap-9d1f';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-adv-http-'));
    db = await createTestDatabase();
    const agentKey = (await run(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'])).stdout.trim();
    const policyFile = await file(dir, 'policy.yaml', POLICY);
    cp = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey, SLUICE_POLICY_FILE: policyFile });
    upstream = await startUpstream(seen, deletions);

    const upstreamTls = await testCertificate();
    fake = await FakeApiServer.start({ tls: upstreamTls });
    const kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'fake', server: fake.url, caData: Buffer.from(upstreamTls.cert).toString('base64') }],
      users: [{ name: 'fake', token: fake.token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    const core = kube.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: 'default',
      body: {
        metadata: {
          name: 'db',
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { password: SECRET_VALUE } }) },
        },
        data: { password: SECRET_B64 },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: 'kube-system',
      body: { metadata: { name: 'bootstrap' }, data: { token: KUBE_SYSTEM_VALUE } },
    });

    const listenerTls = await testCertificate();
    agentCa = listenerTls.cert;
    httpPort = await freePort();
    const k8sPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    k8s = `https://127.0.0.1:${k8sPort}`;
    agent = await startAgent({
      agentId: 'adversarial-agent',
      grpcPort: cp.grpcPort,
      agentKey,
      env: { UPSTREAM_TOKEN: upstreamSecret, SLUICE_AGENT_STATE_DIR: join(dir, 'agent-state'), SLUICE_AGENT_ADMIN_LISTEN: 'off' },
      yaml: `
connections:
  - name: internal-api
    protocol: http
    listen: "127.0.0.1:${httpPort}"
    allowPlaintextOnLoopback: true
    target: { url: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api" }
    credentials: { kind: bearer, token: { env: UPSTREAM_TOKEN } }
  - name: dev-cluster
    protocol: kubernetes
    listen: "127.0.0.1:${k8sPort}"
    tls: { certFile: "${await file(dir, 'listener.pem', listenerTls.cert)}", keyFile: "${await file(dir, 'listener-key.pem', listenerTls.key)}" }
    target: { url: "${fake.url}", caFile: "${await file(dir, 'upstream-ca.pem', upstreamTls.cert)}", tokenFile: "${await file(dir, 'sa-token', fake.token)}" }
    impersonate: { enabled: true }
`,
    });
    await agent.waitForLog((line) => line.msg === 'kubernetes connection listening', 30_000);
    agentToken = await devToken(cp, 'demo-agent');
    readerToken = await devToken(cp, 'demo-approver');
    await waitFor(async () => ((await get('/public/ping')).status === 200 ? true : undefined), 30_000, 'the agent to decide');
  });

  afterAll(async () => {
    await agent.stop();
    await cp.process.stop();
    upstream.close();
    await fake.close();
    await db.drop();
  });

  const auth = (token = agentToken): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> =>
    call(base, path, { method, headers: { ...auth(), ...headers } });
  const kget = (path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> =>
    call(k8s, path, { method, headers: { ...auth(readerToken), ...headers }, ca: agentCa, ...(body !== undefined ? { body } : {}) });
  const leaksPii = (text: string): boolean => text.includes(ADDRESS) || text.includes('alice@example.com') || text.includes(PIN);

  // ── policy: methods ───────────────────────────────────────────────────────────────────────────

  describe('methods', () => {
    it('closed bypass — method override: X-HTTP-Method-Override / X-HTTP-Method / X-Method-Override on an allowed GET never run a DELETE', async () => {
      for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
        const before = deletions.length;
        await get(`/items/${header}`, { [header]: 'DELETE' });
        expect(deletions.slice(before), `${header}: the upstream ran a DELETE the policy saw as http.GET`).toEqual([]);
      }
    });

    it('closed bypass — method override: ?_method=DELETE on an allowed GET never runs a DELETE', async () => {
      const before = deletions.length;
      await get('/items/query-override?_method=DELETE');
      expect(deletions.slice(before)).toEqual([]);
    });

    it('refuses methods the read-only principal lacks: DELETE, POST, PUT, PATCH, OPTIONS, TRACE, PROPFIND, PURGE', async () => {
      const before = seen.length;
      for (const method of ['DELETE', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'PROPFIND', 'PURGE']) {
        expect((await get('/items/1', {}, method)).status, method).toBe(403);
      }
      // TRACE echoes the request (the agent's credentials included): never forwarded, whatever policy says.
      expect((await get('/items/1', {}, 'TRACE')).status).toBe(405);
      expect(seen.length).toBe(before);
    });

    it('refuses lowercase methods, CONNECT and OPTIONS * before any policy or upstream', async () => {
      const before = seen.length;
      const lower = await rawExchange(httpPort, `get /items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\n\r\n`);
      expect(lower).toMatch(/^HTTP\/1\.1 400/);
      const star = await rawExchange(
        httpPort,
        `OPTIONS * HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nConnection: close\r\n\r\n`,
      );
      expect(star).toMatch(/^HTTP\/1\.1 (400|403)/);
      const tunnel = await rawExchange(
        httpPort,
        `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nAuthorization: Bearer ${agentToken}\r\n\r\n`,
      );
      expect(tunnel).not.toMatch(/^HTTP\/1\.1 200/);
      expect(seen.length).toBe(before);
    });

    it('HEAD is its own class, and a masked HEAD carries no body', async () => {
      const head = await get('/pii/people', {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
    });
  });

  // ── policy: request framing and targets ─────────────────────────────────────────────────────────

  describe('request smuggling and targets', () => {
    it('refuses Content-Length with Transfer-Encoding, duplicate Content-Length, obs-folded TE and TE other than chunked', async () => {
      const before = seen.length;
      const head = `Host: x\r\nAuthorization: Bearer ${agentToken}\r\n`;
      const attempts = [
        `POST /items/1 HTTP/1.1\r\n${head}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /items/smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /items/1 HTTP/1.1\r\n${head}Content-Length: 0\r\nContent-Length: 44\r\n\r\nDELETE /items/smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /items/1 HTTP/1.1\r\n${head}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
        `GET /items/1 HTTP/1.1\r\n${head}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
      ];
      for (const attempt of attempts) expect(await rawExchange(httpPort, attempt)).toMatch(/^HTTP\/1\.1 400/);
      expect(seen.length).toBe(before);
      expect(deletions).not.toContain('smuggled');
    });

    it('a GET body with Content-Length never becomes a second request upstream', async () => {
      const smuggled = 'DELETE /api/items/smuggled-body HTTP/1.1\r\nHost: x\r\n\r\n';
      const reply = await rawExchange(
        httpPort,
        `GET /items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nContent-Length: ${smuggled.length}\r\nConnection: close\r\n\r\n${smuggled}`,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 200/);
      expect(deletions).not.toContain('smuggled-body');
    });

    it('refuses absolute-form targets and overrides Host towards the upstream', async () => {
      const absolute = await rawExchange(
        httpPort,
        `GET http://127.0.0.1:${(upstream.address() as AddressInfo).port}/internal/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nConnection: close\r\n\r\n`,
      );
      expect(absolute).toMatch(/^HTTP\/1\.1 400/);
      const hosted = await get('/public/host', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
      expect(hosted.status).toBe(200);
      const last = seen.findLast((s) => s.url === '/api/public/host');
      expect(last?.headers.host).toBe(`127.0.0.1:${(upstream.address() as AddressInfo).port}`);
      expect(last?.headers['x-forwarded-host']).toBeUndefined();
    });

    it('answers WebSocket/h2c upgrades on an HTTP connection with 501, without reaching the upstream', async () => {
      const before = seen.length;
      const reply = await rawExchange(
        httpPort,
        `GET /pii/people HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 501/);
      const h2c = await rawExchange(
        httpPort,
        `GET /pii/people HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
      );
      expect(h2c).toMatch(/^HTTP\/1\.1 501/);
      expect(seen.length).toBe(before);
    });

    it('Expect: 100-continue and HTTP/1.0 keep-alive are served, Expect is not forwarded', async () => {
      const reply = await rawExchange(
        httpPort,
        `GET /public/expect HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\nGET /public/expect2 HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\n\r\n`,
      );
      expect(reply).toMatch(/HTTP\/1\.[01] 200/);
      expect(seen.findLast((s) => s.url === '/api/public/expect')?.headers.expect).toBeUndefined();
    });
  });

  // ── policy: paths ───────────────────────────────────────────────────────────────────────────────

  describe('paths', () => {
    it('refuses /admin however it is spelled (case, %-encoding, %2F, ;params, dot segments, double encoding, //, backslash)', async () => {
      const before = seen.length;
      const sneaky = [
        '/admin/users',
        '/ADMIN/users',
        '/Admin',
        '/adm%69n/users',
        '/%61%64%6d%69%6e',
        '/admin%2Fusers',
        '/admin;jsessionid=1/users',
        '/admin/',
        '/public/../admin/users',
        '/public/%2e%2e/admin/users',
        '/public/%2E%2E/admin',
        '/public/.%2e/admin',
        '/public/%252e%252e/admin',
        '//admin/users',
        '/public//../admin',
        '/public\\..\\admin',
        '/admin/%00',
        '/./admin',
      ];
      for (const path of sneaky) {
        const reply = await get(path);
        expect([400, 403], path).toContain(reply.status);
        expect(reply.body, path).not.toContain(ADMIN_SECRET);
      }
      expect(seen.slice(before).filter((s) => s.effectivePath.startsWith('/api/admin'))).toEqual([]);
    });

    it('refuses fullwidth and other raw non-ASCII paths at the parser', async () => {
      const reply = await rawExchange(httpPort, `GET /\xef\xbd\x81dmin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentToken}\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 400/);
    });

    it('closed bypass — X-Original-URL / X-Rewrite-URL: an allowed path cannot make the upstream route to /admin', async () => {
      for (const header of ['x-original-url', 'x-rewrite-url']) {
        const reply = await get('/public/anything', { [header]: '/api/admin/users' });
        expect(reply.body, header).not.toContain(ADMIN_SECRET);
      }
    });

    it('closed bypass — format suffix: /admin.json (Rails/Spring suffix matching) is refused like /admin', async () => {
      const reply = await get('/admin.json');
      expect(reply.body).not.toContain(ADMIN_SECRET);
      expect(reply.status).toBe(403);
    });

    it("closed bypass — base path escape: %2e%2e leaves target.url's /api prefix for a principal allowed GET on the connection", async () => {
      const reply = await call(base, '/%2e%2e/internal/keys', { headers: auth(readerToken) });
      expect(reply.body).not.toContain(INTERNAL_KEY);
    });
  });

  // ── policy: query facts ─────────────────────────────────────────────────────────────────────────

  describe('query parameters', () => {
    it('a deny on a query value holds for repeated keys, encoded keys and +/%20', async () => {
      for (const query of [
        'include=internal_notes',
        'include=a&include=internal_notes',
        'incl%75de=internal%5Fnotes',
        'include=x,internal_notes',
      ]) {
        const reply = await get(`/pii/people?${query}`);
        expect(reply.status, query).toBe(403);
        expect(reply.body).not.toContain(INTERNAL_NOTE);
      }
    });

    it('closed bypass — query truncation: a value padded past 1024 characters hides `internal_notes` from the policy', async () => {
      const reply = await get(`/pii/people?include=${'x'.repeat(1100)},internal_notes`);
      expect(reply.body).not.toContain(INTERNAL_NOTE);
      expect(reply.status).not.toBe(200);
    });

    it('closed bypass — query redaction: ?include_private=true reaches the policy as [redacted] (the key matches /private/)', async () => {
      const reply = await get('/pii/people?include_private=true');
      expect(reply.body).not.toContain(PRIVATE_NOTE);
      expect(reply.status).toBe(403);
    });
  });

  // ── masking: representations ────────────────────────────────────────────────────────────────────

  describe('masking', () => {
    it('masks the plain JSON representation (baseline)', async () => {
      const reply = await get('/pii/people');
      expect(reply.status).toBe(200);
      expect(reply.headers['x-sluice-masked']).toBe('true');
      expect(leaksPii(reply.body)).toBe(false);
      expect((JSON.parse(reply.body) as { name: string }[])[0]?.name).toBe('Alice');
    });

    it('closed bypass — JSONP: ?callback= makes the upstream answer text/javascript, and field patterns are not applied to text', async () => {
      const reply = await get('/pii/people?callback=cb');
      expect(reply.body).not.toContain(ADDRESS);
      expect(reply.body).not.toContain(`"pin":"${PIN}"`);
    });

    it('closed bypass — content negotiation: Accept: text/csv returns the masked fields as unmasked CSV', async () => {
      const reply = await get('/fields/people', { accept: 'text/csv' });
      expect(reply.body).not.toContain(ADDRESS);
    });

    it('closed bypass — text/json: a JSON body labelled text/json is masked by detectors only', async () => {
      const reply = await get('/fields/people?format=text-json');
      expect(reply.body).not.toContain(ADDRESS);
    });

    it("closed bypass — validators: HEAD and If-None-Match: * return the unmasked body's ETag, and the PIN is brute-forced offline", async () => {
      const head = await get('/pii/account', {}, 'HEAD');
      const conditional = await get('/pii/account', { 'if-none-match': '*' });
      const leaked = [head.headers.etag, conditional.headers.etag].filter((e): e is string => typeof e === 'string');
      let recovered: string | undefined;
      for (let n = 0; n < 10_000 && recovered === undefined && leaked.length > 0; n++) {
        const guess = String(n).padStart(4, '0');
        if (leaked.includes(expressEtag(JSON.stringify({ id: 7, pin: guess })))) recovered = guess;
      }
      expect(recovered, `recovered the masked PIN from ${leaked.join(' / ')}`).toBeUndefined();
      expect(head.headers['content-length']).toBeUndefined();
    });

    it('does not forward Range on masked requests (a slice of JSON cannot be masked)', async () => {
      const reply = await get('/pii/people', { range: 'bytes=0-120', 'if-range': '"x"' });
      expect(reply.status).toBe(200);
      expect(leaksPii(reply.body)).toBe(false);
      expect(seen.findLast((s) => s.url === '/api/pii/people')?.headers.range).toBeUndefined();
    });

    it('masks application/problem+json, escaped keys, duplicate keys, numbers, case-folded keys and NDJSON', async () => {
      for (const variant of ['problem', 'escaped-keys', 'duplicate-keys', 'numbers', 'uppercase-keys', 'ndjson']) {
        const reply = await get(`/pii/variants/${variant}`);
        expect(reply.headers['x-sluice-masked'], variant).toBe('true');
        expect(leaksPii(reply.body), `${variant}: ${reply.body}`).toBe(false);
      }
    });

    it('fails closed on a BOM, UTF-16, no content type, octet-stream, stacked or unknown encodings, deep nesting', async () => {
      for (const variant of ['bom', 'utf16', 'no-type', 'octet', 'identity-gzip', 'gzip-br', 'two-headers', 'unknown-encoding', 'deep']) {
        const reply = await get(`/pii/variants/${variant}`);
        expect(leaksPii(reply.body), `${variant}: ${reply.body.slice(0, 200)}`).toBe(false);
        expect(Buffer.from(reply.body, 'latin1').toString('utf16le')).not.toContain(ADDRESS);
      }
    });

    it('cuts a masked stream that ends mid-token or breaks after the head went out, without unmasked bytes', async () => {
      for (const variant of ['mid-token', 'large-then-broken']) {
        const reply = await get(`/pii/variants/${variant}`);
        expect(reply.body, variant).not.toContain(PIN);
        expect(reply.body, variant).not.toContain(ADDRESS.slice(0, 10));
      }
    });

    it("closed bypass — reflection: a masked response that echoes request headers hands the client the agent's upstream credential", async () => {
      const reply = await get('/pii/echo');
      expect(reply.status).toBe(200);
      expect(reply.body).not.toContain(upstreamSecret);
      expect(reply.body).not.toContain(agentToken);
    });
  });

  // ── Kubernetes ──────────────────────────────────────────────────────────────────────────────────

  describe('Kubernetes', () => {
    const secretPath = '/api/v1/namespaces/default/secrets';
    const noSecret = (reply: Reply, what: string): void => {
      expect(reply.body, what).not.toContain(SECRET_B64);
      expect(reply.body, what).not.toContain(SECRET_VALUE);
    };

    it('drops every Impersonate-* header (User, Group, Uid, Extra-*) and the client token', async () => {
      const before = fake.requests.length;
      await kget('/api/v1/namespaces/default/pods', {
        'impersonate-user': 'system:admin',
        'impersonate-group': 'system:masters',
        'impersonate-uid': '0',
        'impersonate-extra-scopes': 'all',
        'Impersonate-Extra-Reason': 'x',
      });
      const sent = fake.requests.slice(before);
      expect(sent.length).toBeGreaterThan(0);
      for (const request of sent) {
        expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
        expect(String(request.headers['impersonate-user'])).toMatch(/^sluice:/);
        expect(request.headers['impersonate-uid']).toBeUndefined();
        expect(Object.keys(request.headers).filter((h) => h.startsWith('impersonate-extra'))).toEqual([]);
        expect(String(request.headers['impersonate-group'])).not.toContain('system:');
      }
      expect(JSON.stringify(sent.map((r) => r.headers))).not.toContain(readerToken);
    });

    it('masks Secret data however it is asked for: protobuf, CBOR or YAML Accept, Tables with objects, metadata-only, all namespaces', async () => {
      const asks: [string, Record<string, string>][] = [
        [`${secretPath}/db`, {}],
        [`${secretPath}/db`, { accept: 'application/vnd.kubernetes.protobuf' }],
        [`${secretPath}/db`, { accept: 'application/cbor' }],
        [`${secretPath}/db`, { accept: 'application/yaml' }],
        [`${secretPath}/db?includeObject=Object`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }],
        [`${secretPath}?includeObject=Object`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' }],
        [secretPath, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' }],
        ['/api/v1/secrets', {}],
        [`${secretPath}?fieldSelector=metadata.name%3Ddb`, {}],
        [`${secretPath}?fieldSelector=metadata.name=db&fieldSelector=`, {}],
      ];
      for (const [path, headers] of asks) {
        const reply = await kget(path, headers);
        expect(reply.status, path).toBe(200);
        noSecret(reply, `${path} ${JSON.stringify(headers)}`);
      }
    });

    it('masks Secret data reached through encoded paths (secr%65ts, %2F) and refuses dot segments, // and backslashes', async () => {
      for (const path of [
        '/api/v1/namespaces/default/secr%65ts/db',
        '/api/v1/namespaces/default/secrets%2Fdb',
        '/api/v1/namespaces%2Fdefault%2Fsecrets%2Fdb',
      ]) {
        const reply = await kget(path);
        noSecret(reply, path);
      }
      for (const path of [
        '/api/v1/namespaces/default/pods/../secrets/db',
        '/api/v1/namespaces/default/pods/%2e%2e/secrets/db',
        '/api/v1/namespaces/default//secrets/db',
        '/api/v1/namespaces/default/secrets\\db',
        '/api/v1/namespaces/default/Secrets/db',
      ]) {
        const reply = await kget(path);
        expect(reply.status, path).not.toBe(200);
        noSecret(reply, path);
      }
    });

    it('masks Secret data in watches (?watch=true, /watch/ prefix, all namespaces) and refuses WebSocket watches', async () => {
      for (const path of [
        `${secretPath}?watch=true&timeoutSeconds=1`,
        '/api/v1/watch/namespaces/default/secrets?timeoutSeconds=1',
        '/api/v1/secrets?watch=1&timeoutSeconds=1',
      ]) {
        const reply = await kget(path);
        expect(reply.status, path).toBe(200);
        expect(reply.body, path).toContain('ADDED');
        noSecret(reply, path);
      }
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`wss://127.0.0.1:${new URL(k8s).port}${secretPath}?watch=true`, ['v4.channel.k8s.io'], {
          headers: auth(readerToken),
          ca: agentCa,
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => resolve(-1));
      });
      expect(status).toBe(400);
    });

    it('refuses what the read-only operator may not do: PATCH/PUT/DELETE of Secrets (also dryRun), exec, attach, portforward, proxies', async () => {
      const before = fake.requests.length;
      const patch = await kget(`${secretPath}/db?dryRun=All`, { 'content-type': 'application/merge-patch+json' }, 'PATCH', '{"data":{}}');
      expect(patch.status).toBe(403);
      const apply = await kget(
        `${secretPath}/db?dryRun=All&fieldManager=x`,
        { 'content-type': 'application/apply-patch+yaml' },
        'PATCH',
        'apiVersion: v1\nkind: Secret\n',
      );
      expect(apply.status).toBe(403);
      expect((await kget(`${secretPath}/db`, { 'content-type': 'application/json' }, 'PUT', '{}')).status).toBe(403);
      expect((await kget(secretPath, {}, 'DELETE')).status).toBe(403);
      for (const path of [
        '/api/v1/namespaces/default/pods/web/exec?command=cat&command=/etc/shadow&stdout=true',
        '/api/v1/namespaces/default/pods/web/attach?stdout=true',
        '/api/v1/namespaces/default/pods/web/portforward?ports=5432',
        '/api/v1/namespaces/default/pods/web:8080/proxy/admin',
        '/api/v1/namespaces/default/services/https:kubernetes:443/proxy/api/v1/namespaces/default/secrets/db',
        '/api/v1/nodes/node-1/proxy/run/default/web/main?cmd=id',
        '/api/v1/proxy/namespaces/default/pods/web/',
      ]) {
        for (const method of ['GET', 'POST']) expect((await kget(path, {}, method)).status, `${method} ${path}`).toBe(403);
      }
      expect(fake.requests.length).toBe(before);
    });

    it('refuses exec over WebSocket (GET and POST upgrades) for the read-only operator', async () => {
      for (const method of ['GET', 'POST']) {
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(
            `wss://127.0.0.1:${new URL(k8s).port}/api/v1/namespaces/default/pods/web/exec?command=id&stdout=true`,
            ['v5.channel.k8s.io'],
            { headers: auth(readerToken), ca: agentCa, ...(method === 'POST' ? { method } : {}) },
          );
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => {
            ws.close();
            resolve(101);
          });
          ws.on('error', () => resolve(-1));
        });
        expect(status, method).toBe(403);
      }
    });

    it('closed bypass — namespace-scoped deny: the all-namespaces list returns kube-system ConfigMaps the deny rule protects', async () => {
      const direct = await kget('/api/v1/namespaces/kube-system/configmaps');
      expect(direct.status).toBe(403);
      for (const path of [
        '/api/v1/configmaps',
        '/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-system',
        '/api/v1/watch/configmaps?timeoutSeconds=1',
      ]) {
        const reply = await kget(path);
        expect(reply.body, path).not.toContain(KUBE_SYSTEM_VALUE);
      }
    });
  });
});
