// Issue 7 acceptance (reliability of the split): real control planes, a real agent, real PostgreSQL
// and real clients. The control plane is killed under load and nothing undecided runs, no recorded
// event is lost or duplicated, the spool drains; a full spool refuses statements and recovers; a
// revocation on one replica ends sessions held through another; SIGTERM drains the agent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConninfo, startCommand, tokenClient } from './support/postgres-clients.js';
import { CONTROL_PLANE_CLI, devToken, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

// Reading the statement text makes every decision uncacheable: each statement of the soak goes to
// the control plane, so killing it really is felt on the data path.
const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open], connection: { tags: { env: test } } }
    effect: allow
  - id: decide-every-statement
    description: Everything is allowed on the test database, decided afresh each time
    match: { connection: { tags: { env: test } } }
    when: 'has(command.text) && size(command.text) > 0'
    effect: allow
`;

const SOAK_CLIENTS = 20;
/** Load before the first kill, between the two outages, and after the second restart. */
const SOAK_PHASE_MS = 7_000;
/** How long the control plane stays dead each time. */
const OUTAGE_MS = 2_000;
/** A small in-memory queue (the default is 10,000), so that an outage of a few seconds really goes through the spool. */
const SOAK_MEMORY_EVENTS = 300;
/** After a refused statement a client waits this long (a real client would back off too). */
const RETRY_PAUSE_MS = 250;

const generateKey = (): string => execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();

interface AgentHealthJson {
  status: string;
  link: string;
  sessions: number;
  recordingSaturated: boolean;
  spoolBytes: number;
  draining: boolean;
}

/** The agent's admin port, from its log line (tests bind it to port 0). */
async function adminPortOf(agent: ManagedProcess): Promise<number> {
  const line = await agent.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('admin endpoints listening'), 60_000);
  return Number(String(line.address).split(':').pop());
}

async function agentHealth(adminPort: number): Promise<AgentHealthJson> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
  return (await response.json()) as AgentHealthJson;
}

/** One sample's value from a Prometheus text exposition (labels as written, e.g. `{effect="allow"}`). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function recordingQueue(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return sample(text, 'sluice_agent_recording_queue') ?? Number.NaN;
}

/** Resolves once the agent holds nothing unacknowledged: memory queue and spool both empty. */
async function recordingDrained(adminPort: number, timeoutMs = 60_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const [health, queue] = [await agentHealth(adminPort), await recordingQueue(adminPort)];
      last = `spool ${health.spoolBytes} bytes, ${queue} events in memory, link ${health.link}`;
      return health.spoolBytes === 0 && queue === 0 ? true : undefined;
    },
    timeoutMs,
    'the agent to have every recording event acknowledged',
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message} (last: ${last})`);
  });
}

/** The SQLSTATE a statement failed with, or undefined when it succeeded. */
async function sqlStateOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? 'no-sqlstate';
  }
}

