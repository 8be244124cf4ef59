import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An agent as last seen on the link. Online-ness is derived from link_id and the heartbeat. */
@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  segment!: string;

  @Column({ type: 'text' })
  version!: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  /** Set while a link is open; cleared by the replica that held it when the stream ends. */
  @Column({ name: 'link_id', type: 'text', nullable: true })
  linkId!: string | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz', default: () => 'now()' })
  firstSeenAt!: Date;

  @Column({ name: 'connected_at', type: 'timestamptz', nullable: true })
  connectedAt!: Date | null;

  @Column({ name: 'disconnected_at', type: 'timestamptz', nullable: true })
  disconnectedAt!: Date | null;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAt!: Date | null;
}
