import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import type { ApprovalActionEntity } from './approval-action.entity.js';
import type { ApprovalRequestEntity } from './approval-request.entity.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed', 'revoked'] as const;

export const listQuerySchema = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export const commentBodySchema = z.strictObject({ comment: z.string().trim().min(1, 'say why').max(1_000) });
export type CommentBody = z.infer<typeof commentBodySchema>;

export const accessRequestBodySchema = z.strictObject({
  connection: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/),
  grant: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a grant name policy can refer to, e.g. write-access'),
  durationSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600),
  reason: z.string().trim().min(1).max(1_000),
  approverGroups: z.array(z.string().min(1).max(200)).max(20).default([]),
});
export type AccessRequestBody = z.infer<typeof accessRequestBodySchema>;

export class CommentBodyDto {
  @ApiProperty({ maxLength: 1000, example: 'checked with the on-call DBA' }) comment!: string;
}

export class AccessRequestBodyDto {
  @ApiProperty({ example: 'demo-postgres' }) connection!: string;
  @ApiProperty({ example: 'write-access', description: 'The grant name policy refers to (CEL: `"write-access" in grants`)' })
  grant!: string;
  @ApiProperty({ minimum: 60, maximum: 604800, example: 3600 }) durationSeconds!: number;
  @ApiProperty({ example: 'hotfix for INC-1234' }) reason!: string;
  @ApiProperty({ type: [String], required: false, description: 'Who may approve; empty = any approver' }) approverGroups?: string[];
}

export class ApprovalActionDto {
  @ApiProperty() actorId!: string;
  @ApiProperty({ type: String, nullable: true }) actorName!: string | null;
  @ApiProperty({ enum: ['approve', 'deny', 'revoke'] }) action!: string;
  @ApiProperty() comment!: string;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;

  static from(a: ApprovalActionEntity): ApprovalActionDto {
    return { actorId: a.actorId, actorName: a.actorName, action: a.action, comment: a.comment, at: a.at.toISOString() };
  }
}

export class ApprovalDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['command', 'access'] }) kind!: string;
  @ApiProperty({ enum: APPROVAL_STATUSES }) status!: string;
  @ApiProperty() principalId!: string;
  @ApiProperty({ type: String, nullable: true }) principalName!: string | null;
  @ApiProperty() connection!: string;
  @ApiProperty({ type: String, nullable: true }) sessionId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The held statement, exactly as the client sent it' }) command!: string | null;
  @ApiProperty({ type: [String] }) classes!: string[];
  @ApiProperty({ type: [String] }) ruleIds!: string[];
  @ApiProperty() reason!: string;
  @ApiProperty({ type: [String] }) approverGroups!: string[];
  @ApiProperty() minApprovals!: number;
  @ApiProperty({ type: String, format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) resolvedBy!: string | null;
  @ApiProperty({ type: String, nullable: true }) comment!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Approved commands may run once until then' }) useUntil!:
    string | null;
  @ApiProperty({ type: String, nullable: true }) grant!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) grantExpiresAt!: string | null;
  @ApiProperty({ type: [ApprovalActionDto], required: false }) actions?: ApprovalActionDto[];

  static from(r: ApprovalRequestEntity, actions?: readonly ApprovalActionEntity[]): ApprovalDto {
    return {
      id: r.id,
      kind: r.kind,
      status: r.status,
      principalId: r.principalId,
      principalName: r.principalName,
      connection: r.connection,
      sessionId: r.sessionId,
      command: r.commandText,
      classes: r.commandClasses,
      ruleIds: r.ruleIds,
      reason: r.reason,
      approverGroups: r.approverGroups,
      minApprovals: r.minApprovals,
      requestedAt: r.requestedAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      resolvedAt: r.resolvedAt?.toISOString() ?? null,
      resolvedBy: r.resolvedBy,
      comment: r.resolutionComment,
      useUntil: r.useUntil?.toISOString() ?? null,
      grant: r.grantName,
      grantExpiresAt: r.grantExpiresAt?.toISOString() ?? null,
      ...(actions ? { actions: actions.map((a) => ApprovalActionDto.from(a)) } : {}),
    };
  }
}
