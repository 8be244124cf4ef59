import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEFAULT_POLICY_DOCUMENT, type PolicyError } from '@sluice/policy';
import { stringify } from 'yaml';
import { z } from 'zod';
import { POLICY_VERSION_SOURCES, type PolicyVersionSource } from './policy-version.entity.js';
import type { PolicyVersionRecord, PolicyVersionWithDocument } from './policy-versions.service.js';
import type { ActivePolicy } from './policy.service.js';
import { MAX_COMMENT_LENGTH } from './policy-upload.js';

const DEFAULT_POLICY_YAML = stringify(DEFAULT_POLICY_DOCUMENT);

/** A stored version's metadata: the audit trail of who changed the policy, when and why. */
export class PolicyVersionDto {
  @ApiProperty({ example: 7 }) version!: number;
  @ApiProperty({ enum: ['yaml', 'json'] }) format!: 'yaml' | 'json';
  @ApiProperty({
    enum: POLICY_VERSION_SOURCES,
    description: 'api: uploaded; rollback: a copy of an older version; file: SLUICE_POLICY_FILE',
  })
  source!: PolicyVersionSource;
  @ApiProperty({ type: Number, nullable: true, description: 'For a rollback: the version whose document was activated again' })
  rolledBackFrom!: number | null;
  @ApiProperty({ example: 'entra:00000000-…:3b2a…', description: 'The principal id of who made it, or file:<path>' }) createdBy!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Demo security admin' }) createdByName!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why' }) comment!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) activatedAt!: string | null;
  @ApiProperty({ description: 'Hex SHA-256 of the document text' }) contentSha256!: string;

  static from(record: PolicyVersionRecord): PolicyVersionDto {
    return {
      version: record.version,
      format: record.format,
      source: record.source,
      rolledBackFrom: record.rolledBackFrom,
      createdBy: record.createdBy,
      createdByName: record.createdByName,
      comment: record.comment,
      createdAt: record.createdAt.toISOString(),
      active: record.active,
      activatedAt: record.activatedAt?.toISOString() ?? null,
      contentSha256: record.contentSha256,
    };
  }
}

export class PolicyVersionDetailDto extends PolicyVersionDto {
  @ApiProperty({ description: 'The policy text exactly as uploaded' }) document!: string;

  static withDocument(record: PolicyVersionWithDocument): PolicyVersionDetailDto {
    return Object.assign(PolicyVersionDto.from(record), { document: record.document });
  }
}

/** The policy this replica enforces. */
export class ActivePolicyDto {
  @ApiProperty({ type: Number, nullable: true, description: 'The stored version; null while the built-in default is in force' })
  version!: number | null;
  @ApiProperty({ example: '7', description: 'The version as decisions carry it (`default` for the built-in policy)' })
  policyVersion!: string;
  @ApiProperty({ enum: ['yaml', 'json'] }) format!: 'yaml' | 'json';
  @ApiProperty({ description: 'The policy text' }) document!: string;
  @ApiProperty({ enum: [...POLICY_VERSION_SOURCES, 'built-in'] }) source!: PolicyVersionSource | 'built-in';
  @ApiProperty({ type: Number, nullable: true }) rolledBackFrom!: number | null;
  @ApiProperty({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ type: String, nullable: true }) createdByName!: string | null;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) activatedAt!: string | null;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    description: 'Present when this control plane cannot compile the active version: it then denies everything',
  })
  loadErrors?: PolicyError[];

  static fromActive(active: ActivePolicy): ActivePolicyDto {
    const { stored } = active;
    if (!stored) {
      return {
        version: null,
        policyVersion: active.compiled.version ?? '',
        format: 'yaml',
        document: DEFAULT_POLICY_YAML,
        source: 'built-in',
        rolledBackFrom: null,
        createdBy: null,
        createdByName: null,
        comment: null,
        createdAt: null,
        activatedAt: null,
      };
    }
    const dto = ActivePolicyDto.fromStored(stored);
    if (active.loadErrors) dto.loadErrors = [...active.loadErrors];
    return dto;
  }

  static fromStored(stored: PolicyVersionWithDocument): ActivePolicyDto {
    return {
      version: stored.version,
      policyVersion: String(stored.version),
      format: stored.format,
      document: stored.document,
      source: stored.source,
      rolledBackFrom: stored.rolledBackFrom,
      createdBy: stored.createdBy,
      createdByName: stored.createdByName,
      comment: stored.comment,
      createdAt: stored.createdAt.toISOString(),
      activatedAt: stored.activatedAt?.toISOString() ?? null,
    };
  }
}

export class PolicyErrorDto {
  @ApiProperty({ example: 'rules[3].when' }) path!: string;
  @ApiProperty({ example: "undeclared reference to 'principal.email'" }) message!: string;
}

/** 400 (or 415) for a rejected upload: every problem, with where it is. Nothing was activated. */
export class PolicyRejectedDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'the policy was rejected; nothing was activated' }) message!: string;
  @ApiProperty({ type: [PolicyErrorDto] }) errors!: PolicyErrorDto[];
}

export class PolicyEnvelopeDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'object' }], description: 'The policy as YAML/JSON text, or as a JSON object' })
  document!: string | Record<string, unknown>;
  @ApiPropertyOptional({ enum: ['yaml', 'json'], description: 'Required when `document` is text' }) format?: 'yaml' | 'json';
  @ApiPropertyOptional({ maxLength: MAX_COMMENT_LENGTH, description: 'Why; kept with the version' }) comment?: string;
}

export const rollbackBodySchema = z
  .object({ comment: z.string().trim().max(MAX_COMMENT_LENGTH).optional() })
  .strict()
  .optional();
export type RollbackBody = z.infer<typeof rollbackBodySchema>;

export class RollbackBodyDto {
  @ApiPropertyOptional({ maxLength: MAX_COMMENT_LENGTH, example: 'v8 blocked the nightly export' }) comment?: string;
}

/** A version number in a path: a positive integer that fits the column. */
export const versionParamSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'expected a version number')
  .transform(Number)
  .refine((n) => n <= 2_147_483_647, 'expected a version number');

export const versionsQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/, 'expected 1..1000')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 1000, 'expected 1..1000')
      .optional(),
    before: versionParamSchema.optional(),
  })
  .strict();
export type VersionsQuery = z.infer<typeof versionsQuerySchema>;
