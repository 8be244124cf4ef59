// Issue 7 acceptance (reliability of the split): real control planes, a real agent, real PostgreSQL
// and real clients. The control plane is killed under load and nothing undecided runs, no recorded
// event is lost or duplicated, the spool drains; a full spool refuses statements and recovers; a
// revocation on one replica ends sessions held through another; SIGTERM drains the agent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConninfo, startCommand } from './support/postgres-clients.js';
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
const SOAK_PHASE_MS = Number(process.env.SOAK_PHASE_MS ?? 8_000);
/** How long the control plane stays dead each time. */
const OUTAGE_MS = 2_000;
/** A small in-memory queue, so that an outage of a few seconds really goes through the spool. */
const SOAK_MEMORY_EVENTS = Number(process.env.SOAK_MEMORY_EVENTS ?? 200);
/** After a refused statement a client waits this long (a real client would back off too). */
const RETRY_PAUSE_MS = Number(process.env.SOAK_RETRY_PAUSE_MS ?? 25);

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
      const now = `spool ${health.spoolBytes} bytes, ${queue} events in memory, link ${health.link}`;
      if (process.env.SOAK_DEBUG && now !== last) process.stdout.write(`[${new Date().toISOString()}] ${now}\n`);
      last = now;
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
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      database: target.name,
      user: 'reliability',
      password: token,
      application_name: applicationName,
      ssl: { rejectUnauthorized: false },
    });
    client.on('error', () => undefined); // asserted where it matters
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
    const { agent, port, adminPort, stateDir } = await agentFor('soak-agent', 'soak-db', cpA.grpcPort, {
      SLUICE_AGENT_RECORDING_MEMORY_EVENTS: String(SOAK_MEMORY_EVENTS),
    });
    const token = await devToken(cpA, 'demo-agent');
    const succeeded = new Set<string>();
    const failed = new Map<string, string>();
    const failuresByCode = new Map<string, number>();
    let reconnects = 0;
    let stop = false;
    let maxSpoolBytes = 0;

    const soakClients = await Promise.all(Array.from({ length: SOAK_CLIENTS }, (_, c) => connect(port, token, `soak-${c}`)));
    const workers = soakClients.map(async (first, c) => {
      let client = first;
      for (let i = 0; !stop; i++) {
        const id = `c${c}-${i}`;
        const code = await sqlStateOf(client.query(`INSERT INTO soak_rows (id, client) VALUES ('${id}', ${c})`));
        if (code === undefined) {
          succeeded.add(id);
          continue;
        }
        failed.set(id, code);
        failuresByCode.set(code, (failuresByCode.get(code) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        // A refusal leaves the session usable; only a dropped connection needs a new one.
        if (ended.has(client)) {
          reconnects += 1;
          client = await connect(port, token, `soak-${c}`).catch(() => client);
        }
      }
    });
    const spoolWatch = (async () => {
      while (!stop) {
        maxSpoolBytes = Math.max(maxSpoolBytes, (await agentHealth(adminPort).catch(() => undefined))?.spoolBytes ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const t0 = Date.now();
    const progress = (what: string) =>
      process.stdout.write(`[soak +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}: ${succeeded.size} ok, ${failed.size} refused\n`);
    const successesAtStart = (): number => succeeded.size;
    await waitFor(() => (succeeded.size > 0 ? true : undefined), 30_000, 'the first successful insert');
    await new Promise((r) => setTimeout(r, SOAK_PHASE_MS));
    for (let outage = 0; outage < 2; outage++) {
      progress(`killing the control plane (${outage + 1})`);
      await cpA.process.stop('SIGKILL');
      await waitFor(async () => ((await agentHealth(adminPort)).link !== 'ready' ? true : undefined), 10_000, 'the agent to notice');
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const before = successesAtStart();
      progress('restarting the control plane');
      cpA = await startControlPlane({ ...cpA.env });
      progress('control plane ready');
      await waitFor(async () => ((await agentHealth(adminPort)).link === 'ready' ? true : undefined), 60_000, 'the agent to redial');
      progress('agent redialled');
      // Sessions continue on the restarted control plane without the clients reconnecting.
      await waitFor(() => (succeeded.size > before + SOAK_CLIENTS ? true : undefined), 30_000, 'inserts after the restart');
      await new Promise((r) => setTimeout(r, SOAK_PHASE_MS));
    }
    stop = true;
    progress('stopping the clients');
    await Promise.all(workers);
    await spoolWatch;
    await Promise.all(soakClients.map((c) => c.end().catch(() => undefined)));
    await waitFor(async () => ((await agentHealth(adminPort)).sessions === 0 ? true : undefined), 30_000, 'the sessions to close');
    progress('sessions closed');
    await recordingDrained(adminPort).catch(async (error: unknown) => {
      const holes = await controlSql.query(
        `SELECT session_id, count(*) AS n, max(seq) AS last, (SELECT chained_seq FROM session_event_chains c WHERE c.session_id = e.session_id) AS chained
             FROM session_events e GROUP BY session_id`,
      );
      process.stdout.write(`${JSON.stringify(holes.rows)}\n`);
      const spoolFile = join(stateDir, 'spool', 'events.jsonl');
      const lines = existsSync(spoolFile) ? readFileSync(spoolFile, 'utf8').split('\n') : [];
      process.stdout.write(`spool: ${lines.length} lines; first ${lines[0]?.slice(0, 300)}; last ${lines.at(-2)?.slice(0, 300)}\n`);
      process.stdout.write(
        agent
          .logs()
          .filter((l) => Number(l.level) >= 40)
          .map((l) => JSON.stringify(l))
          .slice(-30)
          .join('\n'),
      );
      process.stdout.write(
        cpA.process
          .logs()
          .filter((l) => Number(l.level) >= 40)
          .map((l) => JSON.stringify(l))
          .slice(-30)
          .join('\n'),
      );
      throw error;
    });
    progress('recording drained');
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
    expect(gaps.rows).toHaveLength(SOAK_CLIENTS + reconnects);
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
    expect(reconnects).toBe(0);
    expect(maxSpoolBytes).toBeGreaterThan(0);
    expect(finalHealth).toMatchObject({ link: 'ready', spoolBytes: 0, recordingSaturated: false });
    process.stdout.write(
      `soak: ${succeeded.size + failed.size} statements, ${succeeded.size} ran, ${failed.size} refused, ` +
        `${completions.rows.length} completions stored, max spool ${maxSpoolBytes} bytes\n`,
    );
    await agent.stop('SIGTERM');
  }, 300_000);
});
