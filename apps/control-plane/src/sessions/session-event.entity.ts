import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One recorded event of a session, idempotent by (session_id, seq). `hash` chains it to the event
 * before it (docs/audit.md "Hash chain"); both hashes are null while the event waits for its
 * predecessor. Append-only: a database trigger refuses any other change.
 */
@Entity({ name: 'session_events' })
export class SessionEventEntity {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' }) sessionId!: string;
  @PrimaryColumn({ type: 'bigint' }) seq!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ name: 'prev_hash', type: 'bytea', nullable: true }) prevHash!: Buffer | null;
  @Column({ type: 'bytea', nullable: true }) hash!: Buffer | null;
}
