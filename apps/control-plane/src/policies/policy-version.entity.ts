import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PolicyFormat } from '@sluice/policy';

/** How a version came to be: uploaded over REST, a rollback copy, or the SLUICE_POLICY_FILE bootstrap. */
export const POLICY_VERSION_SOURCES = ['api', 'rollback', 'file'] as const;
export type PolicyVersionSource = (typeof POLICY_VERSION_SOURCES)[number];

/** One stored policy version. Rows are never updated except for the `active` flag. */
@Entity({ name: 'policy_versions' })
export class PolicyVersionEntity {
  @PrimaryColumn({ type: 'integer' }) version!: number;
  @Column({ type: 'text' }) format!: PolicyFormat;
  /** The text exactly as uploaded (comments and ordering kept), so GET returns what the admin wrote. */
  @Column({ type: 'text' }) document!: string;
  @Column({ name: 'content_sha256', type: 'text' }) contentSha256!: string;
  @Column({ type: 'text' }) source!: PolicyVersionSource;
  @Column({ name: 'rolled_back_from', type: 'integer', nullable: true }) rolledBackFrom!: number | null;
  /** A principal id, or `file:<path>` for the bootstrap. */
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'created_by_name', type: 'text', nullable: true }) createdByName!: string | null;
  @Column({ type: 'text', nullable: true }) comment!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true }) activatedAt!: Date | null;
}
