import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Who approved, denied or revoked what, and why. */
@Entity({ name: 'approval_actions' })
export class ApprovalActionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'approval_id', type: 'uuid' }) approvalId!: string;
  @Column({ name: 'actor_id', type: 'text' }) actorId!: string;
  @Column({ name: 'actor_name', type: 'text', nullable: true }) actorName!: string | null;
  @Column({ type: 'text' }) action!: 'approve' | 'deny' | 'revoke';
  @Column({ type: 'text' }) comment!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}
