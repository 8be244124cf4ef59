import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { agentEnvSchema, agentFileSchema, type AgentFile, type ConnectionSpec } from './agent-config.schema.js';
import { Secret } from './secret.js';

export interface ControlPlaneTarget {
  readonly address: string;
  readonly tls:
    | { readonly kind: 'insecure' }
    | {
        readonly kind: 'tls';
        readonly caFile?: string;
        readonly certFile?: string;
        readonly keyFile?: string;
        readonly serverName?: string;
      };
}

/** A connection with its credential resolved. The password prints as [redacted]. */
export type ResolvedConnection = ConnectionSpec & {
  readonly password: Secret | undefined;
  /** HTTP connections: the bearer token, basic-auth password or header value the agent sends upstream. */
  readonly upstreamSecret?: Secret | undefined;
};

export interface AgentConfig {
  readonly agentId: string;
  readonly segment: string;
  readonly controlPlane: ControlPlaneTarget;
  readonly agentKey: Secret;
  readonly connections: readonly ResolvedConnection[];
  readonly logLevel: string;
  readonly stateDir: string;
  /** Key of the `hash` masking strategy (equal inputs stay joinable across agents sharing it). */
  readonly maskKeyFile: string | undefined;
  readonly decisionTimeoutMs: number;
  readonly maxStatementBytes: number;
  /** Recording events spill to `<state dir>/spool/` up to this size when the control plane lags. */
  readonly spoolMaxBytes: number;
  /** Unacknowledged recording events kept in memory; beyond this they go to the spool. */
  readonly recordingMemoryEvents: number;
  /** Undefined: no admin endpoints. */
  readonly adminListen: string | undefined;
  /** On SIGTERM, how long running statements may finish and events flush before the agent exits. */
  readonly drainTimeoutMs: number;
  /** Rows of each PostgreSQL result kept (as the client saw them) in the recording; 0 disables. */
  readonly previewRows: number;
}

export class AgentConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AgentConfigError';
  }
}

/**
 * Reads the optional YAML file named by SLUICE_AGENT_CONFIG, applies environment overrides,
 * resolves every credential reference, and reports all problems at once.
 */
