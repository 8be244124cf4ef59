import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import type { PrincipalRecord } from './principals.service.js';

export class PrincipalDto {
  @ApiProperty({ example: 'entra:72f988bf-…:3b2a…', description: 'Stable principal id: issuer, tenant and object/subject id' }) id!: string;
  @ApiProperty() issuer!: string;
  @ApiProperty({ type: String, nullable: true }) tenantId!: string | null;
  @ApiProperty({ description: 'Entra object id (oid) or OIDC subject' }) subject!: string;
  @ApiProperty({ enum: ['workload', 'user'] }) kind!: 'workload' | 'user';
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ type: String, nullable: true }) appId!: string | null;
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ description: 'The token had too many groups to carry them (Entra group overage)' }) groupOverage!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) firstSeenAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) lastSeenAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedBy!: string | null;
  @ApiProperty({ type: String, nullable: true }) revokeReason!: string | null;

  static from(record: PrincipalRecord): PrincipalDto {
    return {
      ...record,
      groups: [...record.groups],
      roles: [...record.roles],
      scopes: [...record.scopes],
      firstSeenAt: record.firstSeenAt.toISOString(),
      lastSeenAt: record.lastSeenAt.toISOString(),
      revokedAt: record.revokedAt?.toISOString() ?? null,
    };
  }
}

export const revokeBodySchema = z.object({ reason: z.string().trim().min(1, 'say why').max(500) }).strict();
export type RevokeBody = z.infer<typeof revokeBodySchema>;

export class RevokeBodyDto {
  @ApiProperty({ example: 'agent key leaked in a CI log', maxLength: 500 }) reason!: string;
}
