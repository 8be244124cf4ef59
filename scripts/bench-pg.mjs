#!/usr/bin/env node
// `pnpm bench:pg`: what the agent's PostgreSQL data path costs, measured side by side with direct
// PostgreSQL and PgBouncer on the same machine (issue 4, item 7; method in docs/performance.md).
//
// A measurement, not a test: it exits 0 whatever the numbers are, and non-zero only when it could
// not run. It starts (and always stops) its own PgBouncer, control plane and agent, creates (and
// always drops) its own databases on the local PostgreSQL, and keeps its files in one temp dir.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  chmodSync,
  chownSync,
  existsSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONTROL_PLANE = join(ROOT, 'apps/control-plane/dist/main.js');
const CONTROL_PLANE_CLI = join(ROOT, 'apps/control-plane/dist/cli.js');
const AGENT = join(ROOT, 'apps/agent/dist/main.js');

// ── options ─────────────────────────────────────────────────────────────────────────────────────

const HELP = `usage: pnpm bench:pg [-- options]   (or: node scripts/bench-pg.mjs [options])

  --duration <s>      pgbench -T per measured run                     (default 10)
  --rounds <n>        interleaved rounds, at least 3 for a median      (default 3)
  --clients <list>    client counts                                    (default 1,8)
  --modes <list>      pgbench -M protocols                             (default simple,prepared)
  --scale <n>         pgbench -i -s                                    (default 10)
  --idle-clients <n>  idle clients for the memory measurement, 0 = skip it (default 500)
  --no-pgbouncer      skip (b) even when PgBouncer can be installed
  --targets <list>    only these of direct,pgbouncer,relay,sluice,sluice-mask (default: all available)
  --node-relay        also measure (r): a bare Node TCP relay (socket.pipe), the floor for any Node proxy
  --profile           also run one CPU-profiled round of (c) and (d) at 8 clients (node --cpu-prof)
  --profile-out <dir> keep the .cpuprofile files there (default: deleted with the temp dir)
  --agent-node-args=<args>  extra node flags for the measured agent, e.g. --agent-node-args=--perf-basic-prof
  --cp-node-args=<args>     extra node flags for the control plane, e.g. --cp-node-args="--cpu-prof --cpu-prof-dir=./prof"
  --pg-host/--pg-port/--pg-user   the PostgreSQL to measure (default 127.0.0.1, 5432, postgres; trust auth)
  --quick             smoke run: --duration 3 --rounds 1 --idle-clients 50`;

const { values: opts } = parseArgsOrExit({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    clients: { type: 'string', default: '1,8' },
    modes: { type: 'string', default: 'simple,prepared' },
    scale: { type: 'string', default: '10' },
    'idle-clients': { type: 'string', default: '500' },
    'no-pgbouncer': { type: 'boolean', default: false },
    targets: { type: 'string', default: 'direct,pgbouncer,relay,sluice,sluice-mask' },
    'node-relay': { type: 'boolean', default: process.env.BENCH_NODE_RELAY === '1' },
    profile: { type: 'boolean', default: process.env.BENCH_PROFILE === '1' },
    'profile-out': { type: 'string' },
    'agent-node-args': { type: 'string', default: '' },
    'cp-node-args': { type: 'string', default: '' },
    'pg-host': { type: 'string', default: '127.0.0.1' },
    'pg-port': { type: 'string', default: '5432' },
    'pg-user': { type: 'string', default: 'postgres' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
function parseArgsOrExit(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    return usage(error.message);
  }
}

if (opts.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (opts.quick) {
  // Smoke-run values, unless given explicitly.
  const given = new Set(process.argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  for (const [name, value] of Object.entries({ duration: '3', rounds: '1', 'idle-clients': '50' }))
    if (!given.has(name)) opts[name] = value;
}

const DURATION = positiveInt(opts.duration, '--duration');
const ROUNDS = positiveInt(opts.rounds, '--rounds');
const CLIENTS = opts.clients.split(',').map((c) => positiveInt(c, '--clients'));
const MODES = opts.modes.split(',').map((m) => {
  if (m !== 'simple' && m !== 'prepared' && m !== 'extended') usage(`--modes: unknown protocol ${m}`);
  return m;
});
const SCALE = positiveInt(opts.scale, '--scale');
const IDLE_CLIENTS = opts['idle-clients'] === '0' ? 0 : positiveInt(opts['idle-clients'], '--idle-clients');
const PG = { host: opts['pg-host'], port: positiveInt(opts['pg-port'], '--pg-port'), user: opts['pg-user'] };
const ONLY = new Set(opts.targets.split(','));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// Targets; (d) is measured with its own workload and (a)/(b) run that workload too as its baselines.
const TARGETS = {
  direct: { label: '(a) direct', proxy: undefined },
  pgbouncer: { label: '(b) pgbouncer', proxy: 'pgbouncer' },
  relay: { label: '(r) node relay', proxy: 'relay' },
  sluice: { label: '(c) sluice', proxy: 'agent' },
  'sluice-mask': { label: '(d) sluice+mask', proxy: 'agent' },
};
const WORKLOADS = {
  select: { label: 'pgbench -S (abalance, int)', targets: ['direct', 'pgbouncer', 'relay', 'sluice'] },
  filler: { label: 'SELECT filler (char(84)) by aid', targets: ['direct', 'pgbouncer', 'relay', 'sluice-mask'] },
};

// ── small helpers ──────────────────────────────────────────────────────────────────────────────────

function usage(message) {
  process.stderr.write(`bench-pg: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer`);
  return n;
}

function say(line = '') {
  process.stdout.write(`${line}\n`);
}

function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function fmt(value, digits = 0) {
  return value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** CPU time of a process (all its threads) in ms: user (utime) and kernel (stime, syscalls and loopback TCP). */
function cpuMs(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(fields[11]) * 1000) / CLK_TCK, sys: (Number(fields[12]) * 1000) / CLK_TCK };
  } catch {
    return undefined;
  }
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Busy share of all CPUs over the interval (from /proc/stat): how quiet the machine is. */
function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

async function machineBusyPercent(ms) {
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  const total = after.total - before.total;
  return total === 0 ? 0 : (100 * (total - (after.idle - before.idle))) / total;
}

async function psql(sql, database = 'postgres') {
  const { stdout } = await run('psql', [
    '-X',
    '-h',
    PG.host,
    '-p',
    String(PG.port),
    '-U',
    PG.user,
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-Atc',
    sql,
  ]);
  return stdout.trim();
}

// ── process bookkeeping and cleanup (also on Ctrl-C) ─────────────────────────────────────────────

const children = new Set();
const databases = [];
let workDir;
let stopping = false;
let cleaning;

class Interrupted extends Error {}

function launch(label, command, args, env, { logFile } = {}) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logFile ? createWriteStream(logFile) : undefined;
  const tail = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      log?.write(chunk);
      tail.push(chunk.toString('utf8'));
      if (tail.length > 40) tail.shift();
    });
  }
  child.tail = () => tail.join('').split('\n').slice(-15).join('\n');
  child.label = label;
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    log?.end();
  });
  return child;
}