export function loadAgentConfig(rawEnv: NodeJS.ProcessEnv): AgentConfig {
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''));
  const problems: string[] = [];
  const parsedEnv = agentEnvSchema.safeParse(env);
  if (!parsedEnv.success) throw new AgentConfigError(describe(parsedEnv.error));
  const e = parsedEnv.data;

  let file: AgentFile = agentFileSchema.parse({});
  if (e.SLUICE_AGENT_CONFIG) {
    const parsedFile = readConfigFile(e.SLUICE_AGENT_CONFIG);
    if (typeof parsedFile === 'string') problems.push(parsedFile);
    else {
      const result = agentFileSchema.safeParse(parsedFile);
      if (result.success) file = result.data;
      else problems.push(...describe(result.error).map((p) => `${e.SLUICE_AGENT_CONFIG}: ${p}`));
    }
  }

  const agentId = e.SLUICE_AGENT_ID ?? file.agent.id;
  if (!agentId) problems.push('SLUICE_AGENT_ID (or agent.id in the config file) is required');
  const segment = e.SLUICE_AGENT_SEGMENT ?? file.agent.segment ?? 'default';
  const address = e.SLUICE_CONTROL_PLANE_ADDRESS ?? file.controlPlane.address;
  if (!address) problems.push('SLUICE_CONTROL_PLANE_ADDRESS (or controlPlane.address in the config file) is required');

  const insecure = e.SLUICE_CONTROL_PLANE_INSECURE ?? file.controlPlane.insecure ?? false;
  if (insecure && address && !isLoopbackAddress(address)) {
    problems.push(`SLUICE_CONTROL_PLANE_INSECURE: plaintext is only allowed to a loopback control plane, not ${address}`);
  }
  const fileTls = file.controlPlane.tls ?? {};
  const tls: ControlPlaneTarget['tls'] = insecure
    ? { kind: 'insecure' }
    : {
        kind: 'tls',
        ...definedOnly({
          caFile: e.SLUICE_CONTROL_PLANE_CA ?? fileTls.caFile,
          certFile: e.SLUICE_CONTROL_PLANE_CERT ?? fileTls.certFile,
          keyFile: e.SLUICE_CONTROL_PLANE_KEY ?? fileTls.keyFile,
          serverName: e.SLUICE_CONTROL_PLANE_SERVER_NAME ?? fileTls.serverName,
        }),
      };
  if (tls.kind === 'tls' && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    problems.push('SLUICE_CONTROL_PLANE_CERT and SLUICE_CONTROL_PLANE_KEY must be set together');
  }

  let agentKey: Secret | undefined;
  if (e.SLUICE_AGENT_KEY && e.SLUICE_AGENT_KEY_FILE) problems.push('set only one of SLUICE_AGENT_KEY and SLUICE_AGENT_KEY_FILE');
  else if (e.SLUICE_AGENT_KEY) agentKey = new Secret(e.SLUICE_AGENT_KEY);
  else if (e.SLUICE_AGENT_KEY_FILE) {
    const read = readSecretFile(e.SLUICE_AGENT_KEY_FILE, 'SLUICE_AGENT_KEY_FILE');
    if (read instanceof Secret) agentKey = read;
    else problems.push(read);
  } else problems.push('SLUICE_AGENT_KEY or SLUICE_AGENT_KEY_FILE is required (create a key on the control plane)');

  const connections: ResolvedConnection[] = [];
  const names = new Set<string>();
  for (const spec of file.connections) {
    if (names.has(spec.name)) problems.push(`connections: duplicate name ${spec.name}`);
    names.add(spec.name);
    const password = resolvePassword(spec, env, problems);
    const upstreamSecret = resolveUpstreamSecret(spec, env, problems);
    connections.push({ ...spec, password, ...(upstreamSecret ? { upstreamSecret } : {}) });
  }

  if (problems.length > 0 || !agentId || !address || !agentKey) throw new AgentConfigError(problems);
  return Object.freeze({
    agentId,
    segment,
    controlPlane: { address, tls },
    agentKey,
    connections,
    logLevel: e.SLUICE_LOG_LEVEL,
    stateDir: resolve(e.SLUICE_AGENT_STATE_DIR),
    maskKeyFile: e.SLUICE_AGENT_MASK_KEY_FILE,
    decisionTimeoutMs: e.SLUICE_DECISION_TIMEOUT_MS,
    maxStatementBytes: e.SLUICE_MAX_STATEMENT_BYTES,
    spoolMaxBytes: e.SLUICE_AGENT_SPOOL_MAX_BYTES,
    recordingMemoryEvents: e.SLUICE_AGENT_RECORDING_MEMORY_EVENTS,
    adminListen: e.SLUICE_AGENT_ADMIN_LISTEN === 'off' ? undefined : e.SLUICE_AGENT_ADMIN_LISTEN,
    drainTimeoutMs: e.SLUICE_AGENT_DRAIN_TIMEOUT_MS,
    previewRows: e.SLUICE_RESULT_PREVIEW_ROWS,
  });
}

function resolvePassword(spec: ConnectionSpec, env: Record<string, string | undefined>, problems: string[]): Secret | undefined {
  if (spec.protocol !== 'postgres' && spec.protocol !== 'mysql') return undefined;
  const source = spec.credentials.password;
  const where = `connections.${spec.name}.credentials.password`;
  if (source.env !== undefined) {
    const value = env[source.env];
    if (value === undefined) {
      problems.push(`${where}: environment variable ${source.env} is not set`);
      return undefined;
    }
    return new Secret(value);
  }
  const read = readSecretFile(source.file ?? '', where);
  if (read instanceof Secret) return read;
  problems.push(read);
  return undefined;
}

function resolveUpstreamSecret(spec: ConnectionSpec, env: Record<string, string | undefined>, problems: string[]): Secret | undefined {
  if (spec.protocol !== 'http') return undefined;
  const credentials = spec.credentials;
  let source;
  switch (credentials.kind) {
    case 'none':
      return undefined;
    case 'bearer':
      source = credentials.token;
      break;
    case 'basic':
      source = credentials.password;
      break;
    case 'header':
      source = credentials.value;
      break;
  }
  const where = `connections.${spec.name}.credentials`;
  if (source.env !== undefined) {
    const value = env[source.env];
    if (value === undefined) problems.push(`${where}: environment variable ${source.env} is not set`);
    return value === undefined ? undefined : new Secret(value);
  }
  const read = readSecretFile(source.file ?? '', where);
  if (read instanceof Secret) return read;
  problems.push(read);
  return undefined;
}

function readSecretFile(path: string, what: string): Secret | string {
  try {
    const value = readFileSync(path, 'utf8').trim();
    return value === '' ? `${what}: ${path} is empty` : new Secret(value);
  } catch (error) {
    return `${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `SLUICE_AGENT_CONFIG: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    return (parseYaml(text) as unknown) ?? {};
  } catch (error) {
    return `SLUICE_AGENT_CONFIG: ${path} is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

function definedOnly<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

export function isLoopbackAddress(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
