import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One notification to one webhook, with its attempts. */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'approval_id', type: 'uuid' }) approvalId!: string;
  @Column({ type: 'text' }) event!: string;
  @Column({ type: 'text' }) url!: string;
  @Column({ type: 'text' }) status!: 'pending' | 'delivered' | 'failed';
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
}
