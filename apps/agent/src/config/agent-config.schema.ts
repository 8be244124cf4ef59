import { z } from 'zod';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const nameField = (what: string) => z.string().regex(NAME, `${what} must match [a-z0-9][a-z0-9._-]{0,62}`);

/** host:port, with the host a name, an IPv4 address or a bracketed IPv6 address. */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port')
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port >= 0 && port <= 65_535;
  }, 'port must be 0-65535');

/** Where a credential comes from: an environment variable or a file. Never the value itself. */
const secretSource = z
  .object({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.env === undefined) !== (s.file === undefined), 'set exactly one of env or file');

const credentials = z.object({ username: z.string().min(1), password: secretSource }).strict();

const tags = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/), z.string().max(255)).default({});

const databaseTarget = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
    database: z.string().min(1),
    /** TLS towards the real server, as libpq's sslmode. */
    sslMode: z.enum(['disable', 'prefer', 'require', 'verify-full']).default('prefer'),
    caFile: z.string().min(1).optional(),
  })
  .strict();

/** The certificate clients see. Absent: a self-signed one is generated into the state directory. */
const clientTls = z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict();

const connectionBase = { name: nameField('connection name'), listen: hostPort, tags };

export const connectionSchema = z.discriminatedUnion('protocol', [
  z
    .object({
      ...connectionBase,
      protocol: z.literal('postgres'),
      target: databaseTarget,
      credentials,
      tls: clientTls.optional(),
      /** Accept clients without TLS, from loopback addresses only (the token travels as a password). */
      allowPlaintextOnLoopback: z.boolean().default(false),
    })
    .strict(),
  z.object({ ...connectionBase, protocol: z.literal('mysql'), target: databaseTarget, credentials }).strict(),
  z.object({ ...connectionBase, protocol: z.literal('http'), target: z.object({ url: z.url() }).strict() }).strict(),
  z.object({ ...connectionBase, protocol: z.literal('kubernetes'), target: z.object({ url: z.url() }).strict() }).strict(),
]);

export const agentFileSchema = z
  .object({
    agent: z
      .object({ id: nameField('agent.id').optional(), segment: nameField('agent.segment').optional() })
      .strict()
      .default({}),
    controlPlane: z
      .object({
        address: hostPort.optional(),
        insecure: z.boolean().optional(),
        tls: z
          .object({
            caFile: z.string().min(1).optional(),
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
            serverName: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    connections: z.array(connectionSchema).default([]),
  })
  .strict();

export type AgentFile = z.infer<typeof agentFileSchema>;
export type ConnectionSpec = z.infer<typeof connectionSchema>;

const booleanFlag = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Environment variables; each overrides the matching file setting. */
export const agentEnvSchema = z.object({
  SLUICE_AGENT_CONFIG: z.string().min(1).optional(),
  SLUICE_AGENT_ID: nameField('SLUICE_AGENT_ID').optional(),
  SLUICE_AGENT_SEGMENT: nameField('SLUICE_AGENT_SEGMENT').optional(),
  SLUICE_CONTROL_PLANE_ADDRESS: hostPort.optional(),
  SLUICE_CONTROL_PLANE_INSECURE: booleanFlag.optional(),
  SLUICE_CONTROL_PLANE_CA: z.string().min(1).optional(),
  SLUICE_CONTROL_PLANE_CERT: z.string().min(1).optional(),
  SLUICE_CONTROL_PLANE_KEY: z.string().min(1).optional(),
  SLUICE_CONTROL_PLANE_SERVER_NAME: z.string().min(1).optional(),
  SLUICE_AGENT_KEY: z.string().min(1).optional(),
  SLUICE_AGENT_KEY_FILE: z.string().min(1).optional(),
  SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLUICE_AGENT_STATE_DIR: z.string().min(1).default('.sluice-agent'),
  SLUICE_AGENT_MASK_KEY_FILE: z.string().min(1).optional(),
  SLUICE_DECISION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  SLUICE_MAX_STATEMENT_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(262_144),
});

export type AgentEnv = z.infer<typeof agentEnvSchema>;
