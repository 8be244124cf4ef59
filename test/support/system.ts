// Starts the real control plane and agent (built output in dist/) for system tests.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManagedProcess, freePort } from '@sluice/testing';

const ROOT = resolve(import.meta.dirname, '../..');
export const CONTROL_PLANE_MAIN = join(ROOT, 'apps/control-plane/dist/main.js');
export const CONTROL_PLANE_CLI = join(ROOT, 'apps/control-plane/dist/cli.js');
export const AGENT_MAIN = join(ROOT, 'apps/agent/dist/main.js');
export const QUICKSTART_MAIN = join(ROOT, 'apps/quickstart/dist/main.js');

/** The demo clients' secret in system tests (the development issuer is on in tests). */
export const DEV_ISSUER_SECRET = 'system-test-dev-issuer-secret';

export interface RunningControlPlane {
  readonly process: ManagedProcess;
  readonly httpUrl: string;
  readonly grpcPort: number;
  readonly env: Record<string, string>;
}

export async function startControlPlane(env: Record<string, string>): Promise<RunningControlPlane> {
  const fullEnv = {
    SLUICE_STATE_DIR: await mkdtemp(join(tmpdir(), 'sluice-cp-state-')),
    SLUICE_ENV: 'test',
    SLUICE_HTTP_PORT: String(await freePort()),
    SLUICE_GRPC_PORT: String(await freePort()),
    SLUICE_GRPC_INSECURE: 'true',
    SLUICE_LOG_LEVEL: 'debug',
    SLUICE_DEV_ISSUER: 'true',
    SLUICE_DEV_ISSUER_SECRET: DEV_ISSUER_SECRET,
    ...env,
  };
  const process = ManagedProcess.start(CONTROL_PLANE_MAIN, [], fullEnv);
  const ready = await process.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('control plane ready'), 120_000);
  return { process, httpUrl: `http://127.0.0.1:${String(ready.httpPort)}`, grpcPort: Number(ready.grpcPort), env: fullEnv };
}

/** Starts the control plane again with the same environment (and so the same gRPC port). */
export async function restartControlPlane(previous: RunningControlPlane): Promise<RunningControlPlane> {
  await previous.process.stop('SIGTERM');
  return startControlPlane(previous.env);
}

export interface AgentOptions {
  readonly agentId: string;
  readonly grpcPort: number;
  readonly agentKey: string;
  readonly yaml?: string;
  readonly env?: Record<string, string>;
}

export async function startAgent(options: AgentOptions): Promise<ManagedProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-agent-'));
  const configFile = join(dir, 'agent.yaml');
  await writeFile(configFile, options.yaml ?? '');
  return ManagedProcess.start(AGENT_MAIN, [], {
    SLUICE_AGENT_CONFIG: configFile,
    SLUICE_AGENT_ID: options.agentId,
    SLUICE_CONTROL_PLANE_ADDRESS: `127.0.0.1:${options.grpcPort}`,
    SLUICE_CONTROL_PLANE_INSECURE: 'true',
    SLUICE_AGENT_KEY: options.agentKey,
    SLUICE_LOG_LEVEL: 'debug',
    SLUICE_AGENT_ADMIN_LISTEN: '127.0.0.1:0',
    SLUICE_AGENT_STATE_DIR: dir,
    ...options.env,
  });
}

/** An access token for a demo client from the control plane's development issuer. */
export async function devToken(
  controlPlane: RunningControlPlane,
  clientId: 'demo-agent' | 'demo-approver' | 'demo-admin',
): Promise<string> {
  const response = await fetch(`${controlPlane.httpUrl}/dev-issuer/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: DEV_ISSUER_SECRET,
      scope: 'api://sluice/.default',
    }),
  });
  if (!response.ok) throw new Error(`dev issuer: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
