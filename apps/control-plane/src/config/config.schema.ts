import { isIP } from 'node:net';
import { z } from 'zod';
import { parseAgentKey } from '../agents/agent-key.js';

/**
 * Every environment variable the control plane reads. docs/configuration.md documents each one;
 * keep the two in step.
 */
const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const port = z.coerce.number().int().min(0).max(65_535);

const milliseconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const optionalPath = z.string().min(1).optional();

export const controlPlaneEnvSchema = z
  .object({
    SLUICE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    SLUICE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    SLUICE_HTTP_PORT: port.default(8080),

    SLUICE_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    SLUICE_GRPC_PORT: port.default(8443),
    SLUICE_GRPC_TLS_CERT: optionalPath,
    SLUICE_GRPC_TLS_KEY: optionalPath,
    SLUICE_GRPC_TLS_CLIENT_CA: optionalPath,
    SLUICE_GRPC_INSECURE: booleanFlag.default(false),

    SLUICE_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    SLUICE_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    SLUICE_STATE_DIR: z.string().min(1).default('.sluice'),
    SLUICE_EMBEDDED_POSTGRES_PORT: port.default(55432),

    SLUICE_CONFIG_FILE: z.string().min(1).optional(),
    SLUICE_POLICY_FILE: z.string().min(1).optional(),
    SLUICE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    SLUICE_DEV_ISSUER: booleanFlag.default(false),
    SLUICE_DEV_ISSUER_SECRET: z.string().min(16, 'at least 16 characters').optional(),

    SLUICE_APPROVAL_RETRY_WINDOW_MS: milliseconds(1_000, 7 * 24 * 3_600_000).default(15 * 60_000),
    SLUICE_ACCESS_REQUEST_TTL_MS: milliseconds(60_000, 30 * 24 * 3_600_000).default(24 * 3_600_000),
    SLUICE_SESSION_REAP_INTERVAL_MS: milliseconds(1_000, 24 * 3_600_000).default(60_000),

    SLUICE_HEARTBEAT_INTERVAL_MS: milliseconds(100, 300_000).default(5_000),
    SLUICE_SHUTDOWN_TIMEOUT_MS: milliseconds(0, 300_000).default(10_000),
    /** Comma-separated agent keys registered at start (quick start, compose, tests). */
    SLUICE_BOOTSTRAP_AGENT_KEYS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((key) => key.trim())
          .filter((key) => key !== ''),
      )
      .refine(
        (keys) => keys.every((key) => parseAgentKey(key) !== undefined),
        'every key must look like sak_<16 hex>.<43 base64url> (see `agent-key generate`)',
      )
      .optional(),
  })
  .superRefine((env, ctx) => {
    const hasCert = env.SLUICE_GRPC_TLS_CERT !== undefined;
    const hasKey = env.SLUICE_GRPC_TLS_KEY !== undefined;
    if (hasCert !== hasKey) {
      ctx.addIssue({
        code: 'custom',
        path: [hasCert ? 'SLUICE_GRPC_TLS_KEY' : 'SLUICE_GRPC_TLS_CERT'],
        message: 'SLUICE_GRPC_TLS_CERT and SLUICE_GRPC_TLS_KEY must be set together',
      });
    }
    if (!hasCert && !env.SLUICE_GRPC_INSECURE) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLUICE_GRPC_TLS_CERT'],
        message:
          'the agent link needs TLS: set SLUICE_GRPC_TLS_CERT and SLUICE_GRPC_TLS_KEY (or SLUICE_GRPC_INSECURE=true for loopback development)',
      });
    }
    if (!hasCert && env.SLUICE_GRPC_INSECURE && !isLoopback(env.SLUICE_GRPC_HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLUICE_GRPC_INSECURE'],
        message: `plaintext gRPC is only allowed on a loopback address, not on ${env.SLUICE_GRPC_HOST}`,
      });
    }
    if (env.SLUICE_ENV === 'production' && env.SLUICE_GRPC_INSECURE) {
      ctx.addIssue({ code: 'custom', path: ['SLUICE_GRPC_INSECURE'], message: 'not allowed when SLUICE_ENV=production' });
    }
    if (env.SLUICE_ENV === 'production' && env.SLUICE_DEV_ISSUER) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLUICE_DEV_ISSUER'],
        message: 'the development issuer mints tokens for anyone: not allowed when SLUICE_ENV=production',
      });
    }
    if (env.SLUICE_ENV === 'production' && env.SLUICE_DATABASE_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLUICE_DATABASE_URL'],
        message: 'required when SLUICE_ENV=production (the embedded PostgreSQL is for development)',
      });
    }
  });

export type ControlPlaneEnv = z.infer<typeof controlPlaneEnvSchema>;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
