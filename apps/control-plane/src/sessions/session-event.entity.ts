import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One recorded event of a session, idempotent by (session_id, seq). */
@Entity({ name: 'session_events' })
export class SessionEventEntity {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' }) sessionId!: string;
  @PrimaryColumn({ type: 'bigint' }) seq!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
}
