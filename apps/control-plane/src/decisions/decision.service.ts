import { Inject, Injectable } from '@nestjs/common';
import type { Decision, DecisionRequest__Output } from '@sluice/contract';
import type { Decision as PolicyDecision } from '@sluice/policy';
import { ApprovalsService, MAX_PENDING_REVIEWS } from '../approvals/approvals.service.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { policyCommand, policyConnection, policyPrincipal } from '../policies/policy-input.mapper.js';
import { PolicyService } from '../policies/policy.service.js';
import { SessionsService } from '../sessions/sessions.service.js';

/**
 * Every policy decision for a command an agent sees. The session (and through it the principal as
 * its token described it) comes from the database, never from the agent's say-so.
 */
@Injectable()
export class DecisionService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly connections: ConnectionsService,
    private readonly policy: PolicyService,
    private readonly approvals: ApprovalsService,
    private readonly metrics: MetricsService,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async decide(agentId: string, request: DecisionRequest__Output): Promise<Decision> {
    const stop = this.metrics.decisionSeconds.startTimer();
    const decision = await this.decideUnmeasured(agentId, request);
    stop();
    this.metrics.decisions.inc({ effect: decision.effect });
    return decision;
  }

  private async decideUnmeasured(agentId: string, request: DecisionRequest__Output): Promise<Decision> {
    const session = await this.sessions.activeSession(request.sessionId, agentId);
    if (!session) return refusal('the session is closed, revoked or unknown');
    const connection = await this.connections.get(session.connection);
    if (!connection) return refusal(`connection ${session.connection} is no longer registered`);
    const command = policyCommand(request.command);
    const grants = await this.approvals.activeGrants(session.principal.id, connection.name);
    const decision = this.policy.evaluate({
      principal: policyPrincipal(session.principal),
      connection: policyConnection(connection),
      command,
      now: new Date(),
      grants,
    });
    this.logger.debug({ sessionId: session.sessionId, effect: decision.effect, ruleIds: decision.ruleIds }, 'decision');
    if (decision.effect !== 'review' || !decision.review) return toWire(decision);

    // Review: an approval granted earlier for exactly this statement lets it through, once.
    const text = command.text ?? '';
    const approved = await this.approvals.consumeApproved(session.principal.id, connection.name, text, {
      ruleIds: decision.ruleIds,
      approverGroups: decision.review.approverGroups,
      minApprovals: decision.review.minApprovals,
    });
    if (approved) {
      return {
        ...toWire(decision),
        effect: decision.mask ? 'mask' : 'allow',
        reason: `approved by ${approved.resolvedBy ?? 'an approver'} (approval ${approved.id})${approved.resolutionComment ? `: ${approved.resolutionComment}` : ''}`,
        cacheable: false,
        approvalId: approved.id,
      };
    }
    const pending = await this.approvals.requestReview({
      principalId: session.principal.id,
      principalName: session.principal.displayName ?? undefined,
      connection: connection.name,
      sessionId: session.sessionId,
      agentId,
      commandText: text,
      commandClasses: command.classes,
      ruleIds: decision.ruleIds,
      reason: decision.reason,
      review: decision.review,
    });
    if (pending === 'too-many-pending') {
      return {
        ...toWire(decision),
        effect: 'deny',
        reason: `${decision.reason} — not submitted: this principal already has ${MAX_PENDING_REVIEWS} approvals pending`,
        cacheable: false,
      };
    }
    return { ...toWire(decision), cacheable: false, approvalId: pending.id, reviewDeadlineUnixMs: pending.expiresAt.getTime() };
  }
}

function toWire(decision: PolicyDecision): Decision {
  return {
    effect: decision.effect,
    ruleIds: [...decision.ruleIds],
    reason: decision.reason,
    maskPlanJson: decision.mask ? JSON.stringify(decision.mask) : '',
    cacheable: decision.cacheable && decision.effect !== 'review',
    policyVersion: decision.policyVersion ?? '',
    approvalId: '',
    reviewDeadlineUnixMs: 0,
  };
}

function refusal(reason: string): Decision {
  return {
    effect: 'deny',
    ruleIds: [],
    reason,
    maskPlanJson: '',
    cacheable: false,
    policyVersion: '',
    approvalId: '',
    reviewDeadlineUnixMs: 0,
  };
}