async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const killed = sleep(graceMs).then(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await Promise.race([exited, killed]);
  await exited;
}

async function cleanup() {
  cleaning ??= (async () => {
    stopping = true;
    await Promise.all([...children].map((child) => stopChild(child).catch(() => undefined)));
    for (const database of databases.splice(0)) {
      try {
        await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } catch (error) {
        process.stderr.write(`bench-pg: could not drop database ${database}: ${error.message}\n`);
      }
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    if (stopping) return;
    say(`\n${signal}: stopping everything the benchmark started…`);
    void cleanup().finally(() => process.exit(code));
  });
}

function checkStopping() {
  if (stopping) throw new Interrupted('interrupted');
}

// ── setup: database, PgBouncer, control plane, agent ─────────────────────────────────────────────

async function createBenchDatabases() {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const bench = `sluice_bench_${suffix}`;
  const controlPlane = `sluice_bench_cp_${suffix}`;
  for (const name of [bench, controlPlane]) {
    databases.push(name);
    await psql(`CREATE DATABASE ${name}`);
  }
  say(`pgbench -i -s ${SCALE} into ${bench} …`);
  await run('pgbench', ['-i', '-q', '-s', String(SCALE), '-h', PG.host, '-p', String(PG.port), '-U', PG.user, bench], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return { bench, controlPlane };
}

function findPgbouncer() {
  for (const path of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) if (existsSync(path)) return path;
  return undefined;
}

async function ensurePgbouncer() {
  if (opts['no-pgbouncer']) return undefined;
  let binary = findPgbouncer();
  if (binary) return binary;
  say('PgBouncer is not installed: apt-get install -y pgbouncer …');
  const apt = (...args) =>
    run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 16 * 1024 * 1024 });
  try {
    await apt('install', '-y', '--no-install-recommends', 'pgbouncer').catch(async () => {
      // Stale or missing package lists are the usual cause: refresh once and retry.
      await apt('update');
      await apt('install', '-y', '--no-install-recommends', 'pgbouncer');
    });
  } catch (error) {
    say(
      `could not install PgBouncer (${String(error.stderr || error.message)
        .trim()
        .split('\n')
        .pop()}); skipping (b)`,
    );
    return undefined;
  }
  binary = findPgbouncer();
  if (!binary) say('apt-get reported success but no pgbouncer binary was found; skipping (b)');
  return binary;
}

/**
 * PgBouncer with its own config: database `<bench>` in session mode for (b), and an alias
 * `<bench>_idle` in transaction mode that the memory measurement sends its 500 idle clients through
 * (the local PostgreSQL allows only max_connections backends; the agent's per-client memory does not
 * depend on what is behind it).
 */
async function startPgbouncer(binary, bench) {
  const dir = join(workDir, 'pgbouncer');
  const port = await freePort();
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  writeFileSync(
    join(workDir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${bench} = host=${PG.host} port=${PG.port} dbname=${bench} user=${PG.user}`,
      `${bench}_idle = host=${PG.host} port=${PG.port} dbname=${bench} user=${PG.user} pool_mode=transaction pool_size=4`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = session',
      'default_pool_size = 40',
      'max_client_conn = 2000',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  const args = [join(workDir, 'pgbouncer.ini')];
  // PgBouncer refuses to run as root; -u switches user after start (same pid, so /proc works).
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
    chmodSync(workDir, 0o755);
    args.unshift('-u', 'postgres');
  }
  const child = launch('pgbouncer', binary, args, process.env, { logFile: join(workDir, 'pgbouncer.out') });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}):\n${child.tail()}`);
    try {
      await run('psql', ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', PG.user, '-d', bench, '-Atc', 'select 1']);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer: ${error.message}`, { cause: error });
      await sleep(200);
    }
  }
  return { child, port, version };
}

/** (r): the least a Node proxy can do — accept, connect, pipe both ways (no parsing at all). */
const RELAY_SOURCE = `
const net = require('node:net');
const [listenPort, host, port] = process.argv.slice(1).map((v, i) => (i === 1 ? v : Number(v)));
net.createServer((client) => {
  client.setNoDelay(true);
  const server = net.connect({ host, port }, () => server.setNoDelay(true));
  client.pipe(server).pipe(client);
  const close = () => { client.destroy(); server.destroy(); };
  client.on('error', close); server.on('error', close); client.on('close', close); server.on('close', close);
}).listen(listenPort, '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

async function startRelay() {
  const port = await freePort();
  const child = launch('node-relay', process.execPath, ['-e', RELAY_SOURCE, String(port), PG.host, String(PG.port)], process.env);
  const deadline = Date.now() + 10_000;
  while (!child.tail().includes('ready')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the node relay did not start:\n${child.tail()}`);
    await sleep(50);
  }
  return { child, port };
}

