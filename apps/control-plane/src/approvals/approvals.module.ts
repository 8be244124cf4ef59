import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { AccessRequestsController } from './access-requests.controller.js';
import { ApprovalActionEntity } from './approval-action.entity.js';
import { ApprovalRequestEntity } from './approval-request.entity.js';
import { ApprovalsController } from './approvals.controller.js';
import { ApprovalsService } from './approvals.service.js';
import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';
import { WebhookNotifier } from './webhook-notifier.js';

/** Reviews of held commands, just-in-time access requests, webhooks. Owns approval_requests, approval_actions, webhook_deliveries. */
@Module({
  imports: [TypeOrmModule.forFeature([ApprovalRequestEntity, ApprovalActionEntity, WebhookDeliveryEntity]), AgentLinkModule],
  controllers: [ApprovalsController, AccessRequestsController],
  providers: [ApprovalsService, WebhookNotifier],
  exports: [ApprovalsService],
})
export class ApprovalsModule {}
