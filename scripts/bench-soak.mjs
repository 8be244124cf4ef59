#!/usr/bin/env node
// `pnpm bench:soak`: the reliability soak of issue 7, longer and configurable than the test
// (test/reliability.test.ts): concurrent node-postgres clients INSERT through a real agent while the
// control plane is killed (SIGKILL) and restarted on the same ports and database; then it counts
// what ran against what the clients were told, and recorded events against statements
// (docs/reliability.md records a run).
//
// It creates (and always drops) its own databases on the local PostgreSQL, starts (and always
// stops) its own control plane and agent, and keeps their logs in one temp dir. Exit code: 0 when
// nothing was lost, duplicated or run despite an error and the spool drained; 1 otherwise or when
// it could not run.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL, URLSearchParams, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

/* global fetch, AbortSignal -- Node 20 globals */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONTROL_PLANE = join(ROOT, 'apps/control-plane/dist/main.js');
const CONTROL_PLANE_CLI = join(ROOT, 'apps/control-plane/dist/cli.js');
const AGENT = join(ROOT, 'apps/agent/dist/main.js');
const DEV_SECRET = `bench-${randomBytes(8).toString('hex')}`;

const HELP = `usage: pnpm bench:soak [-- options]   (or: node scripts/bench-soak.mjs [options])

  --duration <s>        load time with the control plane up, split into kills + 1 equal phases;
                        each outage (kill, --outage, restart, agent redial) comes on top   (default 120)
  --clients <n>         concurrent node-postgres clients                     (default 20)
  --kills <n>           control-plane SIGKILL + restart cycles               (default 3)
  --outage <s>          how long the control plane stays dead each time      (default 3)
  --retry-pause <ms>    a client's pause after a refused statement           (default 250)
  --memory-events <n>   SLUICE_AGENT_RECORDING_MEMORY_EVENTS of the agent    (default: the agent's, 10000)
  --spool-max <bytes>   SLUICE_AGENT_SPOOL_MAX_BYTES of the agent            (default: the agent's, 512 MiB)
  --drain-timeout <s>   how long to wait for the agent to deliver every event after the load (default 300)
  --admin-url <url>     PostgreSQL to create the databases on (also the target)
                        (default $SLUICE_TEST_ADMIN_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --keep                keep the databases and logs for inspection (their names are printed)`;

const { values: opts } = (() => {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '120' },
        clients: { type: 'string', default: '20' },
        kills: { type: 'string', default: '3' },
        outage: { type: 'string', default: '3' },
        'retry-pause': { type: 'string', default: '250' },
        'memory-events': { type: 'string' },
        'spool-max': { type: 'string' },
        'drain-timeout': { type: 'string', default: '300' },
        'admin-url': {
          type: 'string',
          default: process.env.SLUICE_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`bench:soak: ${error.message}\n\n${HELP}\n`);
    process.exit(2);
  }
})();
if (opts.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
function integer(text, name, min) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`bench:soak: ${name} must be an integer ≥ ${min}\n`);
    process.exit(2);
  }
  return value;
}
const DURATION_MS = integer(opts.duration, '--duration', 10) * 1000;
const CLIENTS = integer(opts.clients, '--clients', 1);
const KILLS = integer(opts.kills, '--kills', 0);
const OUTAGE_MS = integer(opts.outage, '--outage', 0) * 1000;
const RETRY_PAUSE_MS = integer(opts['retry-pause'], '--retry-pause', 0);
const DRAIN_TIMEOUT_MS = integer(opts['drain-timeout'], '--drain-timeout', 10) * 1000;
const AGENT_TUNING = {
  ...(opts['memory-events'] ? { SLUICE_AGENT_RECORDING_MEMORY_EVENTS: String(integer(opts['memory-events'], '--memory-events', 1)) } : {}),
  ...(opts['spool-max'] ? { SLUICE_AGENT_SPOOL_MAX_BYTES: String(integer(opts['spool-max'], '--spool-max', 1024)) } : {}),
};

// Reading the statement text makes every decision uncacheable: every INSERT asks the control plane.
const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open], connection: { tags: { env: soak } } }
    effect: allow
  - id: decide-every-statement
    match: { connection: { tags: { env: soak } } }
    when: 'has(command.text) && size(command.text) > 0'
    effect: allow