const POLICY = `# bench-pg: every verified principal may do anything on the benchmark's connections;
# the masked connection masks pgbench_accounts.filler.
rules:
  - id: allow-bench
    description: The benchmark connections are open
    match: { connection: { tags: { bench: 'yes' } } }
    effect: allow
  - id: mask-filler
    description: Mask the filler column on the masked connection
    match: { connection: { names: [bench-masked] } }
    effect:
      mask:
        columns:
          - { pattern: pgbench_accounts.filler, strategy: { kind: partial, keepLast: 4 } }
`;

async function startControlPlane(database) {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const stateDir = join(workDir, 'control-plane');
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  const issuerSecret = randomBytes(24).toString('base64url');
  writeFileSync(join(workDir, 'policy.yaml'), POLICY);
  const child = launch(
    'control-plane',
    process.execPath,
    [...opts['cp-node-args'].split(' ').filter((a) => a !== ''), CONTROL_PLANE],
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SLUICE_ENV: 'development',
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_HTTP_PORT: String(httpPort),
      SLUICE_GRPC_PORT: String(grpcPort),
      SLUICE_GRPC_INSECURE: 'true',
      SLUICE_DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${database}`,
      SLUICE_STATE_DIR: stateDir,
      SLUICE_POLICY_FILE: join(workDir, 'policy.yaml'),
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_DEV_ISSUER: 'true',
      SLUICE_DEV_ISSUER_SECRET: issuerSecret,
    },
    { logFile: join(workDir, 'control-plane.log') },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    checkStopping();
    if (child.exitCode !== null) throw new Error(`the control plane exited (${child.exitCode}):\n${child.tail()}`);
    try {
      if ((await globalThis.fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the control plane was not ready in 90 s:\n${child.tail()}`);
    await sleep(250);
  }
  writeFileSync(join(workDir, 'agent.key'), `${agentKey}\n`, { mode: 0o600 });
  const controlPlane = { child, url, grpcPort, issuerSecret };
  // /readyz can answer before the development issuer is set up (it needs the listening URL).
  for (;;) {
    checkStopping();
    try {
      await devToken(controlPlane);
      return controlPlane;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no token from the development issuer: ${error.message}`, { cause: error });
      await sleep(250);
    }
  }
}

async function devToken(controlPlane) {
  const response = await globalThis.fetch(`${controlPlane.url}/dev-issuer/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'demo-agent',
      client_secret: controlPlane.issuerSecret,
      scope: 'api://sluice/.default',
    }).toString(),
  });
  if (!response.ok) throw new Error(`dev issuer: HTTP ${response.status}`);
  return (await response.json()).access_token;
}

/**
 * Recording events the agent holds that the control plane has not acknowledged yet (in memory and
 * spooled to disk), from its Prometheus endpoint; undefined when this agent build has none.
 */
async function recordingBacklog(agent) {
  try {
    const text = await (await globalThis.fetch(`http://127.0.0.1:${agent.adminPort}/metrics`)).text();
    const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const queue = gauge('sluice_agent_recording_queue');
    const spoolBytes = gauge('sluice_agent_spool_bytes');
    return Number.isNaN(queue) ? undefined : { queue, spoolBytes: Number.isNaN(spoolBytes) ? 0 : spoolBytes };
  } catch {
    return undefined;
  }
}

/** Waits (≤ 180 s) until the control plane has acknowledged every event; returns the seconds it took. */
async function drainRecording(agent) {
  const started = Date.now();
  for (;;) {
    const backlog = await recordingBacklog(agent);
    if (!backlog || (backlog.queue === 0 && backlog.spoolBytes === 0)) return (Date.now() - started) / 1000;
    if (Date.now() - started > 180_000) return Infinity;
    checkStopping();
    await sleep(250);
  }
}

/** The agent's YAML: the open connection (c), the masked one (d), and the idle-client one. */
function agentYaml({ grpcPort, database, ports, idleTarget }) {
  const connection = (name, port, target) =>
    [
      `  - name: ${name}`,
      '    protocol: postgres',
      `    listen: "127.0.0.1:${port}"`,
      `    target: { host: ${target.host}, port: ${target.port}, database: ${target.database}, sslMode: disable }`,
      `    credentials: { username: ${PG.user}, password: { env: BENCH_PG_PASSWORD } }`,
      // Plaintext on loopback, like (a) and (b); the idle-client measurement uses TLS.
      '    allowPlaintextOnLoopback: true',
      "    tags: { bench: 'yes' }",
    ].join('\n');
  const direct = { host: PG.host, port: PG.port, database };
  return [
    'agent: { id: bench-agent, segment: bench }',
    `controlPlane: { address: "127.0.0.1:${grpcPort}", insecure: true }`,
    'connections:',
    connection('bench-open', ports.open, direct),
    connection('bench-masked', ports.masked, direct),
    connection('bench-idle', ports.idle, idleTarget),
    '',
  ].join('\n');
}

