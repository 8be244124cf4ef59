import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ApprovalKind = 'command' | 'access';
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed' | 'revoked';

/** A review: a held command (kind `command`) or a just-in-time access request (kind `access`). */
@Entity({ name: 'approval_requests' })
export class ApprovalRequestEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'text' }) kind!: ApprovalKind;
  @Column({ type: 'text' }) status!: ApprovalStatus;
  @Column({ name: 'principal_id', type: 'text' }) principalId!: string;
  @Column({ name: 'principal_name', type: 'text', nullable: true }) principalName!: string | null;
  @Column({ type: 'text' }) connection!: string;
  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId!: string | null;
  @Column({ name: 'agent_id', type: 'text', nullable: true }) agentId!: string | null;
  @Column({ name: 'command_text', type: 'text', nullable: true }) commandText!: string | null;
  @Column({ name: 'command_digest', type: 'text', nullable: true }) commandDigest!: string | null;
  @Column({ name: 'command_classes', type: 'jsonb' }) commandClasses!: string[];
  @Column({ name: 'rule_ids', type: 'jsonb' }) ruleIds!: string[];
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'approver_groups', type: 'jsonb' }) approverGroups!: string[];
  @Column({ name: 'min_approvals', type: 'integer' }) minApprovals!: number;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'resolved_by', type: 'text', nullable: true }) resolvedBy!: string | null;
  @Column({ name: 'resolution_comment', type: 'text', nullable: true }) resolutionComment!: string | null;
  /** Approved commands may be run (once) until then. */
  @Column({ name: 'use_until', type: 'timestamptz', nullable: true }) useUntil!: Date | null;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt!: Date | null;
  @Column({ name: 'grant_name', type: 'text', nullable: true }) grantName!: string | null;
  @Column({ name: 'grant_seconds', type: 'integer', nullable: true }) grantSeconds!: number | null;
  @Column({ name: 'grant_expires_at', type: 'timestamptz', nullable: true }) grantExpiresAt!: Date | null;
}