`;

const log = (line = '') => process.stdout.write(`${line}\n`);
const started = Date.now();
const at = () => `+${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(8);

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function withAdmin(work) {
  const client = new pg.Client({ connectionString: opts['admin-url'] });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name) {
  const url = new URL(opts['admin-url']);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A child node process whose stdout is pino JSON lines, kept in a log file; `waitFor` matches a line. */
function launch(label, script, env, logFile) {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(logFile, { flags: 'a' });
  const waiters = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out.write(chunk);
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines) {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.done(line);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => out.write(chunk));
  const exited = new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal)));
  exited.then((code) => {
    for (const waiter of waiters.splice(0))
      waiter.fail(new Error(`${label} exited (${code}) before logging what we waited for; see ${logFile}`));
  });
  return {
    child,
    exited,
    waitFor(match, timeoutMs) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`${label}: no matching log line within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
        waiters.push({
          match,
          done: (line) => {
            clearTimeout(timer);
            done(line);
          },
          fail: (error) => {
            clearTimeout(timer);
            fail(error);
          },
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startControlPlane(env, logFile) {
  const cp = launch('control plane', CONTROL_PLANE, env, logFile);
  const ready = await cp.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('control plane ready'), 180_000);
  return { ...cp, readyLine: ready };
}

async function devToken(httpUrl) {
  const response = await fetch(`${httpUrl}/dev-issuer/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'demo-agent',
      client_secret: DEV_SECRET,
      scope: 'api://sluice/.default',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`dev issuer: ${response.status}`);
  return (await response.json()).access_token;
}

async function agentHealth(adminPort) {
  const response = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return response.json();
}

async function recordingQueue(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('sluice_agent_recording_queue '));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

/** Sleeps `ms`, or less when interrupted. */
async function pause(ms) {
  const end = Date.now() + ms;
  while (!interrupted && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
}

async function until(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// Ctrl-C still stops the processes and drops the databases (the finally below).
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    log(`\n${signal}: stopping the load, then cleaning up`);
  });
}