async function startAgent(controlPlane, database, idleTarget, { profileDir, inspect = false } = {}) {
  const ports = { open: await freePort(), masked: await freePort(), idle: await freePort() };
  const name = profileDir ? 'agent-profiled' : inspect ? 'agent-memory' : 'agent';
  const inspectPort = inspect ? await freePort() : undefined;
  const adminPort = await freePort();
  const configFile = join(workDir, `${name}.yaml`);
  writeFileSync(configFile, agentYaml({ grpcPort: controlPlane.grpcPort, database, ports, idleTarget }));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    SLUICE_AGENT_CONFIG: configFile,
    SLUICE_AGENT_KEY_FILE: join(workDir, 'agent.key'),
    SLUICE_AGENT_STATE_DIR: join(workDir, 'agent-state'),
    SLUICE_LOG_LEVEL: 'warn',
    BENCH_PG_PASSWORD: 'unused-trust-auth',
    // The agent's admin/metrics listener (default 127.0.0.1:9464) must not collide with another agent.
    SLUICE_AGENT_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
  };
  // Only the agent is profiled, and only when asked (Node 20 refuses --cpu-prof in NODE_OPTIONS).
  // The memory agent opens its inspector (loopback) so the benchmark can force a GC before each reading.
  const nodeArgs = profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
    : inspect
      ? [`--inspect=127.0.0.1:${inspectPort}`]
      : opts['agent-node-args'].split(' ').filter((a) => a !== '');
  const child = launch(name, process.execPath, [...nodeArgs, AGENT], env, { logFile: join(workDir, `${name}.log`) });
  const agent = { child, ports, database, inspectPort, adminPort };
  // Ready = a statement goes through: listener up, link to the control plane ready, policy allows.
  const deadline = Date.now() + 60_000;
  let lastError;
  while (Date.now() < deadline) {
    checkStopping();
    if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}):\n${child.tail()}`);
    const client = new pg.Client({ host: '127.0.0.1', port: ports.open, user: 'bench', database, password: await devToken(controlPlane) });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return agent;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await sleep(300);
    }
  }
  throw new Error(`the agent did not pass a statement within 60 s (${lastError?.message}):\n${child.tail()}`);
}

// ── pgbench runs ──────────────────────────────────────────────────────────────────────────────────

function fillerScript() {
  const file = join(workDir, 'select-filler.sql');
  // Same shape as the built-in -S, but reading the text column that (d) masks.
  writeFileSync(file, `\\set aid random(1, ${100_000 * SCALE})\nSELECT filler FROM pgbench_accounts WHERE aid = :aid;\n`);
  return file;
}

let runCounter = 0;

/** One pgbench run against one target; CPU of the proxies read from /proc around it. */
async function pgbench(env, target, { workload, mode, clients, duration, latencyLog }) {
  checkStopping();
  const conn = await env.connectionFor(target);
  const logPrefix = join(workDir, `log-${++runCounter}`);
  const args = [
    '-n',
    '-h',
    '127.0.0.1',
    '-p',
    String(conn.port),
    '-U',
    conn.user,
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(duration),
    '-M',
    mode,
    ...(workload === 'select' ? ['-S'] : ['-f', env.fillerFile]),
    ...(latencyLog ? ['-l', `--log-prefix=${logPrefix}`] : []),
    conn.database,
  ];
  const cpuBefore = {
    agent: cpuMs(env.agent?.child.pid),
    cp: cpuMs(env.controlPlane?.child.pid),
    pgbouncer: cpuMs(env.pgbouncer?.child.pid),
    relay: cpuMs(env.relay?.child.pid),
  };
  const child = launch(`pgbench ${target}`, 'pgbench', args, { ...process.env, PGPASSWORD: conn.password, PGSSLMODE: 'disable' });
  const code = await new Promise((done) => child.once('exit', (c, signal) => done(c ?? signal)));
  // Recording that has not caught up by the end of the run is part of the run's cost: wait for it
  // (so it does not leak into the next run) and count the CPU spent meanwhile.
  const agentRun = TARGETS[target].proxy === 'agent' && env.agent;
  const backlog = agentRun ? await recordingBacklog(env.agent) : undefined;
  const drainSeconds = agentRun && backlog ? await drainRecording(env.agent) : undefined;
  const cpuAfter = {
    agent: cpuMs(env.agent?.child.pid),
    cp: cpuMs(env.controlPlane?.child.pid),
    pgbouncer: cpuMs(env.pgbouncer?.child.pid),
    relay: cpuMs(env.relay?.child.pid),
  };
  checkStopping();
  const output = child.tail();
  const tps = /^tps = ([\d.]+)/m.exec(output);
  const processed = /^number of transactions actually processed: (\d+)/m.exec(output);
  const failed = /^number of failed transactions: (\d+)/m.exec(output);
  const result = {
    target,
    ok: code === 0 && tps !== null,
    tps: tps ? Number(tps[1]) : undefined,
    transactions: processed ? Number(processed[1]) : 0,
    failed: failed ? Number(failed[1]) : 0,
    backlogEvents: backlog?.queue,
    spoolKb: backlog ? backlog.spoolBytes / 1024 : undefined,
    drainSeconds,
    error:
      code === 0
        ? undefined
        : output
            .split('\n')
            .filter((l) => /error|abort|fatal/i.test(l))
            .slice(0, 3)
            .join(' | ') || `exit ${code}`,
  };
  const per1k = (before, after) =>
    before === undefined || after === undefined || result.transactions === 0
      ? undefined
      : (after.user + after.sys - before.user - before.sys) / (result.transactions / 1000);
  const sysShare = (before, after) => {
    const total = before && after ? after.user + after.sys - before.user - before.sys : 0;
    return total > 0 ? (100 * (after.sys - before.sys)) / total : undefined;
  };
  const proxy = TARGETS[target].proxy;
  if (proxy === 'agent' || proxy === 'pgbouncer' || proxy === 'relay') {
    result.proxyCpuPer1k = per1k(cpuBefore[proxy], cpuAfter[proxy]);
    result.proxySysPercent = sysShare(cpuBefore[proxy], cpuAfter[proxy]);
  }
  if (proxy === 'agent') result.cpCpuPer1k = per1k(cpuBefore.cp, cpuAfter.cp);
  if (latencyLog) {
    const latencies = [];
    const base = logPrefix.slice(workDir.length + 1);
    for (const file of readdirSync(workDir).filter((f) => f.startsWith(`${base}.`))) {
      // client_id transaction_no time(µs) script_no epoch epoch_us — pgbench "Per-Transaction Logging".
      for (const line of readFileSync(join(workDir, file), 'utf8').split('\n')) {
        const time = Number(line.split(' ')[2]);
        if (line !== '' && Number.isFinite(time)) latencies.push(time);
      }
      rmSync(join(workDir, file));
    }
    latencies.sort((a, b) => a - b);
    result.p50 = percentile(latencies, 0.5);
    result.p99 = percentile(latencies, 0.99);
  }
  return result;
}

// ── idle-client memory ───────────────────────────────────────────────────────────────────────────

/**
 * A DevTools-protocol client run as a child (Node 20 has WebSocket only behind a flag): calls the
 * given methods in order on the agent's inspector and prints their results as JSON.
 */
const INSPECTOR_CLIENT = `
const [url, ...methods] = process.argv.slice(1);
const ws = new WebSocket(url);
const results = {};
let id = 0;
const next = () => {
  if (id === methods.length) { process.stdout.write(JSON.stringify(results), () => process.exit(0)); return; }
  id += 1;
  ws.send(JSON.stringify({ id, method: methods[id - 1] }));
};
ws.onopen = next;
ws.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.id !== id) return;
  results[methods[id - 1]] = message.result ?? message.error;
  next();
};
ws.onerror = () => { process.stderr.write('inspector connection failed'); process.exit(1); };
setTimeout(() => { process.stderr.write('inspector timeout'); process.exit(1); }, 60000);
`;

async function inspector(agent, methods) {
  if (!agent.inspectorUrl) {
    const targets = await (await globalThis.fetch(`http://127.0.0.1:${agent.inspectPort}/json/list`)).json();
    agent.inspectorUrl = targets[0]?.webSocketDebuggerUrl;
    if (!agent.inspectorUrl) throw new Error('the agent has no inspector target');
  }
  const { stdout } = await run(process.execPath, [
    '--experimental-websocket',
    '--no-warnings',
    '-e',
    INSPECTOR_CLIENT,
    agent.inspectorUrl,
    ...methods,
  ]);
  return JSON.parse(stdout);
}

