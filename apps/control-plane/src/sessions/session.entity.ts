import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A client connection through an agent, from open to close. */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'principal_id', type: 'text' }) principalId!: string;
  @Column({ type: 'text' }) connection!: string;
  @Column({ name: 'agent_id', type: 'text' }) agentId!: string;
  @Column({ name: 'client_address', type: 'text' }) clientAddress!: string;
  @Column({ name: 'client_application', type: 'text', nullable: true }) clientApplication!: string | null;
  @Column({ name: 'client_user', type: 'text', nullable: true }) clientUser!: string | null;
  @Column({ name: 'token_expires_at', type: 'timestamptz' }) tokenExpiresAt!: Date;
  @Column({ name: 'opened_at', type: 'timestamptz' }) openedAt!: Date;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  @Column({ name: 'close_reason', type: 'text', nullable: true }) closeReason!: string | null;
  /** The principal as its token described it when the session opened; decisions use this. */
  @Column({ type: 'jsonb' }) principal!: SessionPrincipalSnapshot;
}

export interface SessionPrincipalSnapshot {
  readonly id: string;
  readonly issuer: string;
  readonly tenantId: string | null;
  readonly subject: string;
  readonly kind: 'workload' | 'user';
  readonly displayName: string | null;
  readonly appId: string | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly groupOverage: boolean;
}
