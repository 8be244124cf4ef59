#!/usr/bin/env node
// `pnpm bench:http`: what the agent's HTTP data path costs (issue 8 acceptance; docs/http.md
// "Performance"): requests/s and p99 latency through the agent vs direct to the upstream in the
// same run (wrk, interleaved rounds, medians), with and without masking, and the agent's peak RSS
// while a 100 MB download (and a large masked JSON stream) passes through it.
//
// A measurement, not a test: it exits 0 whatever the numbers are, and non-zero only when it could
// not run. It starts (and always stops) its own upstream, control plane (embedded PostgreSQL) and
// agent, and keeps its files in one temp dir. wrk is installed with apt-get when missing.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONTROL_PLANE = join(ROOT, 'apps/control-plane/dist/main.js');
const CONTROL_PLANE_CLI = join(ROOT, 'apps/control-plane/dist/cli.js');
const AGENT = join(ROOT, 'apps/agent/dist/main.js');

const HELP = `usage: pnpm bench:http [-- options]   (or: node scripts/bench-http.mjs [options])

  --duration <s>        wrk -d per measured run                (default 10)
  --rounds <n>          interleaved rounds (median reported)   (default 3)
  --connections <n>     wrk -c                                 (default 32)
  --threads <n>         wrk -t                                 (default 2)
  --download-mb <n>     size of the streamed download          (default 100)
  --masked-json-mb <n>  size of the masked JSON stream, 0 = skip (default 20)
  --profile <dir>       write the agent's CPU profile (node --cpu-prof) into <dir>
  --quick               smoke run: --duration 3 --rounds 1 --download-mb 100 --masked-json-mb 5`;

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    'download-mb': { type: 'string', default: '100' },
    'masked-json-mb': { type: 'string', default: '20' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (opts.quick) {
  const given = new Set(process.argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  for (const [name, value] of Object.entries({ duration: '3', rounds: '1', 'masked-json-mb': '5' }))
    if (!given.has(name)) opts[name] = value;
}
const int = (text, name, min = 1) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench-http: ${name} must be an integer ≥ ${min}\n\n${HELP}\n`);
    process.exit(2);
  }
  return n;
};
const DURATION = int(opts.duration, '--duration');
const ROUNDS = int(opts.rounds, '--rounds');
const CONNECTIONS = int(opts.connections, '--connections');
const THREADS = int(opts.threads, '--threads');
const DOWNLOAD_MB = int(opts['download-mb'], '--download-mb');
const MASKED_JSON_MB = int(opts['masked-json-mb'], '--masked-json-mb', 0);

const say = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (v, digits = 0) =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const table = (headers, rows) => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(address.port));
    });
  });
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process in ms: the agent's CPU per request is the figure a busy machine does not distort. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function procStatusKb(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

// ── processes ─────────────────────────────────────────────────────────────────────────────────────

const children = new Set();
let workDir;
let stopping = false;

function launch(label, args, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(join(workDir, `${label}.log`));
  const tail = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      log.write(chunk);
      tail.push(chunk.toString('utf8'));
      if (tail.length > 40) tail.shift();
    });
  }
  child.tail = () => tail.join('').split('\n').slice(-15).join('\n');
  child.label = label;
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    log.end();
  });
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** The agent first (it flushes its recording to the control plane while that still runs), then the rest. */
async function cleanup() {
  stopping = true;
  const all = [...children];
  for (const child of all.filter((c) => c.label === 'agent')) await stopChild(child);
  await Promise.all(all.filter((c) => c.label !== 'agent').map(stopChild));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    void cleanup().finally(() => process.exit(130));
  });
}

/** The upstream: a small JSON answer, a PII JSON answer, a streamed download and a streamed JSON array. */
const UPSTREAM_SOURCE = `
const http = require('node:http');
const small = JSON.stringify({ id: 42, name: 'widget', tags: ['a', 'b', 'c'], price: 12.5, description: 'x'.repeat(900) });
const pii = JSON.stringify({ customers: Array.from({ length: 8 }, (_, i) => ({ id: i, name: 'Customer ' + i, email: 'c' + i + '@example.com', card: '4111 1111 1111 1111' })) });
const row = (i) => JSON.stringify({ id: i, email: 'user' + i + '@example.com', card: '5500 0055 5555 5559', note: 'lorem ipsum dolor sit amet '.repeat(4) });
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const bytes = Number(url.searchParams.get('bytes') || '0');
  if (url.pathname === '/small' || url.pathname === '/pii/small') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(small) });
    return res.end(small);
  }
  if (url.pathname === '/pii/customers') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(pii) });
    return res.end(pii);
  }
  if (url.pathname === '/download') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        sent += piece.length;
        if (!res.write(piece)) return res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === '/pii/stream') {
    res.writeHead(200, { 'content-type': 'application/json' });
    let sent = 0;
    let i = 0;
    res.write('[');
    const pump = () => {
      while (sent < bytes) {
        const text = (i > 0 ? ',' : '') + row(i++);
        sent += text.length;
        if (!res.write(text)) return res.once('drain', pump);
      }
      res.end(']');
    };
    return pump();
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('upstream ready\\n'));
`;

const POLICY = `
rules:
  - id: bench-open
    match: { principal: { groups: [ai-agents] }, commands: [session.open] }
    effect: allow
  - id: bench-http
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, commands: [http.GET] }
    effect: allow
  - id: bench-mask
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [http] }, paths: ['/pii/**'] }
    effect:
      mask:
        columns: [{ pattern: email, strategy: { kind: partial, keepLast: 4 } }]
        detectors: [{ detector: card, strategy: { kind: partial, keepLast: 4 } }]
