// Adversarial tests of review holds on the Kubernetes and HTTP data paths, and of the exec/attach
// WebSocket bridge: an attacker holds a valid token for a principal whose `k8s.exec` (and logs,
// proxies, port-forward, payouts) need review and whose Secret reads are masked, and tries to stretch
// one approval over other requests, to abuse the channel framing and the terminal recording, to keep a
// revealed Secret watch past a policy change, and looks at what `sluice kubeconfig` leaves on disk.
// The real control plane and agent (dist/), the fake apiserver of libs/testing, an HTTP upstream
// written here.
//
// Tests whose title starts with "HOLE" assert the secure behaviour and fail while the hole is open;
// the others are regression tests of attacks the agent already stops.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, getJson, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const RETRY_WINDOW_MS = 6_000;
const CARD = '4111 1111 1111 1111';
const SECRET_VALUE = 'hunter2-correct-horse';
const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');
const ROTATED_VALUE = 'rotated-after-policy-change-77';
const ROTATED_B64 = Buffer.from(ROTATED_VALUE).toString('base64');

const RULES = `
  - id: open
    match: { commands: [session.open, k8s.discovery] }
    effect: allow
  - id: agents-read
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [kubernetes] }, commands: [k8s.pods.get, k8s.pods.list, k8s.pods.watch, k8s.secrets.get, k8s.secrets.list, k8s.secrets.watch] }
    effect: allow
  - id: streams-review
    match: { principal: { groups: [ai-agents, security] }, connection: { protocols: [kubernetes] }, commands: [k8s.pods.exec, k8s.pods.attach, k8s.pods.portforward, k8s.pods.log, k8s.pods.proxy, k8s.services.proxy] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
  - id: agents-mask-cards
    match:
      principal: { groups: [ai-agents] }
      connection: { protocols: [kubernetes] }
      commands: [k8s.pods.get, k8s.pods.list, k8s.pods.watch, k8s.pods.log, k8s.secrets.get, k8s.secrets.list, k8s.secrets.watch, k8s.pods.proxy, k8s.services.proxy]
    effect: { mask: { detectors: [{ detector: card, strategy: { kind: partial, keepLast: 4 } }] } }
  - id: security-exec-masked
    match: { principal: { groups: [security] }, connection: { protocols: [kubernetes] }, commands: [k8s.pods.exec] }
    effect: { mask: { detectors: [{ detector: card, strategy: { kind: partial, keepLast: 4 } }] } }
  - id: operators
    match: { principal: { groups: [db-approvers] }, connection: { protocols: [kubernetes] }, commands: ['k8s.pods.*', k8s.secrets.get, k8s.secrets.list, k8s.secrets.watch] }
    effect: allow
  - id: agents-http-read
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, commands: [http.GET] }
    effect: allow
  - id: payouts-review
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, commands: [http.POST, http.PUT, http.PATCH, http.DELETE], paths: ['/payouts/**'] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
`;
const REVEAL_RULE = `
  - id: operators-reveal
    match: { principal: { groups: [db-approvers] }, commands: [k8s.secrets.reveal] }
    effect: allow
`;
const POLICY = `rules:${RULES}${REVEAL_RULE}`;
const POLICY_WITHOUT_REVEAL = `rules:${RULES}`;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The payouts API: records every request with its body. */
async function startPayouts(seen: Seen[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly ca?: string;
  /** Called with the request once sent (to abort it from outside). */
  readonly onRequest?: (destroy: () => void) => void;
}

/** One request with the path exactly as given; resolves status -1 when the connection is cut. */
function call(origin: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const target = new URL(origin);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve) => {
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
        const done = (): void => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', () => resolve({ status: -1, body: '' }));
    req.end(options.body);
    options.onRequest?.(() => req.destroy());
  });
}

