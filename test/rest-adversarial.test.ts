// Adversarial review of the control plane's REST API, as an attacker holding a valid token for a
// low-privilege principal (demo-agent, group ai-agents) or for an approver: role checks on every
// route (IDOR on ids), approval integrity (self-approval through a second identity, minApprovals,
// races, expired and used approvals), access requests and grants, revocation, input hardening
// (bodies, query strings, YAML), secrets in logs and the development issuer.
//
// Tests titled "HOLE:" fail on purpose: each describes a weakness found by this review (see the
// report that came with this file); the others are kept as regression tests.
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, waitFor, type TestDatabase } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/fake-agent.js';
import {
  CONTROL_PLANE_CLI,
  CONTROL_PLANE_MAIN,
  DEV_ISSUER_SECRET,
  devToken,
  startControlPlane,
  type RunningControlPlane,
} from './support/system.js';

const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open] }
    effect: allow
  - id: two-person-rule
    description: Deletes by agents need two approvers
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.delete], tables: [orders] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 300, minApprovals: 2 } }
  - id: quick-review
    description: Ledger updates wait one second only
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.update], tables: [ledger] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 1 } }
  - id: single-review
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.insert, sql.dml.update], tables: [orders] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 300 } }
  - id: secrets-with-a-grant
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.select], tables: [secrets] }
    when: "'write-access' in grants"
    effect: allow
  - id: agents-read
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.select], tables: [orders] }
    effect: allow
