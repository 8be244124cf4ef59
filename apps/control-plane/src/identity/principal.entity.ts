import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A principal as last seen in a verified token, plus its revocation state. */
@Entity({ name: 'principals' })
export class PrincipalEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) issuer!: string;
  @Column({ name: 'tenant_id', type: 'text', nullable: true }) tenantId!: string | null;
  @Column({ type: 'text' }) subject!: string;
  @Column({ type: 'text' }) kind!: 'workload' | 'user';
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @Column({ name: 'app_id', type: 'text', nullable: true }) appId!: string | null;
  @Column({ type: 'jsonb' }) groups!: string[];
  @Column({ type: 'jsonb' }) roles!: string[];
  @Column({ type: 'jsonb' }) scopes!: string[];
  @Column({ name: 'group_overage', type: 'boolean' }) groupOverage!: boolean;
  /** The last token's claims, kept for audit. Never the token itself. */
  @Column({ name: 'last_claims', type: 'jsonb' }) lastClaims!: Record<string, unknown>;
  @Column({ name: 'first_seen_at', type: 'timestamptz' }) firstSeenAt!: Date;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_by', type: 'text', nullable: true }) revokedBy!: string | null;
  @Column({ name: 'revoke_reason', type: 'text', nullable: true }) revokeReason!: string | null;
}