/** RSS and V8 heap after two forced full GCs and a short pause (so the numbers do not depend on GC timing). */
async function settledMemory(agent) {
  // V8 and malloc give pages back some time after a GC: repeat until RSS holds still (≤ 0.5 %) twice.
  const readings = [];
  for (let i = 0; i < 15; i++) {
    const result = await inspector(agent, ['HeapProfiler.collectGarbage', 'HeapProfiler.collectGarbage', 'Runtime.getHeapUsage']);
    await sleep(1000);
    readings.push({ rss: rssKb(agent.child.pid), heap: (result['Runtime.getHeapUsage']?.usedSize ?? NaN) / 1024 });
    const last = readings.slice(-3).map((r) => r.rss);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.005) break;
  }
  return readings[readings.length - 1];
}

/** Least-squares slope of y over x, and r² (how well a straight line explains the readings). */
function fitLine(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const syy = points.reduce((a, p) => a + (p.y - my) ** 2, 0);
  return { slope: sxy / sxx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** RSS once it stops moving (for PgBouncer, which has no GC): three 1-s samples within 1 % (≤ 20 s). */
async function settledRss(pid) {
  const samples = [];
  for (let i = 0; i < 20; i++) {
    samples.push(rssKb(pid));
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.01) break;
    await sleep(1000);
  }
  return samples[samples.length - 1];
}

async function openIdleClients(count, connect) {
  const clients = [];
  for (let i = 0; i < count; i += 25) {
    checkStopping();
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, async () => {
        const client = new pg.Client(connect);
        client.on('error', () => undefined);
        await client.connect();
        return client;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

async function closeAll(clients) {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}

/**
 * Agent RSS and JS heap (after forced GCs) at 0, N/4 … N idle authenticated clients (token as the
 * password); the per-client figure is the slope of a straight line through the five readings.
 */
async function measureIdleMemory(env, agent, count, { tls }) {
  const connect = {
    host: '127.0.0.1',
    port: agent.ports.idle,
    user: 'bench',
    database: env.idleDatabase,
    password: await devToken(env.controlPlane),
    ssl: tls ? { rejectUnauthorized: false } : false,
  };
  // One client first, so one-off lazy initialisation (TLS context, first session) is not counted.
  await closeAll(await openIdleClients(1, connect));
  const clients = [];
  const readings = [{ clients: 0, ...(await settledMemory(agent)) }];
  for (let step = 1; step <= 4; step++) {
    clients.push(...(await openIdleClients(Math.round((count * step) / 4) - clients.length, connect)));
    readings.push({ clients: clients.length, ...(await settledMemory(agent)) });
  }
  await closeAll(clients);
  await sleep(2000);
  const closed = await settledMemory(agent);
  const rss = fitLine(readings.map((r) => ({ x: r.clients, y: r.rss })));
  const heap = fitLine(readings.map((r) => ({ x: r.clients, y: r.heap })));
  return { count, readings, closed, perClient: rss.slope, r2: rss.r2, heapPerClient: heap.slope };
}

async function measurePgbouncerIdleMemory(env, count) {
  const pid = env.pgbouncer.child.pid;
  const connect = { host: '127.0.0.1', port: env.pgbouncer.port, user: PG.user, database: env.idleDatabase };
  const base = await settledRss(pid);
  const clients = await openIdleClients(count, connect);
  const full = await settledRss(pid);
  await closeAll(clients);
  return { count, base, full, perClient: (full - base) / count };
}

// ── CPU profile summary ──────────────────────────────────────────────────────────────────────────

function area(url, functionName) {
  if (functionName === '(garbage collector)') return 'V8 garbage collector';
  if (functionName === '(program)') return 'native / V8 (program)';
  if (url.startsWith('wasm://')) return 'libpg-query WASM (parser)';
  if (url.includes('/libs/sql/')) return 'libs/sql (classifier, JS)';
  if (url.includes('libpg-query')) return 'libpg-query (JS glue)';
  if (url.includes('/libs/postgres-wire/')) return 'libs/postgres-wire (codec)';
  if (url.includes('/libs/masking/')) return 'libs/masking';
  if (url.includes('/apps/agent/dist/recording/')) return 'agent recording';
  if (url.includes('/apps/agent/dist/link/') || url.includes('@grpc') || url.includes('protobufjs')) return 'agent link (gRPC)';
  if (url.includes('/apps/agent/dist/')) return 'agent data path (session, gate, caches)';
  if (url.includes('/pino')) return 'logging (pino)';
  if (url.startsWith('node:') || url === '') return 'Node core (net, streams, crypto, timers)';
  return 'other dependencies';
}

/**
 * Self and inclusive time from a .cpuprofile, counting only the samples taken while pgbench ran
 * (`window`: ms since the profiled process was spawned), so start-up (module loading, the WASM
 * parser) does not dilute the data path.
 */
function summarizeProfile(file, window) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url
      .replace(/^file:\/\/\/.*?\/(apps|libs|node_modules)\//, '$1/')
      .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
    return `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  let at = 0; // µs since the profile started (≈ since spawn: the profiler starts during bootstrap)
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at / 1000 < window.from || at / 1000 > window.to) return;
    const node = nodes.get(id);
    if (!node) return;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    total += dt;
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + dt);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur);
      if (!n || n.callFrame.functionName === '(root)') continue;
      const ck = key(n);
      if (seen.has(ck)) continue;
      seen.add(ck);
      inclusive.set(ck, (inclusive.get(ck) ?? 0) + dt);
    }
  });
  const top = (map, n, filter = () => true) =>
    [...map.entries()]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  return { total, idle, areas: top(areas, 20), self: top(self, 18), inclusive: top(inclusive, 22, (k) => /(apps|libs)\//.test(k)) };
}

async function profileRound(env, idleTarget, cases) {
  const profileDir = join(workDir, 'profiles');
  execFileSync('mkdir', ['-p', profileDir]);
  const results = [];
  // The profiled agents replace the measured one (same agent id and key, so one at a time).
  await stopChild(env.agent.child);
  for (const c of cases) {
    const dir = join(profileDir, `${c.target}-${c.mode}-${c.clients}`);
    const spawnedAt = Date.now();
    env.agent = await startAgent(env.controlPlane, env.database, idleTarget, { profileDir: dir });
    await pgbench(env, c.target, { ...c, duration: 2, latencyLog: false }); // warm-up, outside the window
    const from = Date.now() - spawnedAt;
    const run = await pgbench(env, c.target, { ...c, duration: DURATION, latencyLog: false });
    // Trim the edges: pgbench connects before its clock starts and the spawn→profiler offset is a few ms.
    const window = { from: from + 300, to: Date.now() - spawnedAt - 300 };
    await stopChild(env.agent.child);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      say(`no CPU profile was written for ${c.target} ${c.mode} c=${c.clients}`);
      continue;
    }
    if (opts['profile-out']) {
      execFileSync('mkdir', ['-p', opts['profile-out']]);
      execFileSync('cp', [join(dir, file), join(opts['profile-out'], `agent-${c.target}-${c.mode}-c${c.clients}.cpuprofile`)]);
    }
    results.push({ ...c, run, window, summary: summarizeProfile(join(dir, file), window) });
  }
  env.agent = undefined;
  return results;
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  for (const file of [CONTROL_PLANE, CONTROL_PLANE_CLI, AGENT]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm run build first (pnpm bench:pg does)`);
  }
  for (const tool of ['psql', 'pgbench']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed (apt-get install postgresql-client-15)`);
    }
  }
  const serverVersion = await psql('SHOW server_version').catch((error) => {
    throw new Error(`cannot reach PostgreSQL at ${PG.host}:${PG.port} as ${PG.user}: ${error.message}`);
  });
  const maxConnections = Number(await psql('SHOW max_connections'));
  workDir = mkdtempSync(join(tmpdir(), 'sluice-bench-pg-'));

  const busy = await machineBusyPercent(2000);
  say('Sluice PostgreSQL benchmark (docs/performance.md)');
  say(
    `machine   ${cpus()[0]?.model ?? '?'} × ${cpus().length} vCPU, Linux ${release()}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  say(`          CPU busy before start: ${busy.toFixed(0)} %${busy > 15 ? '  ← the machine is not idle: numbers will be noisy' : ''}`);
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', 'apps', 'libs'], {
      encoding: 'utf8',
    });
    if (changed.trim() !== '') commit += ` + uncommitted changes in ${changed.trim().split('\n').length} file(s) of apps/ and libs/`;
  } catch {
    // not a git checkout
  }
  say(
    `software  PostgreSQL ${serverVersion} (${PG.host}:${PG.port}, max_connections ${maxConnections}), Node ${process.version}, sluice ${commit}`,
  );
  say(
    `plan      ${ROUNDS} interleaved rounds × -T ${DURATION} s, clients ${CLIENTS.join('/')}, protocols ${MODES.join('/')}, scale ${SCALE}`,
  );

  const { bench, controlPlane: cpDatabase } = await createBenchDatabases();
  const env = { database: bench, fillerFile: fillerScript() };

  const pgbouncerBinary = await ensurePgbouncer();
  if (pgbouncerBinary) {
    try {
      env.pgbouncer = await startPgbouncer(pgbouncerBinary, bench);
      say(`pgbouncer ${env.pgbouncer.version}, session pooling, port ${env.pgbouncer.port}`);
    } catch (error) {
      say(`PgBouncer did not start (${error.message}); skipping (b)`);
    }
  } else say('PgBouncer unavailable: (b) skipped');

  if (opts['node-relay']) env.relay = await startRelay();
  env.controlPlane = await startControlPlane(cpDatabase);
  const idleTarget = env.pgbouncer
    ? { host: '127.0.0.1', port: env.pgbouncer.port, database: `${bench}_idle` }
    : { host: PG.host, port: PG.port, database: bench };
  env.idleDatabase = idleTarget.database;

  // Idle-client memory, on an agent of its own (inspector open to force GCs; fresh, so the rounds'
  // garbage does not blur the difference): TLS as clients connect, plaintext for reference, and
  // PgBouncer's own per-client memory as the anchor.
  let idleCount = IDLE_CLIENTS;
  if (!env.pgbouncer) {
    const used = Number(await psql('SELECT count(*) FROM pg_stat_activity'));
    idleCount = Math.min(IDLE_CLIENTS, Math.max(10, maxConnections - used - 15));
    if (idleCount < IDLE_CLIENTS) say(`  (no PgBouncer to multiplex the agent's backends: capped at ${idleCount} by max_connections)`);
  }
  let memory;
  if (idleCount > 0) {
    say(`idle-client memory: ${idleCount} clients …`);
    const memoryAgent = await startAgent(env.controlPlane, bench, idleTarget, { inspect: true });
    memory = {
      tls: await measureIdleMemory(env, memoryAgent, idleCount, { tls: true }),
      plain: await measureIdleMemory(env, memoryAgent, idleCount, { tls: false }),
      pgbouncer: env.pgbouncer ? await measurePgbouncerIdleMemory(env, idleCount) : undefined,
    };
    await stopChild(memoryAgent.child);
  }

  env.agent = await startAgent(env.controlPlane, bench, idleTarget);
  say(
    `sluice    control plane pid ${env.controlPlane.child.pid}, agent pid ${env.agent.child.pid} (classification + cached policy + recording)`,
  );

  env.connectionFor = async (target) => {
    switch (target) {
      case 'direct':
        return { port: PG.port, user: PG.user, database: bench, password: '' };
      case 'relay':
        return { port: env.relay.port, user: PG.user, database: bench, password: '' };
      case 'pgbouncer':
        return { port: env.pgbouncer.port, user: PG.user, database: bench, password: '' };
      case 'sluice':
        return { port: env.agent.ports.open, user: 'bench', database: bench, password: await devToken(env.controlPlane) };
      case 'sluice-mask':
        return { port: env.agent.ports.masked, user: 'bench', database: bench, password: await devToken(env.controlPlane) };
      default:
        throw new Error(`unknown target ${target}`);
    }
  };
  const activeTargets = (workload) =>
    WORKLOADS[workload].targets.filter((t) => ONLY.has(t) && (t !== 'pgbouncer' || env.pgbouncer) && (t !== 'relay' || env.relay));

  // Background CPU with no client at all (link heartbeats, timers, metrics): context for the per-1k figures.
  const idleCpu = async (pids, ms) => {
    const before = pids.map(cpuMs);
    await sleep(ms);
    return pids.map((pid, k) => {
      const a = cpuMs(pid);
      const b = before[k];
      return a && b ? (100 * (a.user + a.sys - b.user - b.sys)) / ms : undefined;
    });
  };
  const [agentIdle, cpIdle] = await idleCpu([env.agent.child.pid, env.controlPlane.child.pid], 5000);
  say(`          idle (no clients) for 5 s: agent ${fmt(agentIdle, 1)} % of a core, control plane ${fmt(cpIdle, 1)} %`);

  // Warm-up (not recorded): JIT, caches, the catalog lookup of (d), PostgreSQL's buffers.
  say('\nwarm-up …');
  for (const workload of Object.keys(WORKLOADS))
    for (const mode of MODES)
      for (const target of activeTargets(workload)) await pgbench(env, target, { workload, mode, clients: 8, duration: 2 });

  // Interleaved rounds: every cell runs all its targets back to back, in an order rotated per round.
  const results = [];
  say(`\n  ${liveRow(HEADERS)}`);
  for (let round = 1; round <= ROUNDS; round++) {
    const busyNow = await machineBusyPercent(1000);
    say(`\nround ${round}/${ROUNDS} (load ${loadavg()[0].toFixed(2)}, CPU busy just before: ${busyNow.toFixed(0)} %)`);
    for (const workload of Object.keys(WORKLOADS)) {
      for (const mode of MODES) {
        for (const clients of CLIENTS) {
          const targets = activeTargets(workload);
          const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
          const cell = {};
          for (const target of order)
            cell[target] = await pgbench(env, target, { workload, mode, clients, duration: DURATION, latencyLog: clients === 1 });
          for (const target of targets) {
            const r = cell[target];
            r.vsDirect = r.tps !== undefined && cell.direct?.tps ? r.tps / cell.direct.tps : undefined;
            r.vsPgbouncer = r.tps !== undefined && cell.pgbouncer?.tps ? r.tps / cell.pgbouncer.tps : undefined;
            r.addedP50 = r.p50 !== undefined && cell.direct?.p50 !== undefined ? r.p50 - cell.direct.p50 : undefined;
            results.push({ round, workload, mode, clients, ...r });
            say(`  ${liveRow(row(results[results.length - 1]))}`);
          }
        }
      }
    }
  }

  const profiles = opts.profile
    ? await profileRound(env, idleTarget, [
        { target: 'sluice', workload: 'select', mode: 'simple', clients: 8 },
        { target: 'sluice', workload: 'select', mode: 'prepared', clients: 8 },
        { target: 'sluice-mask', workload: 'filler', mode: 'simple', clients: 8 },
      ])
    : [];

  report(results, memory, profiles, { pgbouncer: env.pgbouncer !== undefined });
}