async function file(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

interface ExecConn {
  readonly ws: WebSocket;
  /** 101 once open; the HTTP status of a refused upgrade; -1 on a connection error. */
  readonly result: Promise<number>;
  readonly closed: Promise<number>;
  /** stdout+stderr so far. */
  out(): string;
  readonly errorChannel: string[];
}

interface EventJson {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

describe('adversarial: review holds, exec streams and watches', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let agent: ManagedProcess;
  let fake: FakeApiServer;
  let core: CoreV1Api;
  let payouts: Server;
  const seen: Seen[] = [];
  let k8sPort = 0;
  let otherPort = 0;
  let http = '';
  let agentCa = '';
  let agentToken = '';
  let approverToken = '';
  let adminToken = '';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-holds-'));
    db = await createTestDatabase();
    const agentKey = (await run(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'])).stdout.trim();
    cp = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_POLICY_FILE: await file(dir, 'policy.yaml', POLICY),
      SLUICE_APPROVAL_RETRY_WINDOW_MS: String(RETRY_WINDOW_MS),
    });
    payouts = await startPayouts(seen);
    const upstreamTls = await testCertificate();
    fake = await FakeApiServer.start({ tls: upstreamTls });
    const kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'fake', server: fake.url, caData: Buffer.from(upstreamTls.cert).toString('base64') }],
      users: [{ name: 'fake', token: fake.token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    core = kube.makeApiClient(CoreV1Api);
    const script = (name: string): string[] => ['sh', '-c', `echo ${name}-started; echo paid with ${CARD}`];
    for (const [name, containers] of [
      ['pod-a', ['main', 'sidecar']],
      ['pod-b', ['main']],
    ] as const) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name },
          spec: { containers: containers.map((c) => ({ name: c, image: 'busybox', command: script(`${name}-${c}`) })) },
        },
      });
    }
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'db' }, data: { password: SECRET_B64 } } });

    const listenerTls = await testCertificate();
    agentCa = listenerTls.cert;
    const certFile = await file(dir, 'listener.pem', listenerTls.cert);
    const keyFile = await file(dir, 'listener-key.pem', listenerTls.key);
    const target = `{ url: "${fake.url}", caFile: "${await file(dir, 'upstream-ca.pem', upstreamTls.cert)}", tokenFile: "${await file(dir, 'sa-token', fake.token)}" }`;
    k8sPort = await freePort();
    otherPort = await freePort();
    const httpPort = await freePort();
    http = `http://127.0.0.1:${httpPort}`;
    agent = await startAgent({
      agentId: 'holds-agent',
      grpcPort: cp.grpcPort,
      agentKey,
      env: { SLUICE_AGENT_STATE_DIR: join(dir, 'agent-state'), SLUICE_AGENT_ADMIN_LISTEN: 'off' },
      yaml: `
connections:
  - name: dev-cluster
    protocol: kubernetes
    listen: "127.0.0.1:${k8sPort}"
    tls: { certFile: "${certFile}", keyFile: "${keyFile}" }
    target: ${target}
    impersonate: { enabled: true }
  - name: other-cluster
    protocol: kubernetes
    listen: "127.0.0.1:${otherPort}"
    tls: { certFile: "${certFile}", keyFile: "${keyFile}" }
    target: ${target}
    impersonate: { enabled: true }
  - name: payments-api
    protocol: http
    listen: "127.0.0.1:${httpPort}"
    allowPlaintextOnLoopback: true
    target: { url: "http://127.0.0.1:${(payouts.address() as AddressInfo).port}" }
`,
    });
    await agent.waitForLog((line) => line.msg === 'kubernetes connection listening', 30_000);
    agentToken = await devToken(cp, 'demo-agent');
    approverToken = await devToken(cp, 'demo-approver');
    adminToken = await devToken(cp, 'demo-admin');
    await waitFor(
      async () => ((await kget('/api/v1/namespaces/default/pods', agentToken)).status === 200 ? true : undefined),
      30_000,
      'the agent to decide',
    );
  });

  afterEach(async () => {
    // At most 20 reviews may be pending per principal: deny what a test left behind.
    for (const pending of await pendingApprovals()) await resolve(pending.id, 'deny');
  });

  afterAll(async () => {
    await agent.stop();
    await cp.process.stop();
    payouts.close();
    await fake.close();
    await db.drop();
  });

  const k8s = (port = k8sPort): string => `https://127.0.0.1:${port}`;
  const kget = (path: string, token: string, options: CallOptions = {}, port = k8sPort): Promise<Reply> =>
    call(k8s(port), path, { ...options, headers: { authorization: `Bearer ${token}`, ...options.headers }, ca: agentCa });
  const hcall = (path: string, options: CallOptions = {}): Promise<Reply> =>
    call(http, path, { ...options, headers: { authorization: `Bearer ${agentToken}`, ...options.headers } });

  async function pendingApprovals(): Promise<{ id: string; command: string | null }[]> {
    return getJson<{ id: string; command: string | null }[]>(`${cp.httpUrl}/api/v1/approvals?status=pending`, approverToken);
  }

  async function resolve(id: string, action: 'approve' | 'deny'): Promise<void> {
    const res = await fetch(`${cp.httpUrl}/api/v1/approvals/${id}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: `${action}d by the test` }),
    });
    expect(res.status).toBe(200);
  }

  /**
   * A pending approval's command text, read back in the short form the tests name requests by: the
   * "binds to this request only" mark dropped, an exec's JSON argv joined with spaces and its
   * canonical query (container, stdin, tty…) dropped. The full text is what approvals bind to.
   */
  function shortForm(command: string | null): string {
    let text = (command ?? '').replace(/ \(approval binds to this request only: [0-9a-f]+\)$/, '');
    const exec = /^((?:exec|attach) \S+ -- )(\[.*\])(?: \?.*)?$/.exec(text);
    if (exec) text = `${exec[1] ?? ''}${(JSON.parse(exec[2] ?? '[]') as string[]).join(' ')}`;
    return text;
  }

  async function waitPending(text: string): Promise<string> {
    const found = await waitFor(
      async () => (await pendingApprovals()).find((a) => shortForm(a.command) === text || (a.command ?? '').startsWith(`${text}?`)),
      15_000,
      `a pending approval of ${text}`,
    );
    return found.id;
  }

  /**
   * Whether `running` completes without a new review (`through`) or a pending approval for `text`
   * appears first (`held`): the request is then waiting for an approver.
   */
  async function heldOrThrough<T>(running: Promise<T>, text: string): Promise<'held' | 'through'> {
    const state = { done: false };
    void running.then(() => (state.done = true));
    return waitFor(
      async () => {
        if (state.done) return 'through' as const;
        return (await pendingApprovals()).some((a) => shortForm(a.command) === text || (a.command ?? '').startsWith(`${text}?`))
          ? ('held' as const)
          : undefined;
      },
      15_000,
      `${text} to run or be held`,
    );
  }

  function openExec(path: string, token: string, port = k8sPort, protocols = ['v5.channel.k8s.io']): ExecConn {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, protocols, { headers: { authorization: `Bearer ${token}` }, ca: agentCa });
    let out = '';
    const errorChannel: string[] = [];
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      if (data[0] === 1 || data[0] === 2) out += data.subarray(1).toString('utf8');
      if (data[0] === 3) errorChannel.push(data.subarray(1).toString('utf8'));
    });
    const result = new Promise<number>((done) => {
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      ws.on('open', () => done(101));
      ws.on('error', () => done(-1));
    });
    const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
    return { ws, result, closed, out: () => out, errorChannel };
  }

  /** The documented "client that cannot wait": holds, goes away, is approved; the exact request may then run once. */
  async function approveAbandonedExec(path: string, text: string, token = agentToken, port = k8sPort): Promise<void> {
    const conn = openExec(path, token, port);
    const id = await waitPending(text);
    conn.ws.terminate();
    await sleep(500);
    await resolve(id, 'approve');
  }

  async function approveAbandonedHttp(path: string, text: string, options: CallOptions): Promise<void> {
    let destroy = (): void => undefined;
    const running = hcall(path, { ...options, onRequest: (d) => (destroy = d) });
    const id = await waitPending(text);
    destroy();
    await running;
    await sleep(500);
    await resolve(id, 'approve');
  }

  async function approveAbandonedGet(path: string, text: string): Promise<void> {
    let destroy = (): void => undefined;
    const running = kget(path, agentToken, { onRequest: (d) => (destroy = d) });
    const id = await waitPending(text);
    destroy();
    await running;
    await sleep(500);
    await resolve(id, 'approve');
  }

  async function events(principalName: string): Promise<EventJson[]> {
    const all: EventJson[] = [];
    for (const connection of ['dev-cluster', 'other-cluster']) {
      const sessions = await getJson<{ id: string; principalName: string | null }[]>(
        `${cp.httpUrl}/api/v1/sessions?connection=${connection}`,
        adminToken,
      );
      for (const s of sessions.filter((x) => x.principalName === principalName)) {
        all.push(...(await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${s.id}/events`, adminToken)));
      }
    }
    return all;
  }

  const execPath = (pod: string, query: string): string => `/api/v1/namespaces/default/pods/${pod}/exec?${query}`;

  // ── (1) what an exec approval is bound to ──────────────────────────────────────────────────────

  describe('exec approval binding', () => {
    it('an approval for exec pod-a is used once, by exactly that request: pod-b, another command, attach and a second run are held', async () => {
      const approved = execPath('pod-a', 'container=main&command=echo&command=one&stdout=true');
      await approveAbandonedExec(approved, 'exec default/pod-a -- echo one');
      for (const [path, text] of [
        [execPath('pod-b', 'command=echo&command=one&stdout=true'), 'exec default/pod-b -- echo one'],
        [execPath('pod-a', 'container=main&command=whoami&stdout=true'), 'exec default/pod-a -- whoami'],
        ['/api/v1/namespaces/default/pods/pod-a/attach?container=main&stdout=true', 'GET /api/v1/namespaces/default/pods/pod-a/attach'],
      ] as const) {
        const conn = openExec(path, agentToken);
        expect(await heldOrThrough(conn.result, text), path).toBe('held');
        conn.ws.terminate();
      }
      const first = openExec(approved, agentToken);
      expect(await heldOrThrough(first.result, 'exec default/pod-a -- echo one')).toBe('through');
      expect(await first.result).toBe(101);
      await first.closed;
      expect(first.out()).toBe('one\n');
      const second = openExec(approved, agentToken);
      expect(await heldOrThrough(second.result, 'exec default/pod-a -- echo one')).toBe('held');
      second.ws.terminate();
    });

    it('an approval on one connection is not honoured on another, nor for another principal', async () => {
      const path = execPath('pod-b', 'command=echo&command=cross&stdout=true');
      const text = 'exec default/pod-b -- echo cross';
      await approveAbandonedExec(path, text);
      const elsewhere = openExec(path, agentToken, otherPort);
      expect(await heldOrThrough(elsewhere.result, text)).toBe('held');
      elsewhere.ws.terminate();
      const admin = openExec(path, adminToken);
      expect(await heldOrThrough(admin.result, text)).toBe('held');
      admin.ws.terminate();
      // The approval is still there for its principal and connection.
      const own = openExec(path, agentToken);
      expect(await own.result).toBe(101);
      await own.closed;
    });

    it('an approval is not honoured after the retry window', async () => {
      const path = execPath('pod-b', 'command=echo&command=late&stdout=true');
      const text = 'exec default/pod-b -- echo late';
      await approveAbandonedExec(path, text);
      await sleep(RETRY_WINDOW_MS + 500);
      const late = openExec(path, agentToken);
      expect(await heldOrThrough(late.result, text)).toBe('held');
      late.ws.terminate();
    });

    it('closed hole — container switch — an approval for exec into container main runs the command in container sidecar', async () => {
      await approveAbandonedExec(execPath('pod-a', 'container=main&command=hostname&stdout=true'), 'exec default/pod-a -- hostname');
      const before = fake.requests.length;
      const conn = openExec(execPath('pod-a', 'container=sidecar&command=hostname&stdout=true'), agentToken);
      const outcome = await heldOrThrough(conn.result, 'exec default/pod-a -- hostname');
      conn.ws.terminate();
      expect(fake.requests.slice(before).map((r) => r.url)).not.toContainEqual(expect.stringContaining('container=sidecar'));
      expect(outcome).toBe('held');
    });

    it('closed hole — stdin/tty escalation — an approval for non-interactive `exec pod -- sh` opens an interactive root shell', async () => {
      await approveAbandonedExec(execPath('pod-b', 'command=sh&stdout=true&stderr=true'), 'exec default/pod-b -- sh');
      const conn = openExec(execPath('pod-b', 'command=sh&stdin=true&stdout=true&tty=true'), agentToken);
      const outcome = await heldOrThrough(conn.result, 'exec default/pod-b -- sh');
      if (outcome === 'through' && (await conn.result) === 101) {
        conn.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('whoami\n')]));
        await waitFor(() => (conn.out().includes('root') ? true : undefined), 5_000, 'the shell to answer').catch(() => undefined);
        conn.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('exit 0\n')]));
      }
      conn.ws.terminate();
      expect(conn.out()).not.toContain('root');
      expect(outcome).toBe('held');
    });

    it('closed hole — argv ambiguity — argv is joined with spaces, so [sh,-c,echo,"x; whoami"] (prints nothing) approves [sh,-c,"echo x; whoami"]', async () => {
      // What the approver saw: `exec default/pod-b -- sh -c echo x; whoami`: sh runs `echo` with $0="x; whoami".
      const text = 'exec default/pod-b -- sh -c echo x; whoami';
      await approveAbandonedExec(execPath('pod-b', 'command=sh&command=-c&command=echo&command=x%3B%20whoami&stdout=true'), text);
      const before = fake.requests.length;
      const conn = openExec(execPath('pod-b', 'command=sh&command=-c&command=echo%20x%3B%20whoami&stdout=true'), agentToken);
      const outcome = await heldOrThrough(conn.result, text);
      conn.ws.terminate();
      expect(fake.requests.slice(before).some((r) => r.url.includes('command=echo%20x%3B%20whoami'))).toBe(false);
      expect(outcome).toBe('held');
    });

    it('SPDY and port-forward upgrades are refused even once approved, and never reach the apiserver', async () => {
      const before = fake.requests.length;
      const pf = '/api/v1/namespaces/default/pods/pod-b/portforward?ports=5432';
      const conn = openExec(pf, agentToken, k8sPort, ['v4.channel.k8s.io']);
      await resolve(await waitPending(`GET /api/v1/namespaces/default/pods/pod-b/portforward`), 'approve');
      expect(await conn.result).toBe(400);
      expect(fake.requests.length).toBe(before);
    });
  });

  // ── (2) frames and the terminal recording ─────────────────────────────────────────────────────

  describe('exec frames and recording', () => {
    const cat = execPath('pod-b', 'command=cat&stdin=true&stdout=true&stderr=true');

    it('survives hostile frames: unknown channels, text frames, empty frames, bogus resizes; v5 close ends stdin', async () => {
      const conn = openExec(cat, approverToken);
      expect(await conn.result).toBe(101);
      const resizesBefore = fake.resizes.length;
      for (const frame of [
        Buffer.from([7, 1, 2, 3]),
        Buffer.from([200]),
        Buffer.alloc(0),
        Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":1e9,"Height":-1}')]),
        Buffer.concat([Buffer.from([4]), Buffer.from('{not json')]),
        Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]),
      ])
        conn.ws.send(frame);
      conn.ws.send('text frame on no channel', { binary: false });
      conn.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello-frames\n')]));
      await waitFor(() => (conn.out().includes('hello-frames') ? true : undefined), 5_000, 'cat to echo');
      conn.ws.send(Buffer.from([255, 0]));
      expect(await conn.closed).toBe(1000);
      expect(conn.errorChannel.join('')).toContain('Success');
      const recorded = await waitFor(async () => {
        const list = await events('Demo approver');
        return list.some((e) => e.kind === 'terminal.ended') ? list : undefined;
      }, 15_000);
      const lines = recorded.filter((e) => e.kind === 'terminal.output').flatMap((e) => e.payload['events'] as [number, string, string][]);
      // Only the valid resize is recorded; the bogus ones reached the apiserver untouched.
      expect(lines.filter(([, c]) => c === 'r').map(([, , d]) => d)).toEqual(['120x40']);
      expect(fake.resizes.length - resizesBefore).toBeGreaterThanOrEqual(1);
      // recording.stdin is off: no input events (the output shows what cat echoed, as a terminal would).
      expect(lines.some(([, c]) => c === 'i')).toBe(false);
      expect((await kget('/api/v1/namespaces/default/pods', approverToken)).status).toBe(200);
    });

    it('closes a client frame over 16 MiB with 1009 and keeps serving', async () => {
      const conn = openExec(cat, approverToken);
      expect(await conn.result).toBe(101);
      conn.ws.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(17 * 1024 * 1024, 0x61)]));
      expect(await conn.closed).toBe(1009);
      expect((await kget('/api/v1/namespaces/default/pods', approverToken)).status).toBe(200);
      expect(agent.child.exitCode).toBeNull();
    });

    it('records large terminal output completely, in chunks of at most 64 KiB (there is no total cap)', async () => {
      const endedBefore = (await events('Demo approver')).filter((e) => e.kind === 'terminal.ended').length;
      const conn = openExec(cat, approverToken);
      expect(await conn.result).toBe(101);
      const line = `${'x'.repeat(1023)}\n`;
      const total = 2 * 1024 * 1024;
      for (let sent = 0; sent < total; sent += 64 * 1024) conn.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(line.repeat(64))]));
      await waitFor(() => (conn.out().length >= total ? true : undefined), 30_000, 'the output');
      conn.ws.send(Buffer.from([255, 0]));
      await conn.closed;
      const outputOf = (list: EventJson[]): EventJson[] => list.filter((e) => e.kind === 'terminal.output');
      const charsOf = (list: EventJson[]): number =>
        outputOf(list)
          .flatMap((e) => e.payload['events'] as [number, string, string][])
          .filter(([, c]) => c === 'o')
          .reduce((n, [, , d]) => n + d.length, 0);
      let last: EventJson[] = [];
      await waitFor(
        async () => {
          last = await events('Demo approver');
          return last.filter((e) => e.kind === 'terminal.ended').length > endedBefore && charsOf(last) >= total ? true : undefined;
        },
        20_000,
        'the whole output in the recording',
      ).catch(() => undefined);
      for (const chunk of outputOf(last)) expect(JSON.stringify(chunk.payload).length).toBeLessThanOrEqual(64 * 1024 + 64);
      const recordedChars = charsOf(last);
      expect(recordedChars).toBeGreaterThanOrEqual(total);
    });

    it('closed hole — exec where policy masks results is refused, even once approved (a terminal cannot be masked reliably)', async () => {
      const text = `exec default/pod-b -- echo paid with ${CARD}`;
      const before = fake.requests.length;
      const conn = openExec(execPath('pod-b', `command=echo&command=${encodeURIComponent(`paid with ${CARD}`)}&stdout=true`), adminToken);
      await resolve(await waitPending(text), 'approve');
      expect(await conn.result).toBe(403);
      expect(conn.out()).not.toContain(CARD);
      expect(fake.requests.slice(before).some((r) => r.url.includes('/exec'))).toBe(false);
    });
  });

  // ── (3) HTTP holds ────────────────────────────────────────────────────────────────────────────

  describe('HTTP holds', () => {
    const json = { 'content-type': 'application/json' };

    it('closed hole — body swap — an approval for POST /payouts/7 with body A is used by body B (the body is not part of the approval)', async () => {
      await approveAbandonedHttp('/payouts/7', 'POST /payouts/7', { method: 'POST', headers: json, body: '{"amount":10,"to":"alice"}' });
      const before = seen.length;
      const attack = hcall('/payouts/7', { method: 'POST', headers: json, body: '{"amount":1000000,"to":"mallory"}' });
      const outcome = await heldOrThrough(attack, 'POST /payouts/7');
      expect(seen.slice(before).map((s) => s.body)).not.toContain('{"amount":1000000,"to":"mallory"}');
      expect(outcome).toBe('held');
    });

    it('a query change needs its own approval', async () => {
      await approveAbandonedHttp('/payouts/8?amount=10', 'POST /payouts/8?amount=10', { method: 'POST' });
      const attack = hcall('/payouts/8?amount=99999', { method: 'POST' });
      expect(await heldOrThrough(attack, 'POST /payouts/8?amount=99999')).toBe('held');
    });

    it('closed hole — redacted query — ?code=1111 approved lets ?code=9999 through (secret-looking values are [redacted] in the approved text)', async () => {
      await approveAbandonedHttp('/payouts/9?code=1111', 'POST /payouts/9?code=[redacted]', { method: 'POST' });
      const before = seen.length;
      const attack = hcall('/payouts/9?code=9999', { method: 'POST' });
      const outcome = await heldOrThrough(attack, 'POST /payouts/9?code=[redacted]');
      expect(seen.slice(before).map((s) => s.url)).not.toContain('/payouts/9?code=9999');
      expect(outcome).toBe('held');
    });

    it('closed hole — header swap — an approved POST re-sent with X-HTTP-Method-Override: DELETE runs a DELETE without its own approval', async () => {
      await approveAbandonedHttp('/payouts/10', 'POST /payouts/10', { method: 'POST' });
      const before = seen.length;
      const attack = hcall('/payouts/10', { method: 'POST', headers: { 'x-http-method-override': 'DELETE' } });
      const outcome = await heldOrThrough(attack, 'POST /payouts/10 (as DELETE)');
      expect(seen.slice(before).some((s) => s.headers['x-http-method-override'] === 'DELETE')).toBe(false);
      expect(outcome).toBe('held');
    });

    it('two identical held requests share one approval: exactly one is forwarded', async () => {
      const before = seen.length;
      const a = hcall('/payouts/11', { method: 'POST', headers: json, body: '{"n":1}' });
      const b = hcall('/payouts/11', { method: 'POST', headers: json, body: '{"n":2}' });
      const id = await waitPending('POST /payouts/11');
      await sleep(500);
      await resolve(id, 'approve');
      const replies = await Promise.all([a, b]);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 403]);
      expect(seen.slice(before).filter((s) => s.url === '/payouts/11')).toHaveLength(1);
    });

    it('a request abandoned while held never runs later; its approval lets one re-send through, once, even when re-sent concurrently', async () => {
      // (Without a body: the approval of a request with a body binds to that request only — see the body swap.)
      const before = seen.length;
      await approveAbandonedHttp('/payouts/12', 'POST /payouts/12', { method: 'POST' });
      await sleep(500);
      expect(seen.slice(before).filter((s) => s.url === '/payouts/12')).toHaveLength(0);
      const replies = Promise.all([1, 2, 3].map(() => hcall('/payouts/12', { method: 'POST' })));
      // One goes straight through; the others are held for a new review, denied here.
      await waitFor(() => (seen.slice(before).some((s) => s.url === '/payouts/12') ? true : undefined), 10_000, 'the re-send');
      await resolve(await waitPending('POST /payouts/12'), 'deny');
      expect((await replies).map((r) => r.status).sort()).toEqual([200, 403, 403]);
      expect(seen.slice(before).filter((s) => s.url === '/payouts/12')).toHaveLength(1);
    });
  });

  // ── (5) logs, proxies under approval ─────────────────────────────────────────────────────────

  describe('logs and proxies under approval', () => {
    it('closed hole — query not bound — an approval for `logs pod-a -c main --tail=1` reads `logs -f pod-a -c sidecar --previous`', async () => {
      const text = 'GET /api/v1/namespaces/default/pods/pod-a/log';
      await approveAbandonedGet('/api/v1/namespaces/default/pods/pod-a/log?container=main&tailLines=1', text);
      const before = fake.requests.length;
      const attack = kget('/api/v1/namespaces/default/pods/pod-a/log?container=sidecar&previous=true&tailLines=1000', agentToken);
      const outcome = await heldOrThrough(attack, text);
      expect(fake.requests.slice(before).some((r) => r.url.includes('container=sidecar'))).toBe(false);
      expect(outcome).toBe('held');
    });

    it('closed hole — query not bound — an approved service proxy GET …/proxy/status is re-used with ?action=drop-all', async () => {
      const path = '/api/v1/namespaces/default/services/web:80/proxy/status';
      await approveAbandonedGet(path, `GET ${path}`);
      const before = fake.requests.length;
      const attack = kget(`${path}?action=drop-all`, agentToken);
      const outcome = await heldOrThrough(attack, `GET ${path}`);
      expect(fake.requests.slice(before).some((r) => r.url.includes('action=drop-all'))).toBe(false);
      expect(outcome).toBe('held');
    });
  });

  // ── (6) sluice kubeconfig ─────────────────────────────────────────────────────────────────────

  describe('sluice kubeconfig', () => {
    it('writes nothing to disk itself; --token-file and --token-command keep the token out of the kubeconfig', async () => {
      const cwd = await mkdtemp(join(tmpdir(), 'sluice-kubeconfig-'));
      const tokenFile = await file(cwd, 'token', agentToken);
      const base = [CONTROL_PLANE_CLI, 'kubeconfig', 'dev-cluster', '--server', k8s()];
      const viaFile = await run(process.execPath, [...base, '--token-file', tokenFile], {
        cwd,
        env: { PATH: process.env.PATH, HOME: cwd },
      });
      expect(viaFile.stdout).not.toContain(agentToken);
      expect(viaFile.stdout).toContain(`tokenFile: ${tokenFile}`);
      const viaCommand = await run(process.execPath, [...base, '--token-command', `cat ${tokenFile}`], {
        cwd,
        env: { PATH: process.env.PATH, HOME: cwd },
      });
      expect(viaCommand.stdout).not.toContain(agentToken);
      expect((await readdir(cwd)).sort()).toEqual(['token']);
      // A --server that is not https (kubectl would send the bearer token in clear) is refused.
      await expect(
        run(process.execPath, [CONTROL_PLANE_CLI, 'kubeconfig', 'dev-cluster', '--server', 'http://127.0.0.1:1', '--token', 'x']),
      ).rejects.toMatchObject({
        stderr: expect.stringMatching(/https/) as unknown,
      });
    });
  });

  // ── (4) watches across a policy change (last: it changes the policy) ─────────────────────────

  describe('watches across a policy change', () => {
    it('closed hole — a Secret watch opened while reveal was allowed keeps streaming unmasked data after the policy withdraws reveal', async () => {
      const url = new URL(`${k8s()}/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=60`);
      let body = '';
      const req = httpsRequest({
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: { authorization: `Bearer ${approverToken}` },
        ca: agentCa,
        agent: false,
      });
      req.on('response', (res) => res.on('data', (d: Buffer) => (body += d.toString('utf8'))));
      req.on('error', () => undefined);
      req.end();
      await waitFor(() => (body.includes('ADDED') ? true : undefined), 15_000, 'the first watch event');
      expect(body).toContain(SECRET_B64); // revealed: the policy allowed it when the watch began
      const put = await fetch(`${cp.httpUrl}/api/v1/policy`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/yaml' },
        body: POLICY_WITHOUT_REVEAL,
      });
      expect(put.status).toBe(200);
      // A new read is masked once the agent has the new policy.
      await waitFor(
        async () => (!(await kget('/api/v1/namespaces/default/secrets/db', approverToken)).body.includes(SECRET_B64) ? true : undefined),
        15_000,
        'the new policy to apply',
      );
      const mark = body.length;
      const current = await core.readNamespacedSecret({ namespace: 'default', name: 'db' });
      await core.replaceNamespacedSecret({
        namespace: 'default',
        name: 'db',
        body: { metadata: current.metadata, type: current.type, data: { password: ROTATED_B64 } },
      });
      await waitFor(() => (body.length > mark || req.destroyed ? true : undefined), 5_000, 'the MODIFIED event or the cut').catch(
        () => undefined,
      );
      req.destroy();
      expect(body.slice(mark)).not.toContain(ROTATED_B64);
    });
  });
});
