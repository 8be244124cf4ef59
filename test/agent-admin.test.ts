// Issue 7: the agent's admin endpoints (/healthz, /readyz, /metrics) and the control plane's
// /metrics and /readyz, read from real processes while the control plane and its database come and go.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_URL_ENV, createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';
import { tokenClient } from './support/postgres-clients.js';

// `keepers` reads are cacheable (a second identical statement is decided from the cache); DROP is denied.
const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open], connection: { tags: { env: test } } }
    effect: allow
  - id: no-drop
    match: { commands: [sql.ddl.drop] }
    effect: { deny: { message: dropping tables is not allowed here } }
  - id: allow-test
    match: { connection: { tags: { env: test } } }
    effect: allow
`;

interface AgentHealthJson {
  status: string;
  link: string;
  sessions: number;
  recordingSaturated: boolean;
  spoolBytes: number;
  draining: boolean;
}

/** One sample's value from a Prometheus text exposition (labels exactly as exposed). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('agent and control-plane health and metrics', () => {
  let controlDb: TestDatabase;
  let target: TestDatabase;
  let cp: RunningControlPlane;
  let agent: ManagedProcess;
  let port = 0;
  let adminUrl = '';
  let token = '';
  let client: pg.Client;

  const health = async (): Promise<AgentHealthJson> => (await (await fetch(`${adminUrl}/healthz`)).json()) as AgentHealthJson;
  const agentMetrics = async (): Promise<string> => (await fetch(`${adminUrl}/metrics`)).text();
  const sqlStateOf = async (work: Promise<unknown>): Promise<string | undefined> =>
    work.then(
      () => undefined,
      (error: unknown) => (error as { code?: string }).code ?? 'none',
    );

  beforeAll(async () => {
    controlDb = await createTestDatabase();
    target = await createTestDatabase('sluice_target');
    const setup = new pg.Client({ connectionString: target.url });
    await setup.connect();
    await setup.query('CREATE TABLE keepers (id int PRIMARY KEY); INSERT INTO keepers VALUES (1), (2)');
    await setup.end();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-admin-'));
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    const key = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
    cp = await startControlPlane({
      SLUICE_DATABASE_URL: controlDb.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: key,
      SLUICE_POLICY_FILE: join(dir, 'policy.yaml'),
      SLUICE_LOG_LEVEL: 'info',
    });
    port = await freePort();
    agent = await startAgent({
      agentId: 'admin-agent',
      grpcPort: cp.grpcPort,
      agentKey: key,
      env: { TARGET_PASSWORD: 'unused', SLUICE_LOG_LEVEL: 'info' },
      yaml: `connections:
  - name: admin-db
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${target.name}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: test }
`,
    });
    const listening = await agent.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('admin endpoints listening'), 60_000);
    adminUrl = `http://${String(listening.address)}`;
    await agent.waitForLog((l) => l.msg === 'connected to the control plane', 60_000);
    token = await devToken(cp, 'demo-agent');
    client = tokenClient(port, target.name, token);
    await client.connect();
  });

  afterAll(async () => {
    await client.end().catch(() => undefined);
    await agent.stop('SIGKILL');
    await cp.process.stop('SIGKILL');
    await target.drop();
    await controlDb.drop();
  });

  it('binds the admin endpoints to the configured loopback address only', () => {
    expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(adminUrl).not.toBe('http://127.0.0.1:0');
  });

  it('reports a healthy, ready agent with its open sessions, and answers nothing else', async () => {
    expect(await health()).toEqual({ status: 'ok', link: 'ready', sessions: 1, recordingSaturated: false, spoolBytes: 0, draining: false });
    const ready = await fetch(`${adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as AgentHealthJson).status).toBe('ok');
    expect((await fetch(`${adminUrl}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${adminUrl}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('counts statements by effect, and times decisions by where they came from', async () => {
    const before = await agentMetrics();
    expect((await client.query('SELECT id FROM keepers ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
    expect((await client.query('SELECT id FROM keepers ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await sqlStateOf(client.query('DROP TABLE keepers'))).toBe('42501');
    const after = await agentMetrics();
    const delta = (labels: string, name = 'sluice_agent_statements_total') =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('{effect="allow"}')).toBe(2);
    expect(delta('{effect="deny"}')).toBe(1);
    // The decision latency histogram: the first SELECT and the DROP asked the control plane, the repeat came from the cache.
    expect(delta('{source="control-plane"}', 'sluice_agent_decision_seconds_count')).toBe(2);
    expect(delta('{source="cache"}', 'sluice_agent_decision_seconds_count')).toBe(1);
    expect(sample(after, 'sluice_agent_decision_seconds_bucket', '{le="+Inf",source="control-plane"}')).toBeGreaterThanOrEqual(2);
    expect(after).toMatch(/^# TYPE sluice_agent_decision_seconds histogram$/m);
    expect(sample(after, 'sluice_agent_sessions_open')).toBe(1);
    expect(sample(after, 'sluice_agent_link_up')).toBe(1);
    expect(sample(after, 'sluice_agent_spool_bytes')).toBe(0);
    expect(sample(after, 'sluice_agent_recording_queue')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'sluice_agent_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('exposes the control plane’s decisions, latency and connected agents on /metrics, and its readiness on /readyz', async () => {
    const metrics = await (await fetch(`${cp.httpUrl}/metrics`)).text();
    expect(sample(metrics, 'sluice_control_plane_decisions_total', '{effect="allow"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'sluice_control_plane_decisions_total', '{effect="deny"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'sluice_control_plane_decision_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'sluice_control_plane_agents_connected')).toBe(1);
    expect(sample(metrics, 'sluice_control_plane_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Counts only: no statement text, principal or token.
    expect(metrics).not.toContain('keepers');
    expect(metrics).not.toContain(token.slice(0, 20));

    const ready = await fetch(`${cp.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', agentLink: 'up', pushBus: 'up', identity: 'up' } });
    expect((await fetch(`${cp.httpUrl}/healthz`)).status).toBe(200);
  });

  it('flips link state, readiness and link_up when the control plane dies, refuses statements meanwhile, and recovers', async () => {
    const before = await agentMetrics();
    await cp.process.stop('SIGKILL');
    await waitFor(async () => ((await health()).link !== 'ready' ? true : undefined), 10_000, 'the agent to notice');
    const down = await health();
    expect(down).toMatchObject({ status: 'degraded', sessions: 1, recordingSaturated: false, draining: false });
    expect(['connecting', 'backoff']).toContain(down.link);
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(503);
    expect(sample(await agentMetrics(), 'sluice_agent_link_up')).toBe(0);
    // Even a statement whose decision is cached is refused without the link (revocations could not reach us).
    expect(await sqlStateOf(client.query('SELECT id FROM keepers ORDER BY id'))).toBe('08006');
    // New sessions are refused too: nobody can verify the token.
    const late = tokenClient(port, target.name, token);
    const refusedOpen = (await late.connect().then(
      () => undefined,
      (error: unknown) => error,
    )) as { code?: string; message?: string } | undefined;
    expect(refusedOpen).toMatchObject({ code: '57P03', message: expect.stringMatching(/cannot reach its control plane/) as unknown });
    const refused = sample(await agentMetrics(), 'sluice_agent_statements_total', '{effect="refused"}') ?? 0;
    expect(refused - (sample(before, 'sluice_agent_statements_total', '{effect="refused"}') ?? 0)).toBe(1);

    cp = await startControlPlane(cp.env);
    await waitFor(async () => ((await health()).link === 'ready' ? true : undefined), 60_000, 'the agent to redial');
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
    expect(sample(await agentMetrics(), 'sluice_agent_link_up')).toBe(1);
    // The same client session goes on.
    expect((await client.query('SELECT count(*)::int AS n FROM keepers')).rows).toEqual([{ n: 2 }]);
  });

  it('reports the control plane not ready while its database refuses connections, and ready again after', async () => {
    const admin = new pg.Client({ connectionString: process.env[ADMIN_URL_ENV] });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(controlDb.name)} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [controlDb.name]);
      const notReady = await waitFor(
        async () => {
          const response = await fetch(`${cp.httpUrl}/readyz`);
          return response.status === 503 ? ((await response.json()) as { checks: Record<string, string> }) : undefined;
        },
        20_000,
        'the control plane to report not ready',
      );
      expect(notReady.checks.database).toBe('down');
      expect((await fetch(`${cp.httpUrl}/healthz`)).status).toBe(200); // alive: do not restart it for this
      // An outage longer than a few reconnect attempts: the push listener must keep trying.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const stillDown = (await (await fetch(`${cp.httpUrl}/readyz`)).json()) as { checks: Record<string, string> };
      expect(stillDown.checks.pushBus).toBe('down');
    } finally {
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(controlDb.name)} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const ready = await waitFor(
      async () => {
        const response = await fetch(`${cp.httpUrl}/readyz`);
        return response.status === 200 ? ((await response.json()) as { checks: Record<string, string> }) : undefined;
      },
      30_000,
      'the control plane to be ready again',
    );
    expect(ready.checks).toEqual({ database: 'up', agentLink: 'up', pushBus: 'up', identity: 'up' });
  });
});