const HEADERS = [
  'workload/protocol',
  'target',
  'c',
  'TPS',
  '×direct',
  '×pgb',
  'p50 µs',
  'p99 µs',
  '+p50 µs',
  'proxy CPU ms/1k',
  'sys %',
  'CP CPU ms/1k',
  'rec. backlog',
  'drain s',
];

const LIVE_WIDTHS = [22, 18, 2, 8, 7, 6, 7, 8, 8, 15, 5, 12, 14, 7];

/** A result line while the run is going, aligned like the final tables. */
function liveRow(cells) {
  return cells.map((c, i) => (i < 2 ? String(c).padEnd(LIVE_WIDTHS[i]) : String(c).padStart(LIVE_WIDTHS[i]))).join('  ');
}

function row(r, round = r.round) {
  return [
    `${round === undefined ? '' : `r${round} `}${r.workload} ${r.mode}`,
    TARGETS[r.target].label + (r.ok === false ? ' FAILED' : ''),
    r.clients,
    fmt(r.tps),
    fmt(r.vsDirect, 2),
    fmt(r.vsPgbouncer, 2),
    fmt(r.p50),
    fmt(r.p99),
    r.target === 'direct' ? '' : fmt(r.addedP50),
    fmt(r.proxyCpuPer1k, 1),
    fmt(r.proxySysPercent),
    fmt(r.cpCpuPer1k, 1),
    r.backlogEvents === undefined ? '' : `${fmt(r.backlogEvents)}${r.spoolKb > 0 ? ` +${fmt(r.spoolKb / 1024, 1)} MB` : ''}`,
    r.drainSeconds === undefined ? '' : fmt(r.drainSeconds, 1),
  ];
}