`;

/** The same policy with inserts on orders tightened: two approvers from the security group. */
const STRICTER_POLICY = POLICY.replace(
  'effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 300 } }',
  'effect: { review: { approverGroups: [security], timeoutSeconds: 300, minApprovals: 2 } }',
);

const HOOK_SECRET = 'rest-adversarial-webhook-secret-0123';
const CORP_TENANT = 'c0ffee00-0000-4000-8000-000000000001';
const CORP_API = '22222222-3333-4444-5555-666666666666';
const ALICE_OID = 'a11ce000-0000-4000-8000-000000000001';

interface ApprovalJson {
  id: string;
  kind: string;
  status: string;
  principalId: string;
  command: string | null;
  minApprovals: number;
  grant: string | null;
  grantExpiresAt: string | null;
  actions?: { actorId: string; action: string }[];
}

interface WebhookCall {
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A second trusted Entra tenant whose keys the test holds (public-cloud issuer strings, keys served
 * on loopback through `jwksUri`): it mints v1 and v2 tokens with any oid, app, group or role.
 */
class CorpIssuer {
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly kid = 'corp-key-1';
  private server: Server | undefined;
  keysHost = '';

  async start(): Promise<void> {
    const port = await freePort();
    this.keysHost = `http://127.0.0.1:${port}`;
    const jwk = { ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => {
      if (req.url === `/${CORP_TENANT}/discovery/v2.0/keys`)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
  }

  close(): void {
    this.server?.close();
  }

  /** The `identity.issuers` entry of sluice.yaml. */
  configYaml(): string {
    return `identity:
  issuers:
    - kind: entra
      name: corp
      tenants: ['${CORP_TENANT}']
      audiences: ['${CORP_API}']
      jwksUri: '${this.keysHost}/{tenantid}/discovery/v2.0/keys'
`;
  }

  /** A user token (v2 unless told otherwise) for `oid`, obtained through app `azp`. */
  token(options: { oid: string; azp: string; groups?: string[]; roles?: string[]; name?: string; v1?: boolean }): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: CORP_API,
      iss: options.v1 ? `https://sts.windows.net/${CORP_TENANT}/` : `https://login.microsoftonline.com/${CORP_TENANT}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      oid: options.oid,
      sub: `pairwise-${options.azp}-${options.oid}`,
      tid: CORP_TENANT,
      ver: options.v1 ? '1.0' : '2.0',
      [options.v1 ? 'appid' : 'azp']: options.azp,
      idtyp: 'user',
      scp: 'access_as_user',
      name: options.name ?? 'Corp user',
      uti: randomUUID(),
      ...(options.groups ? { groups: options.groups } : {}),
      ...(options.roles ? { roles: options.roles } : {}),
    };
    return sign(this.keys.privateKey, { alg: 'RS256', typ: 'JWT', kid: this.kid }, claims);
  }
}

function sign(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
  return `${input}.${signature}`;
}

describe('REST API under attack', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let fake: FakeAgent;
  const corp = new CorpIssuer();
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  const webhookCalls: WebhookCall[] = [];
  let webhookServer: Server;
  let policyFile = '';
  let adminToken = '';
  let agentToken = '';
  let approverToken = '';
  // Corp identities: Alice is one human with an agent app and an approver app; Bob and Carol are approvers.
  let aliceAsAgent = '';
  let aliceAsApprover = '';
  let aliceV1Approver = '';
  let bobApprover = '';
  let carolApprover = '';
  let agentSession = '';
  let agentBillingSession = '';
  let aliceSession = '';
  let agentPrincipalId = '';
  const allTokens: string[] = [];

  const url = (path: string) => `${cp.httpUrl}/api/v1${path}`;
  const get = (path: string, token?: string) =>
    fetch(url(path), token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const post = (path: string, token: string, body?: unknown, contentType = 'application/json') =>
    fetch(url(path), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: body === undefined ? '{}' : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const put = (path: string, token: string, body: string, contentType: string) =>
    fetch(url(path), { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  const act = (id: string, action: 'approve' | 'deny', token: string) =>
    post(`/approvals/${id}/${action}`, token, { comment: `${action} (test)` });
  const approval = async (id: string): Promise<ApprovalJson> => (await (await get(`/approvals/${id}`, adminToken)).json()) as ApprovalJson;

  /** Holds a command for review through the agent link; returns the approval id. */
  async function held(sessionId: string, classes: string[], table: string, text: string): Promise<string> {
    const decision = await fake.decide(sessionId, { classes, tables: [table], text });
    expect(decision.effect).toBe('review');
    expect(decision.approvalId).not.toBe('');
    return decision.approvalId;
  }

  async function accessRequest(token: string, body: Record<string, unknown>): Promise<Response> {
    return post('/access-requests', token, {
      connection: 'orders-db',
      grant: 'write-access',
      durationSeconds: 600,
      reason: 'INC-1 hotfix',
      approverGroups: ['db-approvers'],
      ...body,
    });
  }

  beforeAll(async () => {
    webhookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        webhookCalls.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    const webhookPort = await freePort();
    await new Promise<void>((r) => webhookServer.listen(webhookPort, '127.0.0.1', () => r()));
    await corp.start();

    db = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'rest-adversarial-'));
    policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    await writeFile(
      join(dir, 'sluice.yaml'),
      `${corp.configYaml()}approvals:\n  webhooks:\n    - { name: everyone, url: "http://127.0.0.1:${webhookPort}/hook", secretEnv: HOOK_SECRET, groups: [] }\n`,
    );
    cp = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_POLICY_FILE: policyFile,
      SLUICE_CONFIG_FILE: join(dir, 'sluice.yaml'),
      HOOK_SECRET,
    });
    adminToken = await devToken(cp, 'demo-admin');
    agentToken = await devToken(cp, 'demo-agent');
    approverToken = await devToken(cp, 'demo-approver');
    aliceAsAgent = corp.token({ oid: ALICE_OID, azp: 'alice-agent-app', groups: ['ai-agents'], name: 'Alice' });
    aliceAsApprover = corp.token({
      oid: ALICE_OID,
      azp: 'alice-approver-app',
      groups: ['db-approvers'],
      roles: ['Sluice.Approver'],
      name: 'Alice',
    });
    aliceV1Approver = corp.token({ oid: ALICE_OID, azp: 'alice-v1-app', groups: ['db-approvers'], roles: ['Sluice.Approver'], v1: true });
    bobApprover = corp.token({ oid: randomUUID(), azp: 'bob-app', groups: ['db-approvers'], roles: ['Sluice.Approver'], name: 'Bob' });
    carolApprover = corp.token({ oid: randomUUID(), azp: 'carol-app', groups: ['other-team'], roles: ['Sluice.Approver'], name: 'Carol' });
    allTokens.push(adminToken, agentToken, approverToken, aliceAsAgent, aliceAsApprover, aliceV1Approver, bobApprover, carolApprover);

    fake = new FakeAgent(cp.grpcPort, agentKey, 'adversarial-agent', ['orders-db', 'billing-db']);
    await fake.ready();
    const opened = await fake.openSession('orders-db', agentToken);
    agentSession = opened.sessionId;
    agentPrincipalId = opened.principalId;
    agentBillingSession = (await fake.openSession('billing-db', agentToken)).sessionId;
    aliceSession = (await fake.openSession('orders-db', aliceAsAgent)).sessionId;
  });

  afterAll(async () => {
    fake.close();
    await cp.process.stop();
    webhookServer.close();
    corp.close();
    await db.drop();
  });

  describe('role checks on every route (IDOR on ids)', () => {
    it('refuses low-privilege principals every auditor/admin route, whatever id they name', async () => {
      const sessionPaths = ['', `/${agentSession}`, `/${agentSession}/events`, `/${agentSession}/verify`, `/${agentSession}/replay`];
      const reads = [
        ...sessionPaths.map((p) => `/sessions${p}`),
        `/sessions?principal=${encodeURIComponent(agentPrincipalId)}`,
        '/audit/export',
        '/principals',
        '/agents',
        '/connections',
        '/policy',
        '/policy/versions',
        '/policy/versions/1',
      ];
      for (const token of [agentToken, approverToken, bobApprover]) {
        for (const path of reads) expect({ path, status: (await get(path, token)).status }).toEqual({ path, status: 403 });
      }
      const writes: [string, unknown][] = [
        [`/principals/${encodeURIComponent(agentPrincipalId)}/revoke`, { reason: 'x' }],
        [`/principals/${encodeURIComponent(agentPrincipalId)}/unrevoke`, {}],
        ['/policy/rollback/1', {}],
        ['/policy/explain', { principalId: agentPrincipalId, connection: 'orders-db', command: { text: 'SELECT 1' } }],
      ];
      for (const token of [agentToken, approverToken]) {
        for (const [path, body] of writes) expect({ path, status: (await post(path, token, body)).status }).toEqual({ path, status: 403 });
        expect((await put('/policy', token, 'rules: []\n', 'application/yaml')).status).toBe(403);
      }
      // The agent principal may not read or act on approvals at all, not even its own.
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (100)');
      for (const path of ['/approvals', `/approvals/${id}`]) expect((await get(path, agentToken)).status).toBe(403);
      for (const action of ['approve', 'deny'] as const) expect((await act(id, action, agentToken)).status).toBe(403);
      expect((await approval(id)).status).toBe('pending');
    });

    it('refuses missing, malformed and query-string tokens with 401', async () => {
      expect((await get('/approvals')).status).toBe(401);
      for (const header of [`Bearer ${approverToken} extra`, `Basic ${approverToken}`, `Bearer`, `Bearer  `, approverToken]) {
        expect((await fetch(url('/approvals'), { headers: { authorization: header } })).status).toBe(401);
      }
      expect((await get(`/approvals?access_token=${approverToken}`)).status).toBe(401);
      const forged = await get('/approvals', `${approverToken.slice(0, -8)}AAAAAAAA`);
      expect(forged.status).toBe(401);
      expect(await forged.text()).not.toContain(approverToken.slice(0, 40));
      // alg=none with demo-approver's claims.
      const [, payload] = approverToken.split('.');
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload ?? ''}.`;
      expect((await get('/approvals', unsigned)).status).toBe(401);
    });
  });

  describe('approval integrity', () => {
    it('refuses self-approval through a second app (and a v1 token) of the same human (same tid/oid)', async () => {
      const requested = await accessRequest(aliceAsAgent, { reason: 'alice needs write access' });
      expect(requested.status).toBe(201);
      const { id, principalId } = (await requested.json()) as ApprovalJson;
      expect(principalId).toBe(`entra:${CORP_TENANT}:${ALICE_OID}`);
      for (const token of [aliceAsApprover, aliceV1Approver]) {
        for (const action of ['approve', 'deny'] as const) {
          const response = await act(id, action, token);
          expect(response.status).toBe(403);
          expect(((await response.json()) as { message: string }).message).toMatch(/own request/);
        }
      }
      expect((await approval(id)).status).toBe('pending');
      expect((await act(id, 'approve', bobApprover)).status).toBe(200);
    });

    it('refuses self-approval of a held command through a second app of the same human', async () => {
      const id = await held(aliceSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (200)');
      expect((await act(id, 'approve', aliceAsApprover)).status).toBe(403);
      expect((await approval(id)).status).toBe('pending');
    });

    it('does not let one approver approve twice to satisfy minApprovals: 2, nor an outsider or a non-approver', async () => {
      const id = await held(agentSession, ['sql.dml.delete'], 'public.orders', 'DELETE FROM orders WHERE id = 1');
      expect((await approval(id)).minApprovals).toBe(2);
      expect((await act(id, 'approve', approverToken)).status).toBe(200);
      const twice = await act(id, 'approve', approverToken);
      expect(twice.status).toBe(409);
      expect((await approval(id)).status).toBe('pending');
      // Carol holds the approver role but is not in db-approvers; the admin is in no approver role.
      expect((await act(id, 'approve', carolApprover)).status).toBe(403);
      expect((await act(id, 'approve', adminToken)).status).toBe(403);
      expect((await approval(id)).status).toBe('pending');
      // Not usable while pending.
      const early = await fake.decide(agentSession, {
        classes: ['sql.dml.delete'],
        tables: ['public.orders'],
        text: 'DELETE FROM orders WHERE id = 1',
      });
      expect(early.effect).toBe('review');
      expect(early.approvalId).toBe(id);
      expect((await act(id, 'approve', bobApprover)).status).toBe(200);
      const done = await approval(id);
      expect(done.status).toBe('approved');
      expect(new Set(done.actions?.map((a) => a.actorId)).size).toBe(2);
    });

    it('counts one approval when the same approver fires five approvals at once (race)', async () => {
      const id = await held(agentSession, ['sql.dml.delete'], 'public.orders', 'DELETE FROM orders WHERE id = 2');
      const statuses = await Promise.all(Array.from({ length: 5 }, () => act(id, 'approve', approverToken).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(4);
      const after = await approval(id);
      expect(after.status).toBe('pending');
      expect(after.actions).toHaveLength(1);
    });

    it('resolves a race of approve and deny by two approvers exactly once', async () => {
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (300)');
      const [approved, denied] = await Promise.all([act(id, 'approve', approverToken), act(id, 'deny', bobApprover)]);
      expect([approved.status, denied.status].sort()).toEqual([200, 409]);
      const after = await approval(id);
      expect(after.status).toBe(approved.status === 200 ? 'approved' : 'denied');
      expect(after.actions).toHaveLength(1);
    });

    it('refuses to approve an expired request, and the statement stays held', async () => {
      const text = 'UPDATE ledger SET amount = 0';
      const id = await held(agentSession, ['sql.dml.update'], 'public.ledger', text);
      await new Promise((r) => setTimeout(r, 1_500));
      const late = await act(id, 'approve', approverToken);
      expect(late.status).toBe(409);
      expect((await approval(id)).status).toBe('expired');
      const again = await fake.decide(agentSession, { classes: ['sql.dml.update'], tables: ['public.ledger'], text });
      expect(again.effect).toBe('review');
      expect(again.approvalId).not.toBe(id);
    });

    it('binds an approval to its principal and connection, lets it run once, and refuses to approve it again', async () => {
      const text = 'INSERT INTO orders VALUES (400)';
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', text);
      expect((await act(id, 'approve', approverToken)).status).toBe(200);
      // Another principal (Alice) and another connection of the same principal do not get it.
      const other = await fake.decide(aliceSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text });
      expect(other).toMatchObject({ effect: 'review' });
      expect(other.approvalId).not.toBe(id);
      const elsewhere = await fake.decide(agentBillingSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text });
      expect(elsewhere.effect).toBe('review');
      expect(elsewhere.approvalId).not.toBe(id);
      // A near-identical text does not match either.
      const variant = await fake.decide(agentSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text: `${text} ` });
      expect(variant.effect).toBe('review');
      // The approved statement runs once.
      const first = await fake.decide(agentSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text });
      expect(first).toMatchObject({ effect: 'allow', approvalId: id });
      expect((await approval(id)).status).toBe('consumed');
      expect((await act(id, 'approve', bobApprover)).status).toBe(409);
      expect((await act(id, 'deny', bobApprover)).status).toBe(409);
      const second = await fake.decide(agentSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text });
      expect(second.effect).toBe('review');
      expect(second.approvalId).not.toBe(id);
    });

    it('answers 404 for an unknown approval and 400 for ids that are not UUIDs', async () => {
      expect((await act(randomUUID(), 'approve', approverToken)).status).toBe(404);
      for (const id of ["1' OR '1'='1", '00000000-0000-0000-0000-000000000000; DROP TABLE approval_requests', '..%2F..%2Fprincipals']) {
        expect((await post(`/approvals/${encodeURIComponent(id)}/approve`, approverToken, { comment: 'x' })).status).toBe(400);
        expect((await get(`/approvals/${encodeURIComponent(id)}`, approverToken)).status).toBe(400);
      }
    });

    it('refuses extra fields in an approval body (no status or approver smuggling)', async () => {
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (500)');
      for (const body of [
        { comment: 'ok', status: 'approved' },
        { comment: 'ok', principalId: 'someone-else' },
        { comment: '' },
        { comment: 'x'.repeat(1_001) },
        { comment: ['ok'] },
      ]) {
        expect((await post(`/approvals/${id}/approve`, approverToken, body)).status).toBe(400);
      }
      expect((await post(`/approvals/${id}/approve`, approverToken, 'comment: ok', 'application/yaml')).status).toBe(400);
      expect((await approval(id)).status).toBe('pending');
    });

    it('closed hole — an approval granted under one rule still lets the statement through after the policy requires stricter review', async () => {
      const text = 'INSERT INTO orders VALUES (600)';
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', text);
      expect((await act(id, 'approve', approverToken)).status).toBe(200);
      // An admin tightens the rule: two approvers from the security group from now on.
      expect((await put('/policy', adminToken, STRICTER_POLICY, 'application/yaml')).status).toBe(200);
      try {
        const decision = await fake.decide(agentSession, { classes: ['sql.dml.insert'], tables: ['public.orders'], text });
        // The one db-approvers approval, given under the old rule, should not satisfy the new one.
        expect({ effect: decision.effect, approvalId: decision.approvalId === id ? 'the old approval' : 'a new one' }).toEqual({
          effect: 'review',
          approvalId: 'a new one',
        });
      } finally {
        expect((await put('/policy', adminToken, POLICY, 'application/yaml')).status).toBe(200);
      }
    });
  });

  describe('access requests and grants', () => {
    it('refuses out-of-range durations, bad names and smuggled fields', async () => {
      const bad: Record<string, unknown>[] = [
        { durationSeconds: -3600 },
        { durationSeconds: 0 },
        { durationSeconds: 59 },
        { durationSeconds: 7 * 24 * 3600 + 1 },
        { durationSeconds: 1e308 },
        { durationSeconds: 3600.5 },
        { durationSeconds: '3600' },
        { durationSeconds: null },
        { grant: 'write-access; DROP TABLE x' },
        { grant: 'Write Access' },
        { grant: '' },
        { connection: '../orders-db' },
        { connection: "orders-db' OR '1'='1" },
        { approverGroups: Array.from({ length: 21 }, (_, i) => `g${i}`) },
        { reason: '' },
        { reason: 'x'.repeat(1_001) },
        { status: 'approved' },
        { minApprovals: 0 },
        { principalId: 'entra:someone-else' },
        { grantExpiresAt: '2099-01-01T00:00:00Z' },
        { grantSeconds: 99999999 },
      ];
      for (const body of bad) expect({ body, status: (await accessRequest(agentToken, body)).status }).toEqual({ body, status: 400 });
    });

    it('grants exactly what was approved, on that connection only, and revocation takes effect at once', async () => {
      const select = { classes: ['sql.dml.select'], tables: ['public.secrets'], text: 'SELECT * FROM secrets' };
      expect((await fake.decide(agentSession, select)).effect).toBe('deny');
      const requested = await accessRequest(agentToken, { durationSeconds: 120 });
      expect(requested.status).toBe(201);
      const request = (await requested.json()) as ApprovalJson;
      expect(request).toMatchObject({ status: 'pending', kind: 'access', minApprovals: 1, grant: 'write-access', grantExpiresAt: null });
      expect((await fake.decide(agentSession, select)).effect).toBe('deny'); // pending grants nothing

      const before = Date.now();
      const approved = await act(request.id, 'approve', approverToken);
      expect(approved.status).toBe(200);
      const grant = (await approved.json()) as ApprovalJson;
      const expiresAt = new Date(grant.grantExpiresAt ?? 0).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 119_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 121_000);
      expect((await fake.decide(agentSession, select)).effect).toBe('allow');
      expect((await fake.decide(agentBillingSession, select)).effect).toBe('deny'); // another connection

      // Neither an approver nor another principal may revoke someone else's grant; the requester may.
      expect((await post(`/access-requests/${request.id}/revoke`, approverToken, { comment: 'mine now' })).status).toBe(403);
      expect((await post(`/access-requests/${request.id}/revoke`, aliceAsAgent, { comment: 'mine now' })).status).toBe(403);
      const revoked = await post(`/access-requests/${request.id}/revoke`, agentToken, { comment: 'done' });
      expect(revoked.status).toBe(200);
      expect((await fake.decide(agentSession, select)).effect).toBe('deny');
      expect((await post(`/access-requests/${request.id}/revoke`, agentToken, { comment: 'again' })).status).toBe(409);
      expect((await act(request.id, 'approve', bobApprover)).status).toBe(409);
      expect((await fake.decide(agentSession, select)).effect).toBe('deny');
    });

    it('does not revoke a command approval through the access-request route', async () => {
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (700)');
      expect((await post(`/access-requests/${id}/revoke`, adminToken, { comment: 'x' })).status).toBe(404);
    });

    it('closed hole — a low-privilege principal cannot flood approvers with access requests (and webhooks)', async () => {
      // A principal of its own, so its capped pending requests do not affect the other tests.
      const flooder = corp.token({ oid: randomUUID(), azp: 'flood-app', groups: ['ai-agents'], name: 'Flooder' });
      allTokens.push(flooder);
      const before = webhookCalls.length;
      // The same request again is the pending one (no new webhook).
      const same = await Promise.all(Array.from({ length: 20 }, () => accessRequest(flooder, { grant: 'same-grant' })));
      const ids = new Set(await Promise.all(same.map(async (r) => ((await r.json()) as ApprovalJson).id)));
      expect(ids.size).toBe(1);
      // Different ones are capped per principal: 429 beyond the limit.
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => accessRequest(flooder, { grant: `flood-${i}`, approverGroups: [] }).then((r) => r.status)),
      );
      expect(statuses).toContain(429);
      expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(10);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(webhookCalls.length - before).toBeLessThanOrEqual(10);
    });

    it('closed hole — webhook text carries requester-controlled Slack markup unescaped (phishing links, @channel)', async () => {
      const reason = 'urgent <!channel> <https://evil.example/approve|Approve in Sluice>';
      const requested = await accessRequest(agentToken, { reason });
      expect(requested.status).toBe(201);
      const { id } = (await requested.json()) as ApprovalJson;
      const call = await waitFor(() => webhookCalls.find((c) => c.headers['x-sluice-event'] === 'access.requested' && c.body.includes(id)));
      const body = JSON.parse(call.body) as { text: string };
      // Slack mrkdwn needs &, < and > escaped in untrusted text; otherwise the requester controls links and mentions.
      expect(body.text).not.toContain('<https://evil.example');
      expect(body.text).not.toContain('<!channel>');
    });
  });

  describe('revocation', () => {
    it('refuses a revoked principal’s still-valid token on REST at once, including an approver acting', async () => {
      const daveOid = randomUUID();
      const dave = corp.token({ oid: daveOid, azp: 'dave-app', groups: ['db-approvers'], roles: ['Sluice.Approver'], name: 'Dave' });
      allTokens.push(dave);
      const daveId = `entra:${CORP_TENANT}:${daveOid}`;
      // Not seen yet: cannot be revoked ahead of time.
      expect((await post(`/principals/${encodeURIComponent(daveId)}/revoke`, adminToken, { reason: 'leaked' })).status).toBe(404);
      expect((await get('/approvals', dave)).status).toBe(200);
      const id = await held(agentSession, ['sql.dml.insert'], 'public.orders', 'INSERT INTO orders VALUES (800)');
      expect((await post(`/principals/${encodeURIComponent(daveId)}/revoke`, adminToken, { reason: 'leaked' })).status).toBe(200);
      const refused = await get('/approvals', dave);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { code: string }).code).toBe('revoked');
      expect((await act(id, 'approve', dave)).status).toBe(401);
      expect((await post('/access-requests', dave, { connection: 'orders-db', grant: 'x', durationSeconds: 60, reason: 'r' })).status).toBe(
        401,
      );
      expect((await approval(id)).status).toBe('pending');
      // A fresh token for the same principal is refused too.
      const fresh = corp.token({ oid: daveOid, azp: 'another-dave-app', roles: ['Sluice.Approver'] });
      allTokens.push(fresh);
      expect((await get('/approvals', fresh)).status).toBe(401);
      expect((await post(`/principals/${encodeURIComponent(daveId)}/unrevoke`, adminToken)).status).toBe(200);
      expect((await get('/approvals', dave)).status).toBe(200);
    });
  });

  describe('input hardening', () => {
    it('treats filter values as data and refuses unknown, oversized and malformed query parameters', async () => {
      const sessions = await get(`/sessions?principal=${encodeURIComponent("' OR '1'='1' --")}`, adminToken);
      expect(sessions.status).toBe(200);
      expect(await sessions.json()).toEqual([]);
      for (const query of [
        'sort=id%3BDROP%20TABLE%20sessions',
        'orderBy=principal_id',
        'limit=100000',
        'limit=-1',
        'limit=1e3',
        'limit=abc',
        "effect=allow'--",
        'principal[]=a&principal[]=b',
        'principal[$ne]=x',
        'from=yesterday',
        `cursor=${'A'.repeat(201)}`,
        'cursor=not-a-cursor',
      ]) {
        expect({ query, status: (await get(`/sessions?${query}`, adminToken)).status }).toEqual({ query, status: 400 });
      }
      for (const query of ["status=pending'--", 'status=pending&status=approved', 'limit=0', 'limit=501', 'where=1']) {
        expect({ query, status: (await get(`/approvals?${query}`, approverToken)).status }).toEqual({ query, status: 400 });
      }
      for (const query of ['afterSeq=-1', 'afterSeq=1e30', 'limit=5001', 'seq=1']) {
        expect({ query, status: (await get(`/sessions/${agentSession}/replay?${query}`, adminToken)).status }).toEqual({
          query,
          status: 400,
        });
      }
      for (const query of ["from=' OR 1=1", 'from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', 'format=csv']) {
        expect({ query, status: (await get(`/audit/export?${query}`, adminToken)).status }).toEqual({ query, status: 400 });
      }
    });

    it('closed hole — a forged session cursor that overflows bigint is a 500, not a 400', async () => {
      const cursor = Buffer.from(`9999999999999999999_${randomUUID()}`, 'utf8').toString('base64url');
      const response = await get(`/sessions?cursor=${cursor}`, adminToken);
      const text = await response.text();
      expect(text).not.toMatch(/SELECT|session_events|out of range/i); // no SQL in the answer either way
      expect(response.status).toBe(400);
    });

    it('refuses oversized and deeply nested JSON bodies without a server error', async () => {
      const huge = JSON.stringify({ connection: 'orders-db', grant: 'g', durationSeconds: 60, reason: 'x'.repeat(2_000_000) });
      const tooBig = await post('/access-requests', agentToken, huge);
      expect(tooBig.status).toBe(413);
      const anonymous = await fetch(url('/access-requests'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: huge,
      });
      expect([401, 413]).toContain(anonymous.status);
      const deep = `{"connection":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
      expect((await post('/access-requests', agentToken, deep)).status).toBe(400);
      const explainDeep = `{"principalId":"x","connection":"orders-db","command":{"text":"SELECT 1","http":${'{"a":'.repeat(15_000)}1${'}'.repeat(15_000)}}}`;
      expect((await post('/policy/explain', adminToken, explainDeep)).status).toBe(400);
      expect((await post('/access-requests', agentToken, '{"connection": "orders-db",', 'application/json')).status).toBe(400);
      // __proto__ in a body is ignored (the schema builds a fresh object): no error, no privilege.
      const proto = '{"__proto__":{"roles":["admin"]},"connection":"orders-db","grant":"g","durationSeconds":60,"reason":"r"}';
      expect([201, 400]).toContain((await post('/access-requests', agentToken, proto)).status);
      expect((await get('/approvals', agentToken)).status).toBe(403);
      expect(cp.process.child.exitCode).toBeNull();
    });

    it('closed hole — a deeply nested JSON policy upload (admin) crashes the request with a 500 instead of a 400', async () => {
      const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      const response = await put('/policy', adminToken, deep, 'application/json');
      expect(response.status).toBe(400);
    });

    it('refuses hostile YAML policies (billion laughs, js tags, merge bombs) quickly, activating nothing', async () => {
      const before = (await (await get('/policy', adminToken)).json()) as { version: number };
      const laughs = [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        ...Array.from({ length: 9 }, (_, i) => {
          const name = String.fromCharCode(98 + i);
          const prev = String.fromCharCode(97 + i);
          return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`;
        }),
        'rules: []',
      ].join('\n');
      const hostile = [
        laughs,
        'rules: !!js/function "function(){ process.exit(1) }"\n',
        'rules:\n  - !!js/undefined\n',
        'rules: !!binary aGVsbG8=\n',
        '!!python/object/apply:os.system ["id"]\n',
        `rules:\n  - id: x\n    match: &m { commands: [session.open] }\n    effect: allow\n${Array.from({ length: 150 }, (_, i) => `  - id: r${i}\n    match: *m\n    effect: allow\n`).join('')}`,
        `rules: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
        '---\nrules: []\n---\nrules: []\n',
      ];
      for (const yaml of hostile) {
        const started = Date.now();
        const response = await put('/policy', adminToken, yaml, 'application/yaml');
        expect({ yaml: yaml.slice(0, 60), status: response.status }).toEqual({ yaml: yaml.slice(0, 60), status: 400 });
        expect(Date.now() - started).toBeLessThan(3_000);
      }
      // Content-type confusion: form and plain-text bodies are not read as policies.
      expect((await put('/policy', adminToken, 'rules=[]', 'application/x-www-form-urlencoded')).status).toBe(415);
      expect((await put('/policy', adminToken, 'rules: []\n', 'text/plain')).status).toBe(415);
      expect((await put('/policy', adminToken, 'x'.repeat(1_100_000), 'application/yaml')).status).toBe(413);
      const after = (await (await get('/policy', adminToken)).json()) as { version: number };
      expect(after.version).toBe(before.version);
    });
  });

  describe('the development issuer', () => {
    const tokenRequest = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${cp.httpUrl}/dev-issuer/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form),
      });
    const base = { grant_type: 'client_credentials', scope: 'api://sluice/.default' };

    it('refuses wrong secrets, unknown clients, array-valued fields and foreign scopes', async () => {
      expect((await tokenRequest({ ...base, client_id: 'demo-admin', client_secret: 'wrong-secret-wrong-secret' })).status).toBe(401);
      expect((await tokenRequest({ ...base, client_id: 'root', client_secret: DEV_ISSUER_SECRET })).status).toBe(401);
      expect((await tokenRequest({ ...base, client_id: 'demo-admin', client_secret: '' })).status).toBe(401);
      expect((await tokenRequest({ ...base, 'client_id[]': 'demo-admin', client_secret: DEV_ISSUER_SECRET })).status).toBe(401);
      expect((await tokenRequest({ ...base, client_id: 'demo-admin', 'client_secret[$ne]': 'x' })).status).toBe(401);
      expect(
        (
          await tokenRequest({
            ...base,
            client_id: 'demo-admin',
            client_secret: DEV_ISSUER_SECRET,
            scope: 'https://graph.microsoft.com/.default',
          })
        ).status,
      ).toBe(400);
      expect((await tokenRequest({ grant_type: 'password', client_id: 'demo-admin', client_secret: DEV_ISSUER_SECRET })).status).toBe(400);
      const otherTenant = await fetch(`${cp.httpUrl}/dev-issuer/${CORP_TENANT}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...base, client_id: 'demo-admin', client_secret: DEV_ISSUER_SECRET }),
      });
      expect(otherTenant.status).toBe(404);
      // Basic credentials take precedence over a form client_id: no mixing of one client's secret with another's id.
      const basic = Buffer.from(`demo-agent:wrong-secret-wrong-secret`).toString('base64');
      expect(
        (await tokenRequest({ ...base, client_id: 'demo-admin', client_secret: DEV_ISSUER_SECRET }, { authorization: `Basic ${basic}` }))
          .status,
      ).toBe(401);
    });

    it('closed hole — malformed percent-encoding in Basic client credentials is a 500 on a public endpoint', async () => {
      const basic = Buffer.from('demo-admin%E0%A4%A:x%ZZ').toString('base64');
      const response = await tokenRequest(base, { authorization: `Basic ${basic}` });
      expect(response.status).toBe(401);
    });

    it('is refused at start when SLUICE_ENV=production', () => {
      const result = spawnSync(process.execPath, [CONTROL_PLANE_MAIN], {
        env: {
          PATH: process.env.PATH ?? '',
          SLUICE_ENV: 'production',
          SLUICE_DEV_ISSUER: 'true',
          SLUICE_DEV_ISSUER_SECRET: DEV_ISSUER_SECRET,
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('SLUICE_DEV_ISSUER');
    });
  });

  describe('secrets in answers and logs', () => {
    it('never writes a bearer token or a secret to the log, nor SQL at info or warn level', () => {
      const output = cp.process.output();
      expect(allTokens.length).toBeGreaterThan(8);
      for (const token of allTokens) expect(output).not.toContain(token.split('.')[2]!);
      expect(output).not.toContain(DEV_ISSUER_SECRET);
      expect(output).not.toContain(HOOK_SECRET);
      for (const line of cp.process.logs()) {
        if (line.level === 30 || line.level === 40)
          expect(JSON.stringify(line)).not.toMatch(/\bSELECT\b[\s\S]*\bFROM\b\s+(sessions|approval_requests)/);
      }
    });
  });
});
