import { CONNECTION_PROTOCOLS } from '@sluice/policy';
import { MAX_SQL_TEXT_BYTES } from '@sluice/sql';
import { z } from 'zod';

const name = z.string().trim().min(1).max(512);
const names = z.array(z.string().max(512)).max(1000);

/** A principal described inline: the attributes policy matches on (a principal as a verified token gives it). */
const inlinePrincipalSchema = z
  .object({
    id: name.default('explain:inline'),
    kind: z.enum(['workload', 'user']),
    subject: name.default('explain:inline'),
    issuer: name.default('explain:inline'),
    tenantId: name.optional(),
    appId: name.optional(),
    displayName: name.optional(),
    groups: names.default([]),
    roles: names.default([]),
    scopes: names.default([]),
    groupOverage: z.boolean().default(false),
  })
  .strict();

const inlineConnectionSchema = z
  .object({
    name: name,
    protocol: z.enum(CONNECTION_PROTOCOLS),
    tags: z.record(z.string().max(256), z.string().max(1024)).default({}),
  })
  .strict();

const commandSchema = z
  .object({
    /** Statement text; classified when the protocol is postgres and no classes are given. */
    text: z.string().max(MAX_SQL_TEXT_BYTES).optional(),
    /** Defaults to the connection's protocol. */
    protocol: z.enum(CONNECTION_PROTOCOLS).optional(),
    classes: z.array(z.string().trim().min(1).max(256)).min(1).max(256).optional(),
    tables: names.optional(),
    tablesWritten: names.optional(),
    functions: names.optional(),
    hasWhere: z.boolean().optional(),
    http: z
      .object({ method: z.string().min(1).max(32), path: z.string().min(1).max(8192), query: z.record(z.string(), z.string()).default({}) })
      .strict()
      .optional(),
    k8s: z
      .object({
        verb: z.string().min(1).max(64),
        group: z.string().max(256).default(''),
        resource: z.string().min(1).max(256),
        subresource: z.string().max(256).optional(),
        namespace: z.string().max(256).optional(),
        name: z.string().max(512).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.classes !== undefined || c.text !== undefined, { message: 'give the command text (PostgreSQL) or its classes' });

/** `POST /api/v1/policy/explain` (docs/policy.md "Explain"). */
export const explainBodySchema = z
  .object({
    /** A principal seen before (GET /api/v1/principals)… */
    principalId: name.optional(),
    /** …or one described inline. */
    principal: inlinePrincipalSchema.optional(),
    /** A registered connection's name, or a connection described inline. */
    connection: z.union([name, inlineConnectionSchema]),
    command: commandSchema,
    /** The evaluation time (conditions on `now`); defaults to the time of the request. */
    now: z.iso.datetime({ offset: true }).optional(),
    grants: z.array(z.string().max(256)).max(256).optional(),
  })
  .strict()
  .refine((b) => (b.principalId === undefined) !== (b.principal === undefined), {
    message: 'give exactly one of principalId and principal',
    path: ['principal'],
  });

export type ExplainBody = z.infer<typeof explainBodySchema>;
