#!/usr/bin/env node
// `pnpm bench:export`: memory of the control plane while it streams a large audit export
// (issue 6 acceptance: "export of 100,000 events streams in bounded memory"; docs/audit.md "Export").
//
// A measurement, not a test: it exits 0 whatever the numbers are, and non-zero only when it could
// not run. It creates (and always drops) its own database on the local PostgreSQL, starts (and
// always stops) its own control plane, inserts the events directly in SQL, then exports a small and
// the full range and samples the control plane's resident set size (Linux /proc) meanwhile.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { URL, URLSearchParams, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

/* global fetch, AbortSignal -- Node 20 globals */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONTROL_PLANE = join(ROOT, 'apps/control-plane/dist/main.js');
const DEV_SECRET = `bench-${randomBytes(8).toString('hex')}`;

const HELP = `usage: pnpm bench:export [-- options]   (or: node scripts/bench-export.mjs [options])

  --events <n>      events to insert                          (default 100000)
  --sessions <n>    sessions they belong to                   (default 1000)
  --admin-url <url> PostgreSQL to create the bench database on
                    (default $SLUICE_TEST_ADMIN_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --keep-database   leave the database for inspection (its name is printed)`;

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    sessions: { type: 'string', default: '1000' },
    'admin-url': { type: 'string', default: process.env.SLUICE_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'keep-database': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const EVENTS = Number(opts.events);
const SESSIONS = Number(opts.sessions);
if (!Number.isInteger(EVENTS) || EVENTS < 10 || !Number.isInteger(SESSIONS) || SESSIONS < 1 || SESSIONS > EVENTS) {
  process.stderr.write(`bench:export: --events must be an integer ≥ 10 and --sessions between 1 and --events\n`);
  process.exit(2);
}
if (process.platform !== 'linux') {
  process.stderr.write('bench:export: reads the resident set size from /proc: Linux only\n');
  process.exit(2);
}

const log = (line) => process.stdout.write(`${line}\n`);
const mb = (kb) => `${(kb / 1024).toFixed(1)} MiB`;

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

/** VmRSS and VmHWM (peak) of a process, in KiB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
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

/** Inserts the sessions and their events in SQL: opened, then received/decided/completed cycles, then closed. */
async function seed(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO principals (id, issuer, subject, kind, display_name, groups)
                        VALUES ('bench:principal', 'https://bench.invalid', 'bench', 'workload', 'Bench agent', '["ai-agents"]')`);
    await client.query(
      `INSERT INTO sessions (id, principal_id, connection, agent_id, client_address, client_application, token_expires_at, opened_at, closed_at, close_reason, principal)
       SELECT gen_random_uuid(), 'bench:principal', 'orders-db', 'bench-agent', '10.0.0.' || (s % 250) || ':5432', 'bench',
              now() + interval '1 hour', timestamptz '2025-01-01' + s * interval '1 second', NULL, NULL,
              '{"id":"bench:principal","issuer":"https://bench.invalid","tenantId":null,"subject":"bench","kind":"workload","displayName":"Bench agent","appId":null,"groups":["ai-agents"],"roles":[],"scopes":[],"groupOverage":false}'
         FROM generate_series(0, $1 - 1) AS s`,
      [SESSIONS],
    );
    const perSession = Math.floor(EVENTS / SESSIONS);
    const started = Date.now();
    await client.query(
      `WITH numbered AS (SELECT id, row_number() OVER (ORDER BY opened_at) - 1 AS n FROM sessions),
            events AS (
              SELECT s.id AS session_id, s.n, g.seq,
                     CASE WHEN g.seq = 1 THEN 'session.opened'
                          WHEN g.seq = $2 THEN 'session.closed'
                          WHEN g.seq % 3 = 2 THEN 'command.received'
                          WHEN g.seq % 3 = 0 THEN 'command.decided'
                          ELSE 'command.completed' END AS kind
                FROM numbered s CROSS JOIN generate_series(1, $2) AS g(seq)
               WHERE s.n * $2 + g.seq <= $1)
       INSERT INTO session_events (session_id, seq, kind, occurred_at, payload, prev_hash, hash)
       SELECT session_id, seq, kind, timestamptz '2025-01-01' + (n * $2 + seq) * interval '10 milliseconds',
              CASE kind
                WHEN 'session.opened' THEN jsonb_build_object('protocol', 'postgres', 'connection', 'orders-db', 'clientAddress', '10.0.0.1:5432',
                     'principal', jsonb_build_object('id', 'bench:principal', 'kind', 'workload', 'displayName', 'Bench agent', 'groups', '["ai-agents"]'::jsonb))
                WHEN 'command.received' THEN jsonb_build_object('via', 'query', 'text', 'SELECT id, full_name, email FROM customers WHERE id = ' || seq,
                     'classes', '["sql.dml.select"]'::jsonb, 'tables', '["customers"]'::jsonb, 'tablesWritten', '[]'::jsonb, 'functions', '[]'::jsonb, 'hasWhere', true)
                WHEN 'command.decided' THEN jsonb_build_object('effect', CASE WHEN seq % 7 = 0 THEN 'deny' ELSE 'mask' END, 'ruleIds', '["mask-pii"]'::jsonb,
                     'reason', 'Masked by rule mask-pii', 'policyVersion', 'v12', 'cached', seq % 2 = 0)
                WHEN 'command.completed' THEN jsonb_build_object('text', 'SELECT id, full_name, email FROM customers WHERE id = ' || (seq - 2),
                     'durationMs', seq % 40, 'tag', 'SELECT 1', 'rows', 1)
                ELSE jsonb_build_object('reason', 'client_closed') END,
              sha256(('prev' || session_id || seq)::bytea), sha256((session_id || ':' || seq)::bytea)
         FROM events`,
      [EVENTS, perSession],
    );
    const { rows } = await client.query(
      'SELECT count(*)::int AS n, min(occurred_at) AS first, max(occurred_at) AS last FROM session_events',
    );
    await client.query('ANALYZE session_events');
    await client.query('ANALYZE sessions');
    log(`inserted ${rows[0].n} events in ${SESSIONS} sessions (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return { count: rows[0].n, first: rows[0].first, last: rows[0].last };
  } finally {
    await client.end();
  }
}

async function startControlPlane(databaseUrl, stateDir) {
  const httpPort = await freePort();
  const child = spawn(process.execPath, [CONTROL_PLANE], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLUICE_ENV: 'test',
      SLUICE_DATABASE_URL: databaseUrl,
      SLUICE_STATE_DIR: stateDir,
      SLUICE_HTTP_PORT: String(httpPort),
      SLUICE_GRPC_PORT: String(await freePort()),
      SLUICE_GRPC_INSECURE: 'true',
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_DEV_ISSUER: 'true',
      SLUICE_DEV_ISSUER_SECRET: DEV_SECRET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const ready = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`control plane did not start within 60 s:\n${output.slice(-4000)}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      output = (output + chunk).slice(-20_000);
      if (output.includes('control plane ready')) {
        clearTimeout(timer);
        done();
      }
    });
    child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`control plane exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
  await ready;
  return { child, url: `http://127.0.0.1:${httpPort}` };
}

async function adminToken(url) {
  const response = await fetch(`${url}/dev-issuer/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'demo-admin',
      client_secret: DEV_SECRET,
      scope: 'api://sluice/.default',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`dev issuer: ${response.status}`);
  return (await response.json()).access_token;
}

/** Streams one export, counting lines and bytes (never holding them), sampling the server's RSS. */
async function measureExport(cp, token, from, to) {
  const before = memory(cp.child.pid);
  let peak = before.rss;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, memory(cp.child.pid).rss);
    } catch {
      // process gone: the export will fail and say so
    }
  }, 10);
  const started = process.hrtime.bigint();
  let lines = 0;
  let bytes = 0;
  try {
    const response = await fetch(`${cp.url}/api/v1/audit/export?from=${from.toISOString()}&to=${to.toISOString()}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15 * 60_000),
    });
    if (!response.ok) throw new Error(`export: HTTP ${response.status} ${await response.text()}`);
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      for (const byte of chunk) if (byte === 10) lines += 1;
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = memory(cp.child.pid);
  return { lines, bytes, seconds, before: before.rss, peak: Math.max(peak, after.rss), after: after.rss, hwm: after.hwm };
}