function report(results, memory, profiles, { pgbouncer }) {
  const failures = results.filter((r) => !r.ok);
  say('\n══ per round ══════════════════════════════════════════════════════════════════════════');
  say(
    table(
      HEADERS,
      results.map((r) => row(r)),
    ),
  );
  if (failures.length > 0) {
    say(`\n${failures.length} run(s) failed:`);
    for (const f of failures) say(`  r${f.round} ${f.workload} ${f.mode} c=${f.clients} ${f.target}: ${f.error}`);
  }

  const cells = new Map();
  for (const r of results) {
    const k = `${r.workload}|${r.mode}|${r.clients}|${r.target}`;
    if (!cells.has(k)) cells.set(k, []);
    cells.get(k).push(r);
  }
  const medians = [...cells.values()].map((rs) => {
    const ok = rs.filter((r) => r.ok);
    const m = (f) => median(ok.map(f));
    return {
      workload: rs[0].workload,
      mode: rs[0].mode,
      clients: rs[0].clients,
      target: rs[0].target,
      ok: ok.length > 0,
      tps: m((r) => r.tps),
      vsDirect: m((r) => r.vsDirect),
      vsPgbouncer: m((r) => r.vsPgbouncer),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      addedP50: m((r) => r.addedP50),
      proxyCpuPer1k: m((r) => r.proxyCpuPer1k),
      proxySysPercent: m((r) => r.proxySysPercent),
      backlogEvents: m((r) => r.backlogEvents),
      spoolKb: m((r) => r.spoolKb),
      drainSeconds: m((r) => r.drainSeconds),
      cpCpuPer1k: m((r) => r.cpCpuPer1k),
      rounds: ok.length,
    };
  });
  say(`\n══ median of ${ROUNDS} round(s) (ratios and +p50 are medians of the per-round values) ═══════════════`);
  say(
    table(
      HEADERS,
      medians.map((r) => row(r, undefined)),
    ),
  );

  if (memory) say('\n══ agent memory per idle client ═══════════════════════════════════════════════════════');
  const mb = (kb) => fmt(kb / 1024, 1);
  const mem = (label, m) =>
    say(
      `  ${label}: RSS ${m.readings.map((r) => `${mb(r.rss)}`).join(' → ')} MB at ${m.readings.map((r) => r.clients).join('/')} clients ` +
        `= ${fmt(m.perClient, 1)} KB per client (r² ${fmt(m.r2, 2)}); JS heap ${fmt(m.heapPerClient, 1)} KB per client; ` +
        `RSS after closing all: ${mb(m.closed.rss)} MB`,
    );
  if (memory) mem('agent, TLS clients      ', memory.tls);
  if (memory) mem('agent, plaintext clients', memory.plain);
  if (memory?.pgbouncer)
    say(
      `  pgbouncer (reference)   : RSS ${fmt(memory.pgbouncer.base / 1024, 1)} MB → ${fmt(memory.pgbouncer.full / 1024, 1)} MB, ${fmt(memory.pgbouncer.perClient, 1)} KB per client`,
    );

  for (const p of profiles) {
    say(`\n══ CPU profile of the agent: ${TARGETS[p.target].label} ${p.workload} ${p.mode} c=${p.clients} (${fmt(p.run.tps)} TPS) ═══`);
    const { total, idle } = p.summary;
    const seconds = (p.window.to - p.window.from) / 1000;
    say(
      `  main thread over the ${fmt(seconds, 1)} s window: busy ${fmt(total / 1000)} ms, idle ${fmt(idle / 1000)} ms → ` +
        `${fmt(total / p.run.transactions, 1)} µs busy per transaction (wall-clock samples: time the thread spent descheduled inside a call counts too)`,
    );
    say('  by area (self time):');
    for (const [k, v] of p.summary.areas) say(`    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
    say('  top functions (self time):');
    for (const [k, v] of p.summary.self) say(`    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
    say('  Sluice functions (inclusive time):');
    for (const [k, v] of p.summary.inclusive) say(`    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }

  say('\n══ targets ════════════════════════════════════════════════════════════════════════════');
  const find = (workload, mode, clients, target) =>
    medians.find((m) => m.workload === workload && m.mode === mode && m.clients === clients && m.target === target);
  const verdict = (ok) => (ok === undefined ? 'SKIP' : ok ? 'PASS' : 'FAIL');
  for (const mode of MODES) {
    const c = find('select', mode, 8, 'sluice');
    const ratio = pgbouncer && c?.vsPgbouncer !== undefined ? c.vsPgbouncer : undefined;
    say(
      `${verdict(ratio === undefined ? undefined : ratio >= 0.75)}  (c) TPS at 8 clients ≥ 0.75 × pgbouncer, ${mode}: ${fmt(ratio, 2)} ×${CLIENTS.includes(8) ? '' : ' (8 clients not measured)'}`,
    );
  }
  for (const mode of MODES) {
    const c = find('select', mode, 1, 'sluice');
    const added = c?.addedP50;
    say(
      `${verdict(added === undefined ? undefined : added <= 60)}  (c) added p50 latency at 1 client ≤ 60 µs over direct, ${mode}: +${fmt(added)} µs`,
    );
  }
  say(
    memory
      ? `${verdict(Math.max(memory.tls.perClient, memory.tls.heapPerClient) <= 64)}  agent memory per idle client ≤ 64 KB (TLS, ${memory.tls.count} clients): ` +
          `${fmt(memory.tls.perClient, 1)} KB RSS, ${fmt(memory.tls.heapPerClient, 1)} KB JS heap (the larger counts)` +
          (memory.tls.r2 < 0.9 ? ` — RSS readings are not linear (r² ${fmt(memory.tls.r2, 2)}): repeat the run` : '')
      : 'SKIP  agent memory per idle client ≤ 64 KB (not measured: --idle-clients 0)',
  );
  if (failures.length > 0) say(`NOTE  ${failures.length} run(s) failed; their cells are medians of the remaining rounds`);
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  if (error instanceof Interrupted) {
    await cleanup();
  } else {
    process.stderr.write(`bench-pg: could not run: ${error.stack ?? error.message}\n`);
    await cleanup();
    process.exit(1);
  }
}
