import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A credential an agent presents on the link. Only a SHA-256 of the secret part is stored. */
@Entity({ name: 'agent_keys' })
export class AgentKeyEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'secret_sha256', type: 'text' })
  secretSha256!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
