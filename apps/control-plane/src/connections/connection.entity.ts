import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A target reachable through an agent, as the agent declared it in its hello. */
@Entity({ name: 'connections' })
export class ConnectionEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  protocol!: string;

  @Column({ name: 'listen_address', type: 'text' })
  listenAddress!: string;

  @Column({ type: 'jsonb' })
  tags!: Record<string, string>;

  @Column({ name: 'agent_id', type: 'text' })
  agentId!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
