import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig, WebhookConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import type { ApprovalRequestEntity } from './approval-request.entity.js';
import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

/** Delays between attempts; the first attempt is immediate. */
export const WEBHOOK_RETRY_DELAYS_MS = [500, 2_000, 8_000, 30_000] as const;
const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Outgoing webhooks for approval events, per approver group: a Slack-compatible JSON body (`text`
 * plus `blocks`, and the full event under `sluice`), signed with HMAC-SHA256 over
 * `<timestamp>.<body>` in `X-Sluice-Signature: sha256=<hex>` (timestamp in `X-Sluice-Timestamp`,
 * so receivers can reject replays). Retried with backoff; every attempt lands in `webhook_deliveries`.
 */
@Injectable()
export class WebhookNotifier {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Fire and forget: delivery runs in the background and never blocks the caller. */
  notify(request: ApprovalRequestEntity, event: string): void {
    for (const hook of this.config.approvals.webhooks) {
      const forGroup = hook.groups.length === 0 || hook.groups.some((g) => request.approverGroups.includes(g));
      if (forGroup)
        void this.deliver(hook, request, event).catch((error: unknown) =>
          this.logger.error({ err: error, webhook: hook.name }, 'webhook delivery crashed'),
        );
    }
  }

  private async deliver(hook: WebhookConfig, request: ApprovalRequestEntity, event: string): Promise<void> {
    const body = JSON.stringify(payload(request, event, this.config.publicUrl));
    const inserted = await this.deliveries.insert({
      approvalId: request.id,
      event,
      url: hook.url,
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: new Date(),
      deliveredAt: null,
    });
    const deliveryId = String((inserted.identifiers[0] as { id: string | number }).id);
    for (let attempt = 0; attempt <= WEBHOOK_RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, WEBHOOK_RETRY_DELAYS_MS[attempt - 1]));
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', hook.secret).update(`${timestamp}.${body}`).digest('hex');
      let problem: string | undefined;
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-sluice-event': event,
            'x-sluice-timestamp': timestamp,
            'x-sluice-signature': `sha256=${signature}`,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        if (response.ok) {
          await this.deliveries.update(
            { id: deliveryId },
            { status: 'delivered', attempts: attempt + 1, deliveredAt: new Date(), lastError: null },
          );
          return;
        }
        problem = `HTTP ${response.status}`;
      } catch (error) {
        problem = error instanceof Error ? error.name : 'error';
      }
      await this.deliveries.update({ id: deliveryId }, { attempts: attempt + 1, lastError: problem });
    }
    await this.deliveries.update({ id: deliveryId }, { status: 'failed' });
    this.logger.warn({ webhook: hook.name, approvalId: request.id, event }, 'webhook delivery failed after retries');
  }
}

function payload(request: ApprovalRequestEntity, event: string, publicUrl: string | undefined): Record<string, unknown> {
  const link = publicUrl ? `${publicUrl}/api/v1/approvals/${request.id}` : `/api/v1/approvals/${request.id}`;
  // Every requester-controlled field is escaped for Slack's mrkdwn: no `<!channel>`, no link of the
  // requester's choosing, no way out of the code block.
  const who = slackText(request.principalName ?? request.principalId);
  const what =
    request.kind === 'access' ? `access "${slackText(request.grantName ?? '')}" for ${String(request.grantSeconds)} s` : 'a command';
  const text = `Sluice ${event}: ${who} requests ${what} on ${slackText(request.connection)} — ${slackText(request.reason)} <${link}|approval ${request.id}>`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(request.commandText
        ? [
            {
              type: 'section',
              text: { type: 'mrkdwn', text: `\`\`\`${slackText(request.commandText.slice(0, 2_000)).replace(/`/g, 'ˋ')}\`\`\`` },
            },
          ]
        : []),
    ],
    sluice: {
      event,
      approval: {
        id: request.id,
        kind: request.kind,
        status: request.status,
        principalId: request.principalId,
        principalName: request.principalName,
        connection: request.connection,
        command: request.commandText,
        classes: request.commandClasses,
        ruleIds: request.ruleIds,
        reason: request.reason,
        approverGroups: request.approverGroups,
        requestedAt: request.requestedAt.toISOString(),
        expiresAt: request.expiresAt.toISOString(),
        resolvedBy: request.resolvedBy,
        comment: request.resolutionComment,
        link,
      },
    },
  };
}

/** Slack mrkdwn control characters escaped as Slack documents (`&`, `<`, `>`). */
function slackText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