const suffix = randomBytes(4).toString('hex');
const controlDb = `sluice_soak_cp_${suffix}`;
const targetDb = `sluice_soak_target_${suffix}`;
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-soak-'));
let cp;
let agent;
let exitCode = 0;
const clients = [];
try {
  await withAdmin(async (c) => {
    await c.query(`CREATE DATABASE ${controlDb}`);
    await c.query(`CREATE DATABASE ${targetDb}`);
  });
  const targetSql = new pg.Client({ connectionString: databaseUrl(targetDb) });
  await targetSql.connect();
  await targetSql.query('CREATE TABLE soak_rows (id text PRIMARY KEY, client int NOT NULL)');
  const controlSql = new pg.Client({ connectionString: databaseUrl(controlDb) });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const cpEnv = {
    SLUICE_ENV: 'test',
    SLUICE_DATABASE_URL: databaseUrl(controlDb),
    SLUICE_STATE_DIR: join(dir, 'control-plane'),
    SLUICE_HTTP_PORT: String(httpPort),
    SLUICE_GRPC_PORT: String(grpcPort),
    SLUICE_GRPC_INSECURE: 'true',
    SLUICE_LOG_LEVEL: 'info',
    SLUICE_DEV_ISSUER: 'true',
    SLUICE_DEV_ISSUER_SECRET: DEV_SECRET,
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_POLICY_FILE: policyFile,
  };
  const cpLog = join(dir, 'control-plane.log');
  const cpStartMs = [];
  let t = Date.now();
  cp = await startControlPlane(cpEnv, cpLog);
  cpStartMs.push(Date.now() - t);
  await controlSql.connect();

  const port = await freePort();
  const agentYaml = join(dir, 'agent.yaml');
  writeFileSync(
    agentYaml,
    `connections:
  - name: soak-db
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: ${new URL(opts['admin-url']).hostname}, port: ${new URL(opts['admin-url']).port || 5432}, database: ${targetDb}, sslMode: disable }
    credentials: { username: ${decodeURIComponent(new URL(opts['admin-url']).username) || 'postgres'}, password: { env: TARGET_PASSWORD } }
    tags: { env: soak }
`,
  );
  agent = launch(
    'agent',
    AGENT,
    {
      SLUICE_AGENT_CONFIG: agentYaml,
      SLUICE_AGENT_ID: 'soak-agent',
      SLUICE_CONTROL_PLANE_ADDRESS: `127.0.0.1:${grpcPort}`,
      SLUICE_CONTROL_PLANE_INSECURE: 'true',
      SLUICE_AGENT_KEY: agentKey,
      SLUICE_AGENT_STATE_DIR: join(dir, 'agent'),
      SLUICE_AGENT_ADMIN_LISTEN: '127.0.0.1:0',
      SLUICE_LOG_LEVEL: 'info',
      TARGET_PASSWORD: decodeURIComponent(new URL(opts['admin-url']).password) || 'unused-with-trust-auth',
      ...AGENT_TUNING,
    },
    join(dir, 'agent.log'),
  );
  const adminLine = await agent.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('admin endpoints listening'), 120_000);
  const adminPort = Number(String(adminLine.address).split(':').pop());
  await agent.waitFor((l) => l.msg === 'connected to the control plane', 120_000);
  const token = await devToken(`http://127.0.0.1:${httpPort}`);

  log(`bench:soak — ${CLIENTS} clients, ${DURATION_MS / 1000} s, ${KILLS} control-plane kills of ${OUTAGE_MS / 1000} s each`);
  log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; logs in ${dir}`,
  );
  log(`agent tuning: ${JSON.stringify(AGENT_TUNING)}`);
  log('');

  // ── the load ──────────────────────────────────────────────────────────────────────────────────
  const succeeded = new Set();
  const failed = new Map();
  const byCode = new Map();
  let reconnects = 0;
  let stop = false;
  let maxSpoolBytes = 0;
  let maxQueue = 0;
  const connect = async (c) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      database: targetDb,
      user: 'soak',
      password: token,
      application_name: `soak-${c}`,
      ssl: { rejectUnauthorized: false },
    });
    client.on('error', () => undefined);
    client.once('end', () => (client.ended = true));
    await client.connect();
    clients.push(client);
    return client;
  };
  const first = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => connect(c)));
  const workers = first.map(async (initial, c) => {
    let client = initial;
    for (let i = 0; !stop && !interrupted; i++) {
      const id = `c${c}-${i}`;
      try {
        await client.query(`INSERT INTO soak_rows (id, client) VALUES ('${id}', ${c})`);
        succeeded.add(id);
      } catch (error) {
        const code = error.code ?? 'no-sqlstate';
        failed.set(id, code);
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
        await sleep(RETRY_PAUSE_MS);
        if (client.ended && !stop) {
          reconnects += 1;
          client = await connect(c).catch(() => client);
        }
      }
    }
  });
  const watcher = (async () => {
    while (!stop && !interrupted) {
      try {
        maxSpoolBytes = Math.max(maxSpoolBytes, (await agentHealth(adminPort)).spoolBytes);
        maxQueue = Math.max(maxQueue, await recordingQueue(adminPort));
      } catch {
        // agent busy; next sample
      }
      await sleep(100);
    }
  })();
  const progress = (what) =>
    log(`${at()}  ${what.padEnd(34)} ${String(succeeded.size).padStart(7)} ran  ${String(failed.size).padStart(7)} refused`);

  const phaseMs = DURATION_MS / (KILLS + 1);
  const redialMs = [];
  progress('load started');
  for (let k = 1; k <= KILLS && !interrupted; k++) {
    await pause(phaseMs);
    if (interrupted) break;
    progress(`SIGKILL control plane (${k}/${KILLS})`);
    await cp.stop('SIGKILL');
    await sleep(OUTAGE_MS);
    t = Date.now();
    cp = await startControlPlane(cpEnv, cpLog);
    cpStartMs.push(Date.now() - t);
    progress(`control plane up (${((Date.now() - t) / 1000).toFixed(1)} s to start)`);
    t = Date.now();
    await until(async () => (await agentHealth(adminPort)).link === 'ready', 120_000, 'the agent to redial');
    redialMs.push(Date.now() - t);
    progress(`agent redialled (${((Date.now() - t) / 1000).toFixed(1)} s later)`);
  }
  await pause(phaseMs);
  stop = true;
  await Promise.all(workers);
  await watcher;
  progress('load stopped');
  if (interrupted) throw new Error('interrupted');
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  t = Date.now();
  let last = {};
  await until(
    async () => {
      const health = await agentHealth(adminPort);
      const queue = await recordingQueue(adminPort);
      last = { spoolBytes: health.spoolBytes, queue, sessions: health.sessions };
      return health.sessions === 0 && health.spoolBytes === 0 && queue === 0;
    },
    DRAIN_TIMEOUT_MS,
    'the agent to deliver every event',
  ).catch((error) => {
    log(`!! ${error.message}: ${JSON.stringify(last)}`);
    exitCode = 1;
  });
  const drainMs = Date.now() - t;
  progress(`recording drained (${(drainMs / 1000).toFixed(1)} s)`);

  // ── the count ─────────────────────────────────────────────────────────────────────────────────
  const stored = new Set((await targetSql.query('SELECT id FROM soak_rows')).rows.map((r) => r.id));
  const textOf = (id) => `INSERT INTO soak_rows (id, client) VALUES ('${id}', ${id.slice(1, id.indexOf('-'))})`;
  const completions = new Map(
    (
      await controlSql.query(
        `SELECT payload->>'text' AS text, count(*)::int AS n, (count(*) FILTER (WHERE payload ? 'tag'))::int AS ok
           FROM session_events WHERE kind = 'command.completed' GROUP BY 1`,
      )
    ).rows.map((r) => [r.text, r]),
  );
  const events = (
    await controlSql.query(
      `SELECT count(*)::int AS n FROM session_events WHERE session_id IN (SELECT id FROM sessions WHERE client_application LIKE 'soak-%')`,
    )
  ).rows[0].n;
  const gaps = (
    await controlSql.query(
      `SELECT count(*)::int AS n FROM (
         SELECT e.session_id FROM session_events e JOIN session_event_chains c USING (session_id)
          GROUP BY e.session_id, c.chained_seq HAVING count(*) <> max(e.seq) OR min(e.seq) <> 1 OR c.chained_seq <> max(e.seq)) g`,
    )
  ).rows[0].n;
  const undecided = (
    await controlSql.query(
      `SELECT count(*)::int AS n FROM session_events c
         LEFT JOIN session_events d ON d.session_id = c.session_id AND d.seq = c.seq - 1 AND d.kind = 'command.decided'
        WHERE c.kind = 'command.completed' AND c.payload ? 'tag' AND d.payload->>'effect' IS DISTINCT FROM 'allow'`,
    )
  ).rows[0].n;
  const lostRows = [...succeeded].filter((id) => !stored.has(id)).length;
  const ranDespiteError = [...failed.keys()].filter((id) => stored.has(id)).length;
  const lostEvents = [...succeeded].filter((id) => completions.get(textOf(id))?.ok !== 1).length;
  const duplicated = [...completions.values()].filter((r) => r.n > 1).length;
  const missingCompletions = [...failed.keys()].filter((id) => !completions.has(textOf(id))).length;

  log('');
  log('| measure | value |');
  log('| --- | --- |');
  const row = (k, v) => log(`| ${k} | ${v} |`);
  row('statements sent', succeeded.size + failed.size);
  row('ran (client got a result)', succeeded.size);
  row('refused (client got an error)', `${failed.size} (${[...byCode].map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'})`);
  row('events stored for the soak sessions', events);
  row('lost: ran but row missing / completion event missing', `${lostRows} / ${lostEvents}`);
  row('refused statements without a completion event', missingCompletions);
  row('duplicated completion events', duplicated);
  row('ran despite an error', ranDespiteError);
  row('completed without a preceding allow decision', undecided);
  row('sessions with a seq gap or an unchained event', gaps);
  row('client reconnects needed', reconnects);
  row('max spool depth', `${maxSpoolBytes} bytes`);
  row('max in-memory queue', `${maxQueue} events`);
  row('control plane start', cpStartMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', '));
  row('agent redial after restart', redialMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') || '–');
  row('drain after the load', `${(drainMs / 1000).toFixed(1)} s`);
  if (lostRows + lostEvents + duplicated + ranDespiteError + undecided + gaps + missingCompletions > 0) exitCode = 1;
  log('');
  log(exitCode === 0 ? 'result: nothing lost, nothing duplicated, nothing undecided ran' : 'result: FAILED (see above)');
  await targetSql.end();
  await controlSql.end();
} catch (error) {
  process.stderr.write(`bench:soak could not run: ${error instanceof Error ? error.stack : String(error)}\nlogs: ${dir}\n`);
  exitCode = 1;
} finally {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await agent?.stop('SIGTERM');
  await cp?.stop('SIGTERM');
  if (opts.keep) log(`kept databases ${controlDb}, ${targetDb} and logs in ${dir}`);
  else {
    await withAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${controlDb} WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`);
    }).catch(() => undefined);
    if (exitCode === 0) rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(exitCode);
