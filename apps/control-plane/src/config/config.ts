import { resolve } from 'node:path';
import type { TrustedIssuerConfig } from '@sluice/identity';
import type { RoleMapping } from '../identity/sluice-roles.js';
import { readConfigFile, type WebhookConfig } from './config-file.js';

export type { WebhookConfig } from './config-file.js';
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
  /** Where browsers and token issuers reach this control plane; undefined = the HTTP bind address. */
  readonly publicUrl: string | undefined;
  readonly identity: {
    readonly issuers: readonly TrustedIssuerConfig[];
    readonly roles: RoleMapping;
  };
  readonly devIssuer: { readonly enabled: boolean; readonly clientSecret: string | undefined };
  readonly approvals: {
    /** How long an approved command may be run (once) after approval. */
    readonly retryWindowMs: number;
    /** How long an access request waits for an approver. */
    readonly accessRequestTtlMs: number;
    readonly webhooks: readonly WebhookConfig[];
  };
  /** A policy document (YAML or JSON) applied at start. */
  readonly policyFile: string | undefined;
  readonly sessions: {
    /** How often sessions whose agent never reported their end are closed (after their token expired). */
    readonly reapIntervalMs: number;
  };
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
  const file = readConfigFile(e.SLUICE_CONFIG_FILE, present);
  if (file.problems.length > 0) throw new ConfigError(file.problems);
  if (e.SLUICE_ENV === 'production' && file.settings.issuers.length === 0) {
    throw new ConfigError(['SLUICE_CONFIG_FILE: identity.issuers is empty: nobody could authenticate (see docs/identity.md)']);
  }
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
    publicUrl: e.SLUICE_PUBLIC_URL?.replace(/\/+$/, ''),
    identity: { issuers: file.settings.issuers, roles: file.settings.roles },
    devIssuer: { enabled: e.SLUICE_DEV_ISSUER, clientSecret: e.SLUICE_DEV_ISSUER_SECRET },
    policyFile: e.SLUICE_POLICY_FILE,
    sessions: { reapIntervalMs: e.SLUICE_SESSION_REAP_INTERVAL_MS },
    approvals: {
      retryWindowMs: e.SLUICE_APPROVAL_RETRY_WINDOW_MS,
      accessRequestTtlMs: e.SLUICE_ACCESS_REQUEST_TTL_MS,
      webhooks: file.settings.webhooks,
    },
    agents: { heartbeatIntervalMs: e.SLUICE_HEARTBEAT_INTERVAL_MS, bootstrapKeys: e.SLUICE_BOOTSTRAP_AGENT_KEYS ?? [] },
    shutdownTimeoutMs: e.SLUICE_SHUTDOWN_TIMEOUT_MS,
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child as object);
  return Object.freeze(value);
}
