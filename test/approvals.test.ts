// Issue 6 acceptance (approvals): a risky statement is held through the real agent until a human
// decides, on any control-plane replica; denials and timeouts fail cleanly; a client that could not
// wait may re-run the approved statement exactly once; webhooks are signed.
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, getJson, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';
import { tokenClient } from './support/postgres-clients.js';

const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open] }
    effect: allow
  - id: agents-read
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.select, sql.tcl.*] }
    effect: allow
  - id: agents-write-needs-review
    description: Changes made by AI agents wait for a database approver
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.insert, sql.dml.update, sql.dml.delete], tables: [orders, customers] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
  - id: agents-slow-review
    description: Writes to the ledger wait only three seconds
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.delete], tables: [ledger] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 3 } }
  - id: approvers-own-writes-need-review
    description: Even approvers' own writes are reviewed (by someone else)
    match: { principal: { groups: [db-approvers] }, commands: [sql.dml.update] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
  - id: approvers-read
    match: { principal: { groups: [db-approvers] }, commands: [sql.dml.select] }
    effect: allow
`;

const WEBHOOK_SECRET = 'approvals-webhook-secret-0123456789';

interface ApprovalJson {
  id: string;
  status: string;
  command: string | null;
  principalId: string;
  comment: string | null;
}

describe('approvals through the agent', () => {
  let controlDb: TestDatabase;
  let target: TestDatabase;
  let cpA: RunningControlPlane;
  let cpB: RunningControlPlane;
  let agent: ManagedProcess;
  let port = 0;
  let agentToken = '';
  let approverToken = '';
  const webhookCalls: { headers: IncomingMessage['headers']; body: string }[] = [];
  let webhookServer: ReturnType<typeof createServer>;
  const clients: pg.Client[] = [];

  const connect = async (token: string): Promise<pg.Client> => {
    const client = tokenClient(port, target.name, token);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    (client as pg.Client & { notices: string[] }).notices = notices;
    await client.connect();
    clients.push(client);
    return client;
  };
  const noticesOf = (client: pg.Client) => (client as pg.Client & { notices: string[] }).notices;
  const direct = async (sql: string): Promise<unknown[]> => {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as unknown[];
    } finally {
      await client.end();
    }
  };
  const pendingFor = async (command: string): Promise<ApprovalJson> =>
    waitFor(async () => {
      const list = await getJson<ApprovalJson[]>(`${cpA.httpUrl}/api/v1/approvals?status=pending`, approverToken);
      return list.find((a) => a.command === command);
    }, 20_000);
  const act = (cp: RunningControlPlane, id: string, action: 'approve' | 'deny', token: string, comment: string) =>
    fetch(`${cp.httpUrl}/api/v1/approvals/${id}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment }),
    });

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

    controlDb = await createTestDatabase();
    target = await createTestDatabase('sluice_target');
    await direct('CREATE TABLE orders (id int PRIMARY KEY, total int); INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 10) g');
    await direct('CREATE TABLE ledger (id int PRIMARY KEY); INSERT INTO ledger VALUES (1), (2)');
    const dir = await mkdtemp(join(tmpdir(), 'approvals-'));
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    await writeFile(
      join(dir, 'sluice.yaml'),
      `approvals:\n  webhooks:\n    - { name: db-team, url: "http://127.0.0.1:${webhookPort}/hook", secretEnv: HOOK_SECRET, groups: [db-approvers] }\n`,
    );
    const key = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
    const env = {
      SLUICE_DATABASE_URL: controlDb.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: key,
      SLUICE_POLICY_FILE: join(dir, 'policy.yaml'),
      SLUICE_CONFIG_FILE: join(dir, 'sluice.yaml'),
      HOOK_SECRET: WEBHOOK_SECRET,
    };
    cpA = await startControlPlane(env);
    cpB = await startControlPlane({ ...env, SLUICE_STATE_DIR: cpA.env.SLUICE_STATE_DIR!, SLUICE_PUBLIC_URL: cpA.httpUrl });
    port = await freePort();
    agent = await startAgent({
      agentId: 'approvals-agent',
      grpcPort: cpA.grpcPort,
      agentKey: key,
      env: { TARGET_PASSWORD: 'unused' },
      yaml: `connections:
  - name: orders-db
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${target.name}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: test }
`,
    });
    await agent.waitForLog((l) => l.msg === 'connected to the control plane', 60_000);
    agentToken = await devToken(cpA, 'demo-agent');
    approverToken = await devToken(cpA, 'demo-approver');
  });

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await agent.stop();
    await cpA.process.stop();
    await cpB.process.stop();
    webhookServer.close();
    await target.drop();
    await controlDb.drop();
  });

  it('holds a DELETE with a NOTICE, and runs it when an approver on another replica approves', async () => {
    const client = await connect(agentToken);
    const started = Date.now();
    const running = client.query('DELETE FROM orders WHERE id <= 3');
    // Handled at once (it is awaited only after other awaits): a failure fails the test at
    // `await running` below instead of surfacing as an unhandled rejection.
    running.catch(() => undefined);
    const approval = await pendingFor('DELETE FROM orders WHERE id <= 3');
    await waitFor(() => (noticesOf(client).some((n) => n.includes(`approval ${approval.id} required`)) ? true : undefined));
    expect(await direct('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 10 }]); // nothing ran yet

    // Other sessions are not blocked by the held one.
    const other = await connect(agentToken);
    expect((await other.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 10 }]);

    const approved = await act(cpB, approval.id, 'approve', approverToken, 'checked with the on-call DBA');
    expect(approved.status).toBe(200);
    const result = await running;
    expect(result.command).toBe('DELETE');
    expect(result.rowCount).toBe(3);
    expect(await direct('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 7 }]);
    expect(Date.now() - started).toBeLessThan(60_000);
    // The connection stays usable.
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const shown = await getJson<ApprovalJson>(`${cpA.httpUrl}/api/v1/approvals/${approval.id}`, approverToken);
    expect(shown.status).toBe('consumed');
  });

  it('fails a denied statement with 42501 carrying the comment, and leaves the connection usable', async () => {
    const client = await connect(agentToken);
    // The handler is attached at once: the denial can reach the client before act() has returned.
    const failed = client.query('UPDATE orders SET total = 0').catch((e: unknown) => e);
    const approval = await pendingFor('UPDATE orders SET total = 0');
    expect((await act(cpA, approval.id, 'deny', approverToken, 'no bulk updates on Fridays')).status).toBe(200);
    const error = (await failed) as { code?: string; message?: string };
    expect(error.code).toBe('42501');
    expect(error.message).toContain('no bulk updates on Fridays');
    expect(await direct('SELECT count(*)::int AS n FROM orders WHERE total = 0')).toEqual([{ n: 0 }]);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('times out clearly when nobody decides', async () => {
    const client = await connect(agentToken);
    const error = (await client.query('DELETE FROM ledger').catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/timed out/);
    expect(await direct('SELECT count(*)::int AS n FROM ledger')).toEqual([{ n: 2 }]);
  });

  it('lets nobody approve their own request', async () => {
    const client = await connect(approverToken);
    const running = client.query('UPDATE orders SET total = total + 1 WHERE id = 10');
    running.catch(() => undefined);
    const approval = await pendingFor('UPDATE orders SET total = total + 1 WHERE id = 10');
    const self = await act(cpA, approval.id, 'approve', approverToken, 'looks fine to me');
    expect(self.status).toBe(403);
    expect(((await self.json()) as { message: string }).message).toMatch(/own request/);
    // Only members of the approver groups may act: demo-admin is not in db-approvers (and has no approver role).
    const admin = await devToken(cpA, 'demo-admin');
    expect((await act(cpA, approval.id, 'approve', admin, 'admin says yes')).status).toBe(403);
    await client.end().catch(() => undefined);
  });

  it('lets a client that could not wait re-run the approved statement exactly once', async () => {
    const statement = 'DELETE FROM orders WHERE id = 9';
    const impatient = await connect(agentToken);
    impatient.query(statement).catch(() => undefined);
    const approval = await pendingFor(statement);
    await impatient.end(); // the tool call timed out; the request stays pending
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJson<ApprovalJson>(`${cpA.httpUrl}/api/v1/approvals/${approval.id}`, approverToken)).status).toBe('pending');
    expect((await act(cpA, approval.id, 'approve', approverToken, 'ok')).status).toBe(200);

    const retry = await connect(agentToken);
    const result = await retry.query(statement);
    expect(result.rowCount).toBe(1);
    expect(noticesOf(retry)).toEqual([]); // not held again
    // Single use: the same statement is held for a new review.
    const again = retry.query(statement);
    again.catch(() => undefined);
    const second = await pendingFor(statement);
    expect(second.id).not.toBe(approval.id);
  });

  it('sends signed Slack-compatible webhooks to the approver group', async () => {
    await waitFor(() => (webhookCalls.some((c) => c.headers['x-sluice-event'] === 'approval.requested') ? true : undefined));
    const call = webhookCalls.find((c) => c.headers['x-sluice-event'] === 'approval.requested')!;
    const timestamp = String(call.headers['x-sluice-timestamp']);
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${call.body}`).digest('hex')}`;
    expect(call.headers['x-sluice-signature']).toBe(expected);
    const body = JSON.parse(call.body) as { text: string; sluice: { approval: { link: string; connection: string } } };
    expect(body.text).toContain('orders-db');
    expect(body.sluice.approval.link).toMatch(/\/api\/v1\/approvals\/[0-9a-f-]{36}$/);
    expect(webhookCalls.some((c) => c.headers['x-sluice-event'] === 'approval.approved')).toBe(true);
    expect(webhookCalls.some((c) => c.headers['x-sluice-event'] === 'approval.denied')).toBe(true);
  });

  it('grants time-bound access on approval, and revokes it', async () => {
    const admin = await devToken(cpA, 'demo-admin');
    const requested = await fetch(`${cpA.httpUrl}/api/v1/access-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        connection: 'orders-db',
        grant: 'write-access',
        durationSeconds: 3600,
        reason: 'INC-42 hotfix',
        approverGroups: ['db-approvers'],
      }),
    });
    expect(requested.status).toBe(201);
    const request = (await requested.json()) as ApprovalJson & { grant: string };
    expect(request).toMatchObject({ status: 'pending', grant: 'write-access' });
    const approved = await act(cpA, request.id, 'approve', approverToken, 'for the incident');
    expect(approved.status).toBe(200);
    const grant = (await approved.json()) as { status: string; grantExpiresAt: string };
    expect(grant.status).toBe('approved');
    expect(new Date(grant.grantExpiresAt).getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const revoked = await fetch(`${cpA.httpUrl}/api/v1/access-requests/${request.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'incident closed' }),
    });
    expect(((await revoked.json()) as { status: string }).status).toBe('revoked');
  });
});
