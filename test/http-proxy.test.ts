// Issue 8 at the system level, HTTP connections: the real control plane and agent, a real upstream
// started here (node:http), driven with curl and undici. Deny, review, masking (JSON by field and by
// detector, compressed bodies, fail closed), streaming both ways, credentials, recording, revocation.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, getJson, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const run = promisify(execFile);

const POLICY = `
rules:
  - id: agents-open
    match: { principal: { groups: [ai-agents] }, commands: [session.open] }
    effect: allow
  - id: deny-admin-delete
    description: AI agents never delete through the admin API
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, commands: [http.DELETE], paths: ['/admin/**'] }
    effect: { deny: { message: deleting admin resources is not allowed } }
  - id: review-payouts
    match: { connection: { protocols: [http] }, commands: [http.POST], paths: ['/payouts/**'] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
  - id: agents-http
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, commands: ['http.*'] }
    effect: allow
  - id: mask-pii
    description: customer data reaches AI agents masked
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, paths: ['/pii/**'] }
    effect:
      mask:
        columns:
          - { pattern: email, strategy: { kind: partial, keepLast: 4 } }
          - { pattern: '$.owner.ssn', strategy: redact }
        detectors:
          - { detector: card, strategy: { kind: partial, keepLast: 4 } }
          - { detector: email, strategy: redact }
  - id: mask-logs
    description: logs are text, scanned by detectors only
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, paths: ['/logs/**'] }
    effect:
      mask:
        detectors:
          - { detector: email, strategy: redact }
`;

