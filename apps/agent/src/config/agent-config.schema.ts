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

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** TLS towards an HTTPS upstream: CA to trust, client certificate (mTLS), server name. */
const upstreamTls = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    /** Development only: accept any server certificate. */
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'set certFile and keyFile together');

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const httpCredentials = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('bearer'), token: secretSource }).strict(),
  z.object({ kind: z.literal('basic'), username: z.string().min(1), password: secretSource }).strict(),
  z
    .object({
      kind: z.literal('header'),
      name: z
        .string()
        .regex(HEADER_NAME, 'must be an HTTP header name')
        .refine(
          (n) => !['host', 'connection', 'content-length', 'transfer-encoding', 'cookie'].includes(n.toLowerCase()),
          'cannot be a framing or routing header',
        ),
      value: secretSource,
    })
    .strict(),
]);

/** Bounds on what a client may send and how long the upstream may take. */
const requestLimits = z
  .object({
    maxHeaderBytes: z.number().int().min(1_024).max(1_048_576).default(16_384),
    /** 0: no limit (streamed either way). */
    maxRequestBodyBytes: z
      .number()
      .int()
      .min(0)
      .default(10 * 1024 * 1024),
    /** Time for the upstream to send response headers. */
    upstreamHeadersTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** Longest silence inside a response body; 0: none (watches, log follow, downloads). */
    upstreamBodyIdleTimeoutMs: z.number().int().min(0).max(86_400_000).default(0),
    /** Largest single string a masked response may hold when it must be read whole (partial/hash/detectors). */
    maxMaskedValueBytes: z
      .number()
      .int()
      .min(1_024)
      .max(64 * 1024 * 1024)
      .default(1_048_576),
    /** Bytes of a JSON response kept (masked) in the recording. */
    previewBytes: z.number().int().min(0).max(65_536).default(4_096),
    maxUpstreamConnections: z.number().int().min(1).max(10_000).default(256),
  })
  .strict()
  .default({
    maxHeaderBytes: 16_384,
    maxRequestBodyBytes: 10 * 1024 * 1024,
    upstreamHeadersTimeoutMs: 60_000,
    upstreamBodyIdleTimeoutMs: 0,
    maxMaskedValueBytes: 1_048_576,
    previewBytes: 4_096,
    maxUpstreamConnections: 256,
  });

/** The apiserver and the agent's own credentials towards it (never the client's). */
const kubernetesTarget = z
  .object({
    url: httpUrl,
    caFile: z.string().min(1).optional(),
    /** A service-account token file (re-read every minute: projected tokens rotate). */
    tokenFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'set certFile and keyFile together');

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
  z
    .object({
      ...connectionBase,
      protocol: z.literal('http'),
      target: z.object({ url: httpUrl, tls: upstreamTls.optional() }).strict(),
      /** What the agent adds upstream; the client's Authorization header is never forwarded. */
      credentials: httpCredentials.default({ kind: 'none' }),
      tls: clientTls.optional(),
      /** Serve plain HTTP; only on a loopback listen address (the token travels in a header). */
      allowPlaintextOnLoopback: z.boolean().default(false),
      limits: requestLimits,
      masking: z
        .object({
          /** A masked response that is neither JSON nor UTF-8 text: refuse it (default) or pass it unmasked. */
          otherContentTypes: z.enum(['refuse', 'pass']).default('refuse'),
        })
        .strict()
        .default({ otherContentTypes: 'refuse' }),
      sessionIdleSeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .strict(),
  z
    .object({
      ...connectionBase,
      protocol: z.literal('kubernetes'),
      target: kubernetesTarget,
      /** Act as the principal through impersonation headers (needs `impersonate` RBAC for the agent's identity). */
      impersonate: z
        .object({
          enabled: z.boolean().default(false),
          /** Prepended to the principal id (Impersonate-User) and to each group: keeps them apart from `system:` names. */
          userPrefix: z.string().max(64).default('sluice:'),
          groupPrefix: z.string().max(64).default('sluice:'),
          groups: z.boolean().default(true),
        })
        .strict()
        .default({ enabled: false, userPrefix: 'sluice:', groupPrefix: 'sluice:', groups: true }),
      tls: clientTls.optional(),
      allowPlaintextOnLoopback: z.boolean().default(false),
      limits: requestLimits,
      recording: z
        .object({
          /** Record what exec/attach clients type (channel 0), not only what they see. */
          stdin: z.boolean().default(false),
        })
        .strict()
        .default({ stdin: false }),
      sessionIdleSeconds: z.number().int().min(1).max(86_400).default(300),
    })
    .strict(),
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
  /** host:port of the admin endpoints (/healthz, /readyz, /metrics), or "off". */
  SLUICE_AGENT_ADMIN_LISTEN: z.union([z.literal('off'), hostPort]).default('127.0.0.1:9464'),
  SLUICE_AGENT_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  SLUICE_RESULT_PREVIEW_ROWS: z.coerce.number().int().min(0).max(100).default(5),
  SLUICE_AGENT_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(64 * 1024 ** 3)
    .default(512 * 1024 ** 2),
  /** Unacknowledged recording events kept in memory before they spill to the spool (small values: tests). */
  SLUICE_AGENT_RECORDING_MEMORY_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  SLUICE_MAX_STATEMENT_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(262_144),
});

export type AgentEnv = z.infer<typeof agentEnvSchema>;