const name = `sluice_bench_export_${randomBytes(4).toString('hex')}`;
const stateDir = mkdtempSync(join(tmpdir(), 'sluice-bench-export-'));
let cp;
let exitCode = 0;
try {
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(opts['admin-url']);
  url.pathname = `/${name}`;
  // Start once to run the migrations, seed, then measure on a fresh process.
  cp = await startControlPlane(url.toString(), stateDir);
  const seeded = await seed(url.toString());
  cp.child.kill('SIGTERM');
  await new Promise((r) => cp.child.once('exit', r));
  cp = await startControlPlane(url.toString(), stateDir);
  const token = await adminToken(cp.url);
  log(`control plane pid ${cp.child.pid}, ${cp.url}; idle RSS ${mb(memory(cp.child.pid).rss)}`);
  log('');
  log('range              events    bytes        time     events/s   RSS before   peak during   peak - before');

  const first = new Date(seeded.first);
  const end = new Date(new Date(seeded.last).getTime() + 1);
  const tenth = new Date(first.getTime() + (end.getTime() - first.getTime()) / 10);
  // Warm-up (JIT, connection pool), then the measured runs: a tenth of the range, then all of it.
  await measureExport(cp, token, first, tenth);
  const peaks = {};
  for (const [label, to] of [
    ['10% of events', tenth],
    ['all events', end],
    ['all events again', end],
  ]) {
    const r = await measureExport(cp, token, first, to);
    peaks[label] = r.peak;
    log(
      `${label.padEnd(18)} ${String(r.lines).padStart(7)}  ${`${(r.bytes / 1024 / 1024).toFixed(1)} MiB`.padStart(10)}  ${`${r.seconds.toFixed(2)} s`.padStart(8)}  ${String(Math.round(r.lines / r.seconds)).padStart(9)}   ${mb(r.before).padStart(10)}   ${mb(r.peak).padStart(11)}   ${mb(r.peak - r.before).padStart(13)}`,
    );
    if (label !== '10% of events' && r.lines !== seeded.count) {
      log(`!! exported ${r.lines} lines for ${seeded.count} events`);
      exitCode = 1;
    }
  }
  log('');
  log(
    `peak RSS of the control plane: ${mb(peaks['10% of events'])} exporting 10% of the events, ${mb(peaks['all events'])} exporting all of them`,
  );
  log(`VmHWM (peak RSS since the control plane started): ${mb(memory(cp.child.pid).hwm)}`);
} catch (error) {
  process.stderr.write(`bench:export could not run: ${error instanceof Error ? error.message : String(error)}\n`);
  exitCode = 1;
} finally {
  if (cp && cp.child.exitCode === null) {
    cp.child.kill('SIGTERM');
    await new Promise((r) => cp.child.once('exit', r));
  }
  if (opts['keep-database']) log(`kept database ${name}`);
  else await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(exitCode);