`;

async function waitUntil(what, child, probe, ms = 90_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    if (stopping) throw new Error('interrupted');
    if (child.exitCode !== null) throw new Error(`${what}: the process exited (${child.exitCode}):\n${child.tail()}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready in ${ms / 1000} s (${last?.message ?? 'no answer'}):\n${child.tail()}`);
    await sleep(250);
  }
}

async function ensureWrk() {
  try {
    await run('wrk', ['--version']).catch((error) => {
      if (error.code === 'ENOENT') throw error;
    });
    return;
  } catch {
    say('wrk is missing: apt-get install -y wrk …');
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** One wrk run; requests/s and the p99 latency in ms. */
async function wrk(url, token) {
  const args = ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${DURATION}s`, '--latency'];
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1024 * 1024 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p99ms = p99 ? Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]] : undefined;
  const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1];
  if (errors) throw new Error(`wrk saw ${errors} error responses from ${url}`);
  return { rps, p99ms };
}

/** Streams `url` to nowhere while sampling the agent's RSS; returns bytes, seconds and RSS figures (kB). */
async function download(url, token, agentPid) {
  const before = procStatusKb(agentPid, 'VmRSS');
  let peak = before;
  const sampler = setInterval(() => {
    const rss = procStatusKb(agentPid, 'VmRSS');
    if (rss !== undefined && rss > peak) peak = rss;
  }, 20);
  const started = performance.now();
  const response = await globalThis.fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return { bytes, seconds, beforeKb: before, peakKb: peak };
}

