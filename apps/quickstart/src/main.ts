// `pnpm start`: one embedded PostgreSQL (holding both the control plane's database and the demo
// target), the control plane, and one agent serving `demo-postgres`. Ctrl-C stops all of it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EmbeddedPostgres } from '@sluice/embedded-db';
import { DEMO_DATABASE, DEMO_ROLE, seedDemoDatabase } from './demo-database.js';
import { DEMO_POLICY } from './demo-policy.js';
import { formatLogLine } from './log-format.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONTROL_PLANE = resolve(here, '../../control-plane/dist/main.js');
const CONTROL_PLANE_CLI = resolve(here, '../../control-plane/dist/cli.js');
const AGENT = resolve(here, '../../agent/dist/main.js');

const env = process.env;
const stateDir = resolve(env.SLUICE_STATE_DIR ?? '.sluice');
const httpPort = Number(env.SLUICE_HTTP_PORT ?? 8080);
const grpcPort = Number(env.SLUICE_GRPC_PORT ?? 8443);
const postgresPort = Number(env.SLUICE_EMBEDDED_POSTGRES_PORT ?? 55432);
const demoListen = env.SLUICE_DEMO_LISTEN ?? '127.0.0.1:6432';

const children: ChildProcess[] = [];
let database: EmbeddedPostgres | undefined;

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** A value generated once and kept in the state directory (mode 0600) across runs. */
function persistent(name: string, create: () => string): string {
  const file = join(stateDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

function launch(label: string, script: string, childEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], {
    env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '', ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this launcher, which stops the children in order.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => say(formatLogLine(label, line)));
  }
  children.push(child);
  return child;
}

async function waitForReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the control plane exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the control plane was not ready within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (stopping) process.exit(1);
  stopping = true;
  say('\nstopping Sluice…');
  for (const child of [...children].reverse()) await stopChild(child);
  await database?.stop();
  say('stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  mkdirSync(stateDir, { recursive: true });

  say(`starting embedded PostgreSQL on 127.0.0.1:${postgresPort} (data in ${join(stateDir, 'postgres')})`);
  database = await EmbeddedPostgres.start({ dataDir: join(stateDir, 'postgres'), port: postgresPort });
  await database.ensureDatabase('sluice');
  await database.ensureDatabase(DEMO_DATABASE);
  const demoPassword = persistent('demo-owner.password', () => randomBytes(18).toString('base64url'));
  await seedDemoDatabase(database.url('postgres'), database.url(DEMO_DATABASE), demoPassword);

  const devIssuerSecret = persistent('dev-issuer.secret', () => randomBytes(18).toString('base64url'));
  const agentKey = persistent('agent.key', () =>
    execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim(),
  );
  const agentConfigFile = join(stateDir, 'agent.yaml');
  writeFileSync(
    agentConfigFile,
    [
      '# Written by pnpm start. See docs/configuration.md for every setting.',
      'agent: { id: quickstart-agent, segment: demo }',
      `controlPlane: { address: "127.0.0.1:${grpcPort}", insecure: true }`,
      'connections:',
      '  - name: demo-postgres',
      '    protocol: postgres',
      `    listen: "${demoListen}"`,
      `    target: { host: 127.0.0.1, port: ${postgresPort}, database: ${DEMO_DATABASE}, sslMode: disable }`,
      `    credentials: { username: ${DEMO_ROLE}, password: { env: DEMO_POSTGRES_PASSWORD } }`,
      '    tags: { env: demo }',
      '',
    ].join('\n'),
  );

  const policyFile = join(stateDir, 'policy.yaml');
  writeFileSync(policyFile, DEMO_POLICY);

  const controlPlane = launch('control-plane', CONTROL_PLANE, {
    SLUICE_POLICY_FILE: policyFile,
    SLUICE_DATABASE_URL: database.url('sluice'),
    SLUICE_HTTP_PORT: String(httpPort),
    SLUICE_GRPC_PORT: String(grpcPort),
    SLUICE_GRPC_INSECURE: 'true',
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_STATE_DIR: stateDir,
    SLUICE_DEV_ISSUER: 'true',
    SLUICE_DEV_ISSUER_SECRET: devIssuerSecret,
    SLUICE_LOG_LEVEL: env.SLUICE_LOG_LEVEL ?? 'info',
  });
  controlPlane.once('exit', (code) => {
    if (!stopping) {
      say(`the control plane exited (code ${String(code)}); stopping`);
      void stopAll(1);
    }
  });
  await waitForReady(controlPlane, `http://127.0.0.1:${httpPort}/readyz`, 60_000);

  const agent = launch('agent', AGENT, {
    SLUICE_AGENT_CONFIG: agentConfigFile,
    SLUICE_AGENT_KEY_FILE: join(stateDir, 'agent.key'),
    SLUICE_AGENT_STATE_DIR: join(stateDir, 'agent'),
    SLUICE_AGENT_ADMIN_LISTEN: env.SLUICE_AGENT_ADMIN_LISTEN ?? '127.0.0.1:9464',
    DEMO_POSTGRES_PASSWORD: demoPassword,
    SLUICE_LOG_LEVEL: env.SLUICE_LOG_LEVEL ?? 'info',
  });
  agent.once('exit', (code) => {
    if (!stopping) {
      say(`the agent exited (code ${String(code)}); stopping`);
      void stopAll(1);
    }
  });

  say(
    [
      '',
      '──────────────────────────────────────────────────────────────────────────────',
      ' Sluice is running',
      `   control plane REST   http://127.0.0.1:${httpPort}/api/v1   (OpenAPI: /api/docs)`,
      `   agent link (gRPC)    127.0.0.1:${grpcPort}`,
      `   agent                quickstart-agent, serving demo-postgres on ${demoListen}`,
      `   embedded PostgreSQL  127.0.0.1:${postgresPort} (control plane db "sluice", demo target "${DEMO_DATABASE}")`,
      '',
      ' Get a token from the development issuer (demo clients: demo-agent, demo-approver, demo-admin):',
      `   export SECRET=$(cat ${join(stateDir, 'dev-issuer.secret')})`,
      `   TOKEN=$(curl -s http://127.0.0.1:${httpPort}/dev-issuer/token -d grant_type=client_credentials \\`,
      `     -d client_id=demo-admin -d client_secret=$SECRET -d scope=api://sluice/.default | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
      ' Then:',
      `   curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${httpPort}/api/v1/agents`,
      `   curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${httpPort}/api/v1/connections`,
      '',
      ' Ctrl-C stops everything.',
      '──────────────────────────────────────────────────────────────────────────────',
      '',
    ].join('\n'),
  );
}

main().catch(async (error: unknown) => {
  say(`pnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
});
