import { resolve } from 'node:path';
import { controlPlaneEnvSchema } from './config.schema.js';

/** The control plane's configuration: read once from the environment, validated, frozen. */
export interface ControlPlaneConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly logLevel: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly grpc: {
    readonly host: string;
    readonly port: number;
    readonly tls: { readonly certPath: string; readonly keyPath: string; readonly clientCaPath: string | undefined } | undefined;
  };
  readonly database: {
    /** Undefined: run the embedded PostgreSQL. */
    readonly url: string | undefined;
    readonly poolSize: number;
    readonly embeddedPort: number;
  };
  readonly stateDir: string;
  readonly agents: {
    readonly heartbeatIntervalMs: number;
    readonly bootstrapKeys: readonly string[];
  };
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `env`; throws a ConfigError naming every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv): ControlPlaneConfig {
  // An empty value means "not set": shells and compose files often export VAR= .
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = controlPlaneEnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const e = parsed.data;
  const config: ControlPlaneConfig = {
    env: e.SLUICE_ENV,
    logLevel: e.SLUICE_LOG_LEVEL,
    http: { host: e.SLUICE_HTTP_HOST, port: e.SLUICE_HTTP_PORT },
    grpc: {
      host: e.SLUICE_GRPC_HOST,
      port: e.SLUICE_GRPC_PORT,
      tls:
        e.SLUICE_GRPC_TLS_CERT && e.SLUICE_GRPC_TLS_KEY
          ? { certPath: e.SLUICE_GRPC_TLS_CERT, keyPath: e.SLUICE_GRPC_TLS_KEY, clientCaPath: e.SLUICE_GRPC_TLS_CLIENT_CA }
          : undefined,
    },
    database: { url: e.SLUICE_DATABASE_URL, poolSize: e.SLUICE_DATABASE_POOL_SIZE, embeddedPort: e.SLUICE_EMBEDDED_POSTGRES_PORT },
    stateDir: resolve(e.SLUICE_STATE_DIR),
    agents: { heartbeatIntervalMs: e.SLUICE_HEARTBEAT_INTERVAL_MS, bootstrapKeys: e.SLUICE_BOOTSTRAP_AGENT_KEYS ?? [] },
    shutdownTimeoutMs: e.SLUICE_SHUTDOWN_TIMEOUT_MS,
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child as object);
  return Object.freeze(value);
}