describe('reliability of the split (issue 7)', () => {
  let controlDb: TestDatabase;
  let target: TestDatabase;
  let cpA: RunningControlPlane;
  let cpB: RunningControlPlane | undefined;
  let agentKey = '';
  let policyFile = '';
  let adminToken = '';
  const agents: ManagedProcess[] = [];
  const clients: pg.Client[] = [];
  /** Clients whose connection is gone (the agent or the network dropped it). */
  const ended = new WeakSet<pg.Client>();
  let controlSql: pg.Client;
  let targetSql: pg.Client;

  const controlPlaneEnv = () => ({
    SLUICE_DATABASE_URL: controlDb.url,
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_POLICY_FILE: policyFile,
  });

  /** An agent serving the target database as `connection`, connected to `grpcPort`. */
  async function agentFor(
    agentId: string,
    connection: string,
    grpcPort: number,
    env: Record<string, string> = {},
  ): Promise<{ agent: ManagedProcess; port: number; adminPort: number; stateDir: string }> {
    const port = await freePort();
    const stateDir = env.SLUICE_AGENT_STATE_DIR ?? (await mkdtemp(join(tmpdir(), 'sluice-reliability-agent-')));
    const agent = await startAgent({
      agentId,
      grpcPort,
      agentKey,
      yaml: `connections:
  - name: ${connection}
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${target.name}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: test }
`,
      env: { TARGET_PASSWORD: 'unused-with-trust-auth', SLUICE_LOG_LEVEL: 'info', ...env, SLUICE_AGENT_STATE_DIR: stateDir },
    });
    agents.push(agent);
    const adminPort = await adminPortOf(agent);
    await agent.waitForLog((l) => l.msg === 'connected to the control plane', 60_000);
    return { agent, port, adminPort, stateDir };
  }

  async function connect(port: number, token: string, applicationName: string): Promise<pg.Client> {
    const client = tokenClient(port, target.name, token, applicationName);
    client.once('end', () => ended.add(client));
    clients.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    controlDb = await createTestDatabase();
    target = await createTestDatabase('sluice_target');
    targetSql = new pg.Client({ connectionString: target.url });
    await targetSql.connect();
    await targetSql.query(
      `CREATE TABLE soak_rows (id text PRIMARY KEY, client int NOT NULL, inserted_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    await targetSql.query(`CREATE TABLE spool_rows (id int PRIMARY KEY)`);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-reliability-'));
    policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    agentKey = generateKey();
    cpA = await startControlPlane({ ...controlPlaneEnv(), SLUICE_LOG_LEVEL: 'info' });
    controlSql = new pg.Client({ connectionString: controlDb.url });
    await controlSql.connect();
    adminToken = await devToken(cpA, 'demo-admin');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    for (const agent of agents) await agent.stop('SIGKILL');
    await cpB?.process.stop('SIGKILL');
    await cpA.process.stop('SIGKILL');
    await controlSql.end();
    await targetSql.end();
    await target.drop();
    await controlDb.drop();
  });

  it('soak: 20 clients while the control plane is killed twice — nothing undecided runs, every event stored exactly once, the spool drains', async () => {
    const { agent, port, adminPort } = await agentFor('soak-agent', 'soak-db', cpA.grpcPort, {
      SLUICE_AGENT_RECORDING_MEMORY_EVENTS: String(SOAK_MEMORY_EVENTS),
    });
    const token = await devToken(cpA, 'demo-agent');
    const succeeded = new Set<string>();
    const failed = new Map<string, string>();
    const failuresByCode = new Map<string, number>();
    const load = { running: true, reconnects: 0, maxSpoolBytes: 0 };

    const soakClients = await Promise.all(Array.from({ length: SOAK_CLIENTS }, (_, c) => connect(port, token, `soak-${c}`)));
    const workers = soakClients.map(async (first, c) => {
      let client = first;
      for (let i = 0; load.running; i++) {
        const id = `c${c}-${i}`;
        const code = await sqlStateOf(client.query(`INSERT INTO soak_rows (id, client) VALUES ('${id}', ${c})`));
        if (code === undefined) {
          succeeded.add(id);
          continue;
        }
        failed.set(id, code);
        failuresByCode.set(code, (failuresByCode.get(code) ?? 0) + 1);
        await sleep(RETRY_PAUSE_MS);
        // A refusal leaves the session usable; only a dropped connection needs a new one.
        if (ended.has(client)) {
          load.reconnects += 1;
          client = await connect(port, token, `soak-${c}`).catch(() => client);
        }
      }
    });
    const spoolWatch = (async () => {
      while (load.running) {
        load.maxSpoolBytes = Math.max(load.maxSpoolBytes, (await agentHealth(adminPort).catch(() => undefined))?.spoolBytes ?? 0);
        await sleep(100);
      }
    })();
    const linkIs = (ready: boolean) => async () => {
      const up = (await agentHealth(adminPort)).link === 'ready';
      return up === ready ? true : undefined;
    };

    await waitFor(() => (succeeded.size > 0 ? true : undefined), 30_000, 'the first successful insert');
    await sleep(SOAK_PHASE_MS);
    for (let outage = 1; outage <= 2; outage++) {
      await cpA.process.stop('SIGKILL');
      await waitFor(linkIs(false), 10_000, 'the agent to notice the control plane is gone');
      await sleep(OUTAGE_MS);
      cpA = await startControlPlane(cpA.env); // same ports, same database
      await waitFor(linkIs(true), 60_000, 'the agent to redial');
      // The sessions go on with the restarted control plane: the clients never reconnect.
      const before = succeeded.size;
      await waitFor(() => (succeeded.size >= before + SOAK_CLIENTS ? true : undefined), 30_000, 'inserts after the restart');
      await sleep(SOAK_PHASE_MS);
    }
    load.running = false;
    await Promise.all(workers);
    await spoolWatch;
    await Promise.all(soakClients.map((c) => c.end()));
    await waitFor(async () => ((await agentHealth(adminPort)).sessions === 0 ? true : undefined), 30_000, 'the sessions to close');
    await recordingDrained(adminPort, 120_000);
    const finalHealth = await agentHealth(adminPort);

    // 1. What ran is exactly what the clients were told ran.
    const stored = new Set((await targetSql.query<{ id: string }>('SELECT id FROM soak_rows')).rows.map((r) => r.id));
    const lost = [...succeeded].filter((id) => !stored.has(id));
    const ranDespiteError = [...failed.keys()].filter((id) => stored.has(id));
    expect(lost).toEqual([]);
    expect(ranDespiteError).toEqual([]);
    expect(stored.size).toBe(succeeded.size);

    // 2. Every successful statement has exactly one completion event, with a tag, after a
    //    control-plane decision (not a cached one) to allow it, in the same session.
    const completions = await controlSql.query<{ text: string; n: string; ok: string }>(
      `SELECT payload->>'text' AS text, count(*) AS n, count(*) FILTER (WHERE payload ? 'tag') AS ok
           FROM session_events WHERE kind = 'command.completed' AND payload->>'text' LIKE 'INSERT INTO soak_rows%' GROUP BY 1`,
    );
    const completionByText = new Map(completions.rows.map((r) => [r.text, { n: Number(r.n), ok: Number(r.ok) }]));
    const textOf = (id: string, c: string) => `INSERT INTO soak_rows (id, client) VALUES ('${id}', ${c})`;
    const idClient = (id: string) => id.slice(1, id.indexOf('-'));
    const missingEvents = [...succeeded].filter((id) => completionByText.get(textOf(id, idClient(id)))?.ok !== 1);
    const duplicated = [...completionByText].filter(([, v]) => v.n !== 1).map(([text]) => text);
    const failedButCompleted = [...failed.keys()].filter((id) => (completionByText.get(textOf(id, idClient(id)))?.ok ?? 0) > 0);
    expect(missingEvents).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(failedButCompleted).toEqual([]);
    const undecided = await controlSql.query<{ session_id: string; seq: string }>(
      `SELECT c.session_id, c.seq FROM session_events c
           LEFT JOIN session_events d ON d.session_id = c.session_id AND d.seq = c.seq - 1 AND d.kind = 'command.decided'
           LEFT JOIN session_events r ON r.session_id = c.session_id AND r.seq = c.seq - 2 AND r.kind = 'command.received'
          WHERE c.kind = 'command.completed' AND c.payload ? 'tag'
            AND c.session_id IN (SELECT id FROM sessions WHERE client_application LIKE 'soak-%')
            AND (d.payload->>'effect' IS DISTINCT FROM 'allow' OR (d.payload->>'cached')::boolean
                 OR r.payload->>'text' IS DISTINCT FROM c.payload->>'text')`,
    );
    expect(undecided.rows).toEqual([]);

    // 3. Per session, seq runs 1..n with no gap and no repeat, and the hash chain covers all of it.
    const gaps = await controlSql.query<{ session_id: string; n: string; first: string; last: string; chained: string | null }>(
      `SELECT e.session_id, count(*) AS n, min(e.seq) AS first, max(e.seq) AS last, c.chained_seq AS chained
           FROM session_events e LEFT JOIN session_event_chains c USING (session_id)
          WHERE e.session_id IN (SELECT id FROM sessions WHERE client_application LIKE 'soak-%')
          GROUP BY e.session_id, c.chained_seq`,
    );
    expect(gaps.rows).toHaveLength(SOAK_CLIENTS + load.reconnects);
    for (const row of gaps.rows) {
      expect({ session: row.session_id, first: Number(row.first), last: Number(row.last), chained: Number(row.chained) }).toEqual({
        session: row.session_id,
        first: 1,
        last: Number(row.n),
        chained: Number(row.n),
      });
    }

    // 4. The outages were real: statements were refused (08006, never run), the spool was used and is empty now.
    expect(failuresByCode.get('08006') ?? 0).toBeGreaterThan(0);
    expect([...failuresByCode.keys()]).toEqual(['08006']);
    expect(load.reconnects).toBe(0);
    expect(load.maxSpoolBytes).toBeGreaterThan(0);
    expect(finalHealth).toMatchObject({ link: 'ready', spoolBytes: 0, recordingSaturated: false });
    process.stdout.write(
      `soak: ${succeeded.size + failed.size} statements, ${succeeded.size} ran, ${failed.size} refused, ` +
        `${completions.rows.length} completions stored, max spool ${load.maxSpoolBytes} bytes\n`,
    );
    expect(await agent.stop('SIGTERM')).toBe(0);
  }, 300_000);

  it('a full spool refuses statements with 53400 and a clear message, and recovers once the control plane acknowledges again', async () => {
    const { agent, port, adminPort } = await agentFor('spool-agent', 'spool-db', cpA.grpcPort, {
      SLUICE_AGENT_SPOOL_MAX_BYTES: '4096',
      SLUICE_AGENT_RECORDING_MEMORY_EVENTS: '3',
    });
    const client = await connect(port, await devToken(cpA, 'demo-agent'), 'spool-full');
    await recordingDrained(adminPort);

    // The link stays up, but the control plane cannot store (so does not acknowledge) any event.
    const locker = new pg.Client({ connectionString: controlDb.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE session_events IN ACCESS EXCLUSIVE MODE');
    let refusal: pg.DatabaseError | undefined;
    let refusedId = 0;
    try {
      // Each statement records three events: a few fill the memory queue (3) and the spool (4 KiB).
      for (let id = 1; id <= 100 && !refusal; id++) {
        refusal = await client.query(`INSERT INTO spool_rows VALUES (${id})`).then(
          () => undefined,
          (error: unknown) => error as pg.DatabaseError,
        );
        refusedId = id;
      }
      expect(refusal?.code).toBe('53400');
      expect(refusal?.message).toMatch(/recording/);
      expect(refusal?.message).toMatch(/refusing rather than running unrecorded/);
      expect(refusedId).toBeGreaterThan(1);
      // Nothing of the refused statement ran; what ran before it did.
      expect((await targetSql.query('SELECT id FROM spool_rows ORDER BY id')).rows.map((r: { id: number }) => r.id)).toEqual(
        Array.from({ length: refusedId - 1 }, (_, i) => i + 1),
      );
      const health = await agentHealth(adminPort);
      expect(health).toMatchObject({ link: 'ready', recordingSaturated: true, status: 'degraded' });
      expect(health.spoolBytes).toBeGreaterThan(0);
      expect(health.spoolBytes).toBeLessThanOrEqual(4096);
      expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(503);
      // Still refused while nothing is acknowledged: fail closed, no event dropped to make room.
      expect(await sqlStateOf(client.query(`INSERT INTO spool_rows VALUES (1000)`))).toBe('53400');
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }

    // Space returns: the same session runs statements again, and every event reached the database.
    await waitFor(async () => ((await agentHealth(adminPort)).recordingSaturated ? undefined : true), 60_000, 'the spool to drain');
    expect((await client.query(`INSERT INTO spool_rows VALUES (2000) RETURNING id`)).rows).toEqual([{ id: 2000 }]);
    await client.end();
    await waitFor(async () => ((await agentHealth(adminPort)).sessions === 0 ? true : undefined), 30_000, 'the session to close');
    await recordingDrained(adminPort);
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);
    const events = await controlSql.query<{ seq: string; kind: string; payload: Record<string, unknown> }>(
      `SELECT seq, kind, payload FROM session_events
          WHERE session_id = (SELECT id FROM sessions WHERE client_application = 'spool-full') ORDER BY seq`,
    );
    expect(events.rows.map((e) => Number(e.seq))).toEqual(Array.from({ length: events.rows.length }, (_, i) => i + 1));
    expect(events.rows.at(-1)?.kind).toBe('session.closed');
    const refusedDecisions = events.rows.filter((e) => e.kind === 'command.decided' && e.payload.effect === 'refused');
    expect(refusedDecisions.length).toBeGreaterThanOrEqual(2);
    expect(String(refusedDecisions[0]?.payload.reason)).toMatch(/recording queue is full/);
    await agent.stop('SIGTERM');
  }, 180_000);

  it('a revocation made on replica B ends sessions held by a real agent connected to replica A within one second', async () => {
    cpB = await startControlPlane({
      ...controlPlaneEnv(),
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_STATE_DIR: cpA.env.SLUICE_STATE_DIR!,
      SLUICE_PUBLIC_URL: cpA.httpUrl,
    });
    const { agent, port } = await agentFor('revoke-agent', 'revoke-db', cpA.grpcPort);
    const token = await devToken(cpA, 'demo-approver');
    const nodeClient = await connect(port, token, 'revoke-node');
    let nodeEndedAt = 0;
    let nodeError = '';
    nodeClient.on('error', (error) => (nodeError ||= error.message));
    nodeClient.once('end', () => (nodeEndedAt = Date.now()));
    const psql = startCommand('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-c', 'SELECT pg_sleep(60)', agentConninfo(port, target.name)], {
      env: { PGPASSWORD: token, PGAPPNAME: 'revoke-psql' },
      timeoutMs: 60_000,
    });
    let psqlEndedAt = 0;
    const psqlDone = psql.result.then((r) => {
      psqlEndedAt = Date.now();
      return r;
    });
    const principalId = await waitFor(async () => {
      const rows = await controlSql.query<{ principal_id: string }>(
        `SELECT principal_id FROM sessions WHERE client_application IN ('revoke-node', 'revoke-psql') AND closed_at IS NULL`,
      );
      return rows.rows.length === 2 ? rows.rows[0]?.principal_id : undefined;
    }, 30_000);
    await waitFor(async () => {
      const rows = await targetSql.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'`);
      return rows.rows.length > 0 ? true : undefined;
    }, 30_000);

    const revoke = await fetch(`${cpB.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'reliability test: revoked on replica B' }),
    });
    expect(revoke.status).toBe(200);
    const revokedAt = Date.now();
    const psqlResult = await psqlDone;
    await waitFor(() => (nodeEndedAt > 0 ? true : undefined), 5_000, 'the node-postgres client to be disconnected');
    expect(psqlEndedAt - revokedAt).toBeLessThan(1_000);
    expect(nodeEndedAt - revokedAt).toBeLessThan(1_000);
    expect(psqlResult.code).not.toBe(0);
    expect(psqlResult.stderr).toMatch(/revoked/);
    expect(nodeError).toMatch(/revoked/);
    // The statement itself is cancelled in the database, not left running after the session ended.
    await waitFor(
      async () => {
        const rows = await targetSql.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'`);
        return rows.rows.length === 0 ? true : undefined;
      },
      3_000,
      'the revoked session’s pg_sleep(60) to be cancelled',
    );
    // New sessions of the principal are refused, through either replica.
    await expect(connect(port, token, 'revoke-again')).rejects.toThrow(/revoked/);
    const unrevoke = await fetch(`${cpB.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/unrevoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(unrevoke.status).toBe(200);
    await agent.stop('SIGTERM');
  }, 180_000);

  it('graceful drain: on SIGTERM a running statement finishes, idle sessions end, new connections are refused, events are stored, exit 0', async () => {
    const { agent, port, adminPort, stateDir } = await agentFor('drain-agent', 'drain-db', cpA.grpcPort, {
      SLUICE_AGENT_DRAIN_TIMEOUT_MS: '30000',
    });
    const token = await devToken(cpA, 'demo-agent');
    const busy = await connect(port, token, 'drain-busy');
    const idle = await connect(port, token, 'drain-idle');
    let idleError = '';
    idle.on('error', (error) => (idleError ||= error.message));
    const running = busy.query('SELECT pg_sleep(3) AS slept, 42 AS answer');
    // Handled at once (awaited only after the drain): a failure fails the test at `await running`
    // below instead of surfacing as an unhandled rejection.
    running.catch(() => undefined);
    await waitFor(async () => {
      const rows = await targetSql.query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%' AND state = 'active'`);
      return rows.rows.length > 0 ? true : undefined;
    }, 30_000);

    agent.child.kill('SIGTERM');
    await waitFor(async () => ((await agentHealth(adminPort)).draining ? true : undefined), 10_000, 'the agent to drain');
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(503);
    // No new connections while draining.
    await expect(connect(port, token, 'drain-late')).rejects.toThrow(/ECONNREFUSED/);
    expect((await running).rows).toEqual([{ slept: '', answer: 42 }]);
    expect(await agent.exited).toBe(0);
    expect(idleError).toMatch(/shutting down/);

    const completed = await controlSql.query<{ kind: string; payload: Record<string, unknown> }>(
      `SELECT e.kind, e.payload FROM session_events e JOIN sessions s ON s.id = e.session_id
          WHERE s.client_application = 'drain-busy' AND e.kind IN ('command.completed', 'session.closed') ORDER BY e.seq`,
    );
    expect(completed.rows).toMatchObject([
      { kind: 'command.completed', payload: { text: 'SELECT pg_sleep(3) AS slept, 42 AS answer', tag: 'SELECT 1' } },
      { kind: 'session.closed', payload: { reason: 'agent_shutdown' } },
    ]);
    const spoolFile = join(stateDir, 'spool', 'events.jsonl');
    expect(existsSync(spoolFile) ? readFileSync(spoolFile, 'utf8') : '').toBe('');
  }, 180_000);

  it('graceful drain with the control plane not acknowledging: undelivered events stay in the spool and the next start delivers them', async () => {
    const first = await agentFor('drain-spool-agent', 'drain-spool-db', cpA.grpcPort, { SLUICE_AGENT_DRAIN_TIMEOUT_MS: '2000' });
    const client = await connect(first.port, await devToken(cpA, 'demo-agent'), 'drain-spool');
    await client.query('SELECT 1 AS warm');
    await recordingDrained(first.adminPort);
    const locker = new pg.Client({ connectionString: controlDb.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE session_events IN ACCESS EXCLUSIVE MODE');
    const spoolFile = join(first.stateDir, 'spool', 'events.jsonl');
    try {
      expect((await client.query(`SELECT 'kept for later' AS note`)).rows).toEqual([{ note: 'kept for later' }]);
      expect(await first.agent.stop('SIGTERM', 30_000)).toBe(0);
      const spooled = readFileSync(spoolFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { kind: string; payloadJson: string });
      expect(spooled.map((e) => e.kind)).toEqual(expect.arrayContaining(['command.received', 'command.completed', 'session.closed']));
      expect(first.agent.logs().some((l) => l.msg === 'unacknowledged recording events kept in the spool for the next start')).toBe(true);
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }
    // The next start (same agent id and state directory) replays the spool; nothing is stored twice.
    const second = await agentFor('drain-spool-agent', 'drain-spool-db', cpA.grpcPort, { SLUICE_AGENT_STATE_DIR: first.stateDir });
    await recordingDrained(second.adminPort);
    const events = await controlSql.query<{ seq: string; kind: string; payload: Record<string, unknown> }>(
      `SELECT seq, kind, payload FROM session_events WHERE session_id = (SELECT id FROM sessions WHERE client_application = 'drain-spool') ORDER BY seq`,
    );
    expect(events.rows.map((e) => Number(e.seq))).toEqual(Array.from({ length: events.rows.length }, (_, i) => i + 1));
    expect(events.rows.filter((e) => e.kind === 'command.completed').map((e) => e.payload.text)).toEqual([
      'SELECT 1 AS warm',
      "SELECT 'kept for later' AS note",
    ]);
    expect(events.rows.at(-1)).toMatchObject({ kind: 'session.closed', payload: { reason: 'agent_shutdown' } });
    expect(readFileSync(spoolFile, 'utf8')).toBe('');
    await second.agent.stop('SIGTERM');
  }, 180_000);
});