const CUSTOMERS = {
  owner: { name: 'Ops', ssn: '123-45-6789' },
  customers: [
    { id: 1, name: 'Alice', email: 'alice@example.com', card: '4111 1111 1111 1111', notes: 'prefers mail to alice.backup@example.net' },
    { id: 2, name: 'Bob', email: 'bob@example.org', card: 5500005555555559, notes: 'none' },
  ],
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

/** The upstream internal API: records every request it sees. */
async function startUpstream(seen: Seen[]): Promise<Server> {
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes });
      const path = (req.url ?? '').split('?')[0];
      const json = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), etag: '"v1"', ...extra });
        res.end(text);
      };
      switch (path) {
        case '/pii/customers':
        case '/public/customers':
          return json(200, CUSTOMERS);
        case '/pii/customers.gz': {
          const body = gzipSync(JSON.stringify(CUSTOMERS));
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
          res.end(body);
          return;
        }
        case '/pii/broken':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"email": "carol@example.com", "oops": ');
          return;
        case '/pii/binary':
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.from('alice@example.com'));
          return;
        case '/pii/log':
        case '/logs/app':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.write('line 1 dave@example.com\n');
          res.end('line 2 ok\n');
          return;
        case '/echo':
          return json(200, { method: req.method, url: req.url, headers: req.headers, bodyBytes });
        case '/upload':
          return json(200, { bodyBytes });
        case '/download': {
          const size = Number(new URL(req.url ?? '', 'http://x').searchParams.get('bytes') ?? '0');
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
          const chunk = Buffer.alloc(64 * 1024, 7);
          let sent = 0;
          const pump = (): void => {
            while (sent < size) {
              const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
              sent += piece.length;
              if (!res.write(piece)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        default:
          return json(200, { ok: true, path });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface EventJson {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

describe('HTTP connections through the agent', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let agent: ManagedProcess;
  let upstream: Server;
  const seen: Seen[] = [];
  let base = '';
  let token = '';
  let adminToken = '';
  const upstreamSecret = `upstream-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    const agentKey = (await run(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'])).stdout.trim();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-http-'));
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    cp = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey, SLUICE_POLICY_FILE: policyFile });
    upstream = await startUpstream(seen);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    agent = await startAgent({
      agentId: 'http-agent',
      grpcPort: cp.grpcPort,
      agentKey,
      env: { UPSTREAM_TOKEN: upstreamSecret, SLUICE_AGENT_STATE_DIR: join(dir, 'agent-state'), SLUICE_AGENT_ADMIN_LISTEN: 'off' },
      yaml: `
connections:
  - name: internal-api
    protocol: http
    listen: "127.0.0.1:${port}"
    allowPlaintextOnLoopback: true
    target: { url: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}" }
    credentials: { kind: bearer, token: { env: UPSTREAM_TOKEN } }
    limits: { maxRequestBodyBytes: 8388608 }
    tags: { env: test }
`,
    });
    await agent.waitForLog((line) => line.msg === 'http connection listening', 30_000);
    token = await devToken(cp, 'demo-agent');
    adminToken = await devToken(cp, 'demo-admin');
    // The agent must be linked before requests can be decided.
    await waitFor(
      async () =>
        (await fetch(`${base}/public/ping`, { headers: { authorization: `Bearer ${token}` } })).status === 200 ? true : undefined,
      30_000,
    );
  });

  afterAll(async () => {
    await agent.stop();
    await cp.process.stop();
    upstream.close();
    await db.drop();
  });

  const curl = async (...args: string[]): Promise<{ status: number; headers: string; body: string }> => {
    const { stdout } = await run('curl', ['-s', '-D', '-', ...args], { maxBuffer: 64 * 1024 * 1024 });
    const split = stdout.indexOf('\r\n\r\n');
    const headers = stdout.slice(0, split);
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), headers: headers.toLowerCase(), body: stdout.slice(split + 4) };
  };
  const auth = (): string[] => ['-H', `Authorization: Bearer ${token}`];

  async function sessionEvents(): Promise<EventJson[]> {
    const sessions = await getJson<{ id: string }[]>(`${cp.httpUrl}/api/v1/sessions?connection=internal-api`, adminToken);
    const all: EventJson[] = [];
    for (const session of sessions)
      all.push(...(await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${session.id}/events`, adminToken)));
    return all;
  }

  it('refuses DELETE /admin/users/1 with 403 and a JSON body naming the rule, without contacting the upstream', async () => {
    const before = seen.length;
    const res = await curl('-X', 'DELETE', ...auth(), `${base}/admin/users/1`);
    expect(res.status).toBe(403);
    const body = JSON.parse(res.body) as { error: string; message: string; ruleIds: string[]; effect: string };
    expect(body).toMatchObject({ error: 'Forbidden', effect: 'deny', ruleIds: ['deny-admin-delete'] });
    expect(body.message).toMatch(/^denied by policy: .*deny-admin-delete.*deleting admin resources is not allowed/);
    expect(seen.slice(before).some((s) => s.method === 'DELETE')).toBe(false);
    // Encoded or dotted paths cannot dodge the rule: an encoded letter is the letter (403 by the
    // rule); dotted or doubled paths are not forwarded at all (400), whatever policy says.
    for (const [sneaky, status] of [
      ['/adm%69n/users/1', 403],
      ['/public/../admin/users/1', 400],
      ['//admin/users/1', 400],
      ['/public/%2e%2e/admin/users/1', 400],
    ] as const) {
      const again = await curl('--path-as-is', '-X', 'DELETE', ...auth(), `${base}${sneaky}`);
      expect(again.status, sneaky).toBe(status);
    }
    expect(seen.slice(before).some((s) => s.method === 'DELETE')).toBe(false);
  });

  /** Approves (or denies) the pending approval whose command starts with `prefix`, as demo-approver. */
  async function resolvePending(prefix: string, action: 'approve' | 'deny', comment: string): Promise<void> {
    const approver = await devToken(cp, 'demo-approver');
    const pending = await waitFor(async () => {
      const list = await getJson<{ id: string; command: string | null }[]>(`${cp.httpUrl}/api/v1/approvals?status=pending`, approver);
      return list.find((a) => a.command?.startsWith(prefix));
    }, 20_000);
    const res = await fetch(`${cp.httpUrl}/api/v1/approvals/${pending.id}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment }),
    });
    expect(res.status).toBe(200);
  }

  it('holds a reviewed request until an approver approves, then answers with the upstream response', async () => {
    const held = curl('-X', 'POST', ...auth(), '-H', 'content-type: application/json', '-d', '{"amount":10}', `${base}/payouts/7`);
    await resolvePending('POST /payouts/7', 'approve', 'payout checked');
    const res = await held;
    expect(res.status).toBe(200);
    expect(seen.some((s) => s.method === 'POST' && s.url.startsWith('/payouts/7'))).toBe(true);
  });

  it('answers a denied review with 403 carrying the comment, and never reaches the upstream', async () => {
    const held = curl('-X', 'POST', ...auth(), '-H', 'content-type: application/json', '-d', '{"amount":99}', `${base}/payouts/8`);
    await resolvePending('POST /payouts/8', 'deny', 'not this one');
    const res = await held;
    expect(res.status).toBe(403);
    expect((JSON.parse(res.body) as { message: string }).message).toMatch(/denied: not this one/);
    expect(seen.some((s) => s.url.startsWith('/payouts/8'))).toBe(false);
  });

  it('masks a JSON response by field and by detector, dropping Content-Length and ETag', async () => {
    const res = await curl(...auth(), `${base}/pii/customers`);
    expect(res.status).toBe(200);
    expect(res.headers).toContain('x-sluice-masked: true');
    expect(res.headers).not.toContain('etag:');
    expect(res.headers).not.toContain('content-length:');
    const body = JSON.parse(res.body) as typeof CUSTOMERS & { owner: { ssn: string } };
    expect(body.owner.ssn).toBe('[redacted]');
    expect(body.customers[0]?.email).toBe('*****@*******.com');
    expect(body.customers[0]?.card).toBe('**** **** **** 1111');
    expect(body.customers[1]?.card).toBe('************5559');
    expect(body.customers[0]?.notes).toBe('prefers mail to [redacted]');
    expect(body.customers[0]?.name).toBe('Alice');
    for (const secret of ['alice@example.com', '4111 1111 1111 1111', '5500005555555559', '123-45-6789', 'alice.backup'])
      expect(res.body).not.toContain(secret);
  });

  it('leaves responses of unmasked paths untouched (Content-Length, ETag kept)', async () => {
    const res = await curl(...auth(), `${base}/public/customers`);
    expect(res.headers).toContain('etag: "v1"');
    expect(JSON.parse(res.body)).toEqual(CUSTOMERS);
  });

  it('decompresses before masking (undici client)', async () => {
    const res = await request(`${base}/pii/customers.gz`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    const text = await res.body.text();
    expect(text).not.toContain('alice@example.com');
    expect((JSON.parse(text) as typeof CUSTOMERS).customers[1]?.email).toBe('***@*******.org');
    // The upstream was asked only for encodings the agent can decode.
    expect(seen.findLast((s) => s.url === '/pii/customers.gz')?.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('masks text line by line with the detectors, and refuses text where field rules apply (they name JSON keys)', async () => {
    const res = await curl(...auth(), `${base}/logs/app`);
    expect(res.body).toBe('line 1 [redacted]\nline 2 ok\n');
    const fields = await curl(...auth(), `${base}/pii/log`);
    expect(fields.status).toBe(502);
    expect(fields.body).not.toContain('dave@example.com');
    expect((JSON.parse(fields.body) as { message: string }).message).toMatch(/masked by field but is text/);
  });

  it('fails closed: a masked response that does not parse, or cannot be masked, is refused', async () => {
    const broken = await curl(...auth(), `${base}/pii/broken`);
    expect(broken.status).toBe(502);
    expect(broken.body).not.toContain('carol@example.com');
    expect((JSON.parse(broken.body) as { message: string }).message).toMatch(/could not be masked/);
    const binary = await curl(...auth(), `${base}/pii/binary`);
    expect(binary.status).toBe(502);
    expect(binary.body).not.toContain('alice@example.com');
  });

  it('sends the agent’s credentials upstream, never the client token, hop-by-hop or spoofed forwarding headers', async () => {
    const res = await curl(
      ...auth(),
      '-H',
      'Connection: keep-alive, X-Hop',
      '-H',
      'X-Hop: 1',
      '-H',
      'Proxy-Authorization: Basic Zm9vOmJhcg==',
      '-H',
      'X-Forwarded-For: 6.6.6.6',
      '-H',
      'X-Custom: kept',
      `${base}/echo?q=1`,
    );
    const echoed = JSON.parse(res.body) as { headers: Record<string, string>; url: string };
    expect(echoed.headers.authorization).toBe(`Bearer ${upstreamSecret}`);
    expect(JSON.stringify(echoed.headers)).not.toContain(token);
    expect(echoed.headers['x-hop']).toBeUndefined();
    expect(echoed.headers['proxy-authorization']).toBeUndefined();
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-custom']).toBe('kept');
    expect(echoed.url).toBe('/echo?q=1');
    // The upstream credential never flows back to the client either.
    expect(res.headers).not.toContain(upstreamSecret);
  });

  it('requires a valid bearer token', async () => {
    const none = await curl(`${base}/public/customers`);
    expect(none.status).toBe(401);
    expect(none.headers).toContain('www-authenticate: bearer realm="sluice"');
    const bad = await curl('-H', 'Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', `${base}/public/customers`);
    expect(bad.status).toBe(401);
    expect(bad.body).not.toContain('eyJhbGciOiJub25lIn0');
  });

  it('refuses request targets that are not paths', async () => {
    const res = await curl('--request-target', 'http://evil.example/steal', ...auth(), `${base}/`);
    expect(res.status).toBe(400);
  });

  it('streams request bodies to the upstream and enforces the body limit', async () => {
    const size = 5 * 1024 * 1024;
    const chunks = (function* () {
      for (let sent = 0; sent < size; sent += 65_536) yield Buffer.alloc(Math.min(65_536, size - sent), 1);
    })();
    const res = await request(`${base}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Readable.from(chunks),
    });
    expect(((await res.body.json()) as { bodyBytes: number }).bodyBytes).toBe(size);
    const tooBig = await request(`${base}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-length': String(9 * 1024 * 1024) },
      body: Buffer.alloc(9 * 1024 * 1024),
    });
    expect(tooBig.statusCode).toBe(413);
    await tooBig.body.dump();
  });

  it('streams large responses through', async () => {
    const bytes = 32 * 1024 * 1024;
    const res = await request(`${base}/download?bytes=${bytes}`, { headers: { authorization: `Bearer ${token}` } });
    let received = 0;
    for await (const chunk of res.body) received += (chunk as Buffer).length;
    expect(received).toBe(bytes);
  });

  it('records method, path, redacted query, decision, status, sizes and a masked preview in one session per token', async () => {
    await curl(...auth(), `${base}/echo?api_key=sk_live_supersecret&page=2`);
    // Recording is asynchronous (agent batch → gRPC → control-plane insert), and the agent records
    // this request's completion only after the response has gone out. Earlier tests already left a
    // preview and an /echo request in the session, so wait for this request's own events: its
    // `command.received`, and its `command.completed` (which carries its preview).
    const thisRequest = (e: EventJson): boolean => /^GET \/echo\?.*page=2/.test(String(e.payload['text']));
    const events = await waitFor(
      async () => {
        const list = await sessionEvents();
        return list.some((e) => e.kind === 'command.received' && thisRequest(e)) &&
          list.some((e) => e.kind === 'command.completed' && thisRequest(e)) &&
          list.some((e) => e.kind === 'command.completed' && e.payload['preview'] !== undefined)
          ? list
          : undefined;
      },
      15_000,
      'the recorded events of GET /echo?…&page=2',
    );
    const text = JSON.stringify(events);
    // The /echo upstream repeats the request in its body: only its preview could hold the query, and
    // the agent's own credential is scrubbed from previews even then.
    expect(JSON.stringify(events.map((e) => ({ ...e, payload: { ...e.payload, preview: undefined } })))).not.toContain(
      'sk_live_supersecret',
    );
    expect(text).not.toContain(upstreamSecret);
    expect(text).not.toContain(token);
    expect(text).not.toContain('alice@example.com');
    const received = events.find((e) => e.kind === 'command.received' && String(e.payload['query']).includes('page=2'));
    expect(received?.payload).toMatchObject({ method: 'GET', path: '/echo', query: 'api_key=[redacted]&page=2', classes: ['http.GET'] });
    const denied = events.find((e) => e.kind === 'command.decided' && e.payload['effect'] === 'deny');
    expect(denied?.payload).toMatchObject({ ruleIds: ['deny-admin-delete'] });
    const completed = events.filter((e) => e.kind === 'command.completed');
    expect(
      completed.some(
        (e) => e.payload['status'] === 200 && Number(e.payload['bytesOut']) > 0 && typeof e.payload['durationMs'] === 'number',
      ),
    ).toBe(true);
    const previews = events.flatMap((e) =>
      e.kind === 'command.completed' && e.payload['preview'] ? [e.payload['preview'] as { text: string }] : [],
    );
    const preview = previews.find((p) => p.text.includes('customers'));
    expect(preview?.text).toContain('**** **** **** 1111');
    const sessions = await getJson<{ id: string }[]>(`${cp.httpUrl}/api/v1/sessions?connection=internal-api`, adminToken);
    expect(sessions).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'session.opened')).toHaveLength(1);
  });

  it('refuses a revoked principal’s requests right after the push', async () => {
    const sessions = await getJson<{ principalId: string }[]>(`${cp.httpUrl}/api/v1/sessions?connection=internal-api`, adminToken);
    const principalId = sessions[0]!.principalId;
    const revoke = await fetch(`${cp.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'token leaked' }),
    });
    expect(revoke.status).toBe(200);
    await agent.waitForLog((line) => line.msg === 'principal revoked: sessions ended', 5_000);
    const res = await curl(...auth(), `${base}/public/customers`);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/revoked/);
  });
});