async function main() {
  if (!existsSync(AGENT) || !existsSync(CONTROL_PLANE)) throw new Error('build first: pnpm run build');
  await ensureWrk();
  workDir = mkdtempSync(join(tmpdir(), 'sluice-bench-http-'));
  chmodSync(workDir, 0o755); // the embedded PostgreSQL runs as its own user when we are root

  const upstreamPort = await freePort();
  const upstream = launch('upstream', ['-e', UPSTREAM_SOURCE], { PORT: String(upstreamPort) });
  await waitUntil('the upstream', upstream, () => (upstream.tail().includes('upstream ready') ? true : undefined), 10_000);

  const httpPort = await freePort();
  const grpcPort = await freePort();
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  const issuerSecret = randomBytes(24).toString('base64url');
  writeFileSync(join(workDir, 'policy.yaml'), POLICY);
  say('starting the control plane (embedded PostgreSQL) …');
  const controlPlane = launch('control-plane', [CONTROL_PLANE], {
    SLUICE_ENV: 'development',
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_HTTP_PORT: String(httpPort),
    SLUICE_GRPC_PORT: String(grpcPort),
    SLUICE_GRPC_INSECURE: 'true',
    SLUICE_STATE_DIR: join(workDir, 'control-plane'),
    SLUICE_EMBEDDED_POSTGRES_PORT: String(await freePort()),
    SLUICE_POLICY_FILE: join(workDir, 'policy.yaml'),
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_DEV_ISSUER: 'true',
    SLUICE_DEV_ISSUER_SECRET: issuerSecret,
  });
  const cpUrl = `http://127.0.0.1:${httpPort}`;
  const token = await waitUntil('the development issuer', controlPlane, async () => {
    const response = await globalThis.fetch(`${cpUrl}/dev-issuer/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'demo-agent',
        client_secret: issuerSecret,
        scope: 'api://sluice/.default',
      }).toString(),
    });
    return response.ok ? (await response.json()).access_token : undefined;
  });

  const agentPort = await freePort();
  writeFileSync(
    join(workDir, 'agent.yaml'),
    [
      'agent: { id: bench-http-agent, segment: bench }',
      `controlPlane: { address: "127.0.0.1:${grpcPort}", insecure: true }`,
      'connections:',
      '  - name: bench-api',
      '    protocol: http',
      `    listen: "127.0.0.1:${agentPort}"`,
      '    allowPlaintextOnLoopback: true',
      `    target: { url: "http://127.0.0.1:${upstreamPort}" }`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(workDir, 'agent.key'), `${agentKey}\n`, { mode: 0o600 });
  say('starting the agent …');
  const agent = launch(
    'agent',
    [AGENT],
    {
      SLUICE_AGENT_CONFIG: join(workDir, 'agent.yaml'),
      SLUICE_AGENT_KEY_FILE: join(workDir, 'agent.key'),
      SLUICE_AGENT_STATE_DIR: join(workDir, 'agent-state'),
      SLUICE_AGENT_ADMIN_LISTEN: 'off',
      SLUICE_LOG_LEVEL: 'warn',
    },
    opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.profile)}`] : [],
  );
  const direct = `http://127.0.0.1:${upstreamPort}`;
  const viaAgent = `http://127.0.0.1:${agentPort}`;
  await waitUntil('the agent', agent, async () => {
    const response = await globalThis.fetch(`${viaAgent}/small`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.ok ? true : undefined;
  });

  say(`\nwrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} interleaved round(s), ${cpus().length} CPUs, Node ${process.version}`);
  const cases = [
    { label: '(a) direct  GET /small (1 KiB JSON)', url: `${direct}/small`, token: undefined },
    { label: '(b) agent   GET /small (allow)', url: `${viaAgent}/small`, token },
    { label: '(c) direct  GET /pii/customers', url: `${direct}/pii/customers`, token: undefined },
    { label: '(d) agent   GET /pii/customers (mask)', url: `${viaAgent}/pii/customers`, token },
  ];
  const results = cases.map(() => ({ rps: [], p99: [], cpu: [] }));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const cpuBefore = cpuMs(agent.pid);
      const { rps, p99ms } = await wrk(c.url, c.token);
      const agentCpuUs = c.token ? ((cpuMs(agent.pid) - cpuBefore) * 1000) / (rps * DURATION) : undefined;
      results[i].rps.push(rps);
      results[i].p99.push(p99ms);
      results[i].cpu.push(agentCpuUs);
      say(
        `  round ${round}  ${c.label.padEnd(40)} ${fmt(rps)} req/s  p99 ${fmt(p99ms, 2)} ms${agentCpuUs ? `  agent ${fmt(agentCpuUs)} µs CPU/req` : ''}`,
      );
    }
  }
  const med = results.map((r) => ({ rps: median(r.rps), p99: median(r.p99), cpu: median(r.cpu) }));
  say('');
  say(
    table(
      ['case', 'req/s', 'p99 ms', 'vs direct', 'agent CPU/req'],
      cases.map((c, i) => {
        const base = med[i % 2 === 0 ? i : i - 1].rps;
        return [
          c.label,
          fmt(med[i].rps),
          fmt(med[i].p99, 2),
          i % 2 === 0 ? '1.00' : fmt(med[i].rps / base, 2),
          med[i].cpu ? `${fmt(med[i].cpu)} µs` : '–',
        ];
      }),
    ),
  );
  say(`\nratio agent/direct (allow): ${fmt(med[1].rps / med[0].rps, 2)}   (mask): ${fmt(med[3].rps / med[2].rps, 2)}`);

  say(`\nstreamed download of ${DOWNLOAD_MB} MB through the agent (application/octet-stream, passed through):`);
  const dl = await download(`${viaAgent}/download?bytes=${DOWNLOAD_MB * 1024 * 1024}`, token, agent.pid);
  say(`  ${fmt(dl.bytes / 1024 / 1024, 1)} MB in ${fmt(dl.seconds, 2)} s (${fmt(dl.bytes / 1024 / 1024 / dl.seconds, 0)} MB/s)`);
  say(
    `  agent RSS before ${fmt(dl.beforeKb / 1024, 1)} MB, peak during ${fmt(dl.peakKb / 1024, 1)} MB (+${fmt((dl.peakKb - dl.beforeKb) / 1024, 1)} MB)`,
  );
  if (MASKED_JSON_MB > 0) {
    say(`\nmasked JSON stream of ${MASKED_JSON_MB} MB through the agent (field + detector masking):`);
    const js = await download(`${viaAgent}/pii/stream?bytes=${MASKED_JSON_MB * 1024 * 1024}`, token, agent.pid);
    say(`  ${fmt(js.bytes / 1024 / 1024, 1)} MB in ${fmt(js.seconds, 2)} s (${fmt(js.bytes / 1024 / 1024 / js.seconds, 1)} MB/s)`);
    say(
      `  agent RSS before ${fmt(js.beforeKb / 1024, 1)} MB, peak during ${fmt(js.peakKb / 1024, 1)} MB (+${fmt((js.peakKb - js.beforeKb) / 1024, 1)} MB)`,
    );
  }
  say(`\nagent peak RSS over the whole run (VmHWM): ${fmt(procStatusKb(agent.pid, 'VmHWM') / 1024, 1)} MB`);
}

main()
  .then(() => cleanup())
  .catch(async (error) => {
    process.stderr.write(`bench-http: ${error.message}\n`);
    await cleanup();
    process.exit(1);
  });
