// Decisions for request/response protocols: the HTTP and Kubernetes counterpart of the PostgreSQL
// StatementGate, with protocol-neutral verdicts each listener turns into its own error format.
import type { ApprovalWaiters } from '../decisions/approval-waiters.js';
import type { DecisionCache } from '../decisions/decision-cache.js';
import type { LinkState } from '../link/control-plane-link.js';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { AgentDecision, CommandFacts } from '../link/link-types.js';
import type { RequestSession } from './request-session-pool.js';

export type RequestVerdict =
  | { readonly kind: 'forward'; readonly decision: AgentDecision; readonly cached: boolean }
  /** `review`: policy wants a human to approve; `decideWithHold` waits for the approver. */
  | { readonly kind: 'review'; readonly decision: AgentDecision; readonly cached: boolean }
  /** `message` overrides the policy's reason (an approver's denial, a review that timed out). */
  | { readonly kind: 'deny'; readonly decision: AgentDecision; readonly cached: boolean; readonly message?: string }
  /** Nothing could be decided (no link, no answer, recording queue full): fail closed. */
  | { readonly kind: 'unavailable'; readonly reason: 'no-link' | 'no-decision' | 'recording-saturated'; readonly message: string };

/**
 * Asks the control plane what a session may do with a request, or reuses a decision it marked
 * cacheable. Fails closed: no link, no answer in time, an unreadable answer, a full recording queue.
 */
export class RequestGate {
  constructor(
    private readonly controlPlane: ControlPlaneClient,
    private readonly cache: DecisionCache,
    private readonly linkState: () => LinkState,
    private readonly recordingSaturated: () => boolean,
    private readonly approvals: ApprovalWaiters,
  ) {}

  /**
   * Like `decide`, but a review holds the request until an approver decides, the review's deadline
   * passes, or `signal` aborts (the client went away — the approval request stays pending, and once
   * approved the same request may be sent again once). On approval the decision is asked again: the
   * control plane consumes the approval and answers allow or mask.
   */
  async decideWithHold(session: RequestSession, facts: CommandFacts, signal: AbortSignal): Promise<RequestVerdict> {
    const verdict = await this.decide(session, facts);
    if (verdict.kind !== 'review' || !verdict.decision.approvalId) return verdict;
    const review = verdict.decision;
    const deadline = review.reviewDeadline ?? new Date(Date.now() + 60_000);
    session.recorder.record('approval.requested', {
      approvalId: review.approvalId,
      reason: review.reason,
      ruleIds: review.ruleIds,
      deadline: deadline.toISOString(),
    });
    const waiting = this.approvals.wait(review.approvalId, deadline);
    const onAbort = () => waiting.cancel('the client went away');
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const result = await waiting.outcome;
    signal.removeEventListener('abort', onAbort);
    session.recorder.record('approval.resolved', { approvalId: review.approvalId, ...result });
    const refused = (message: string): RequestVerdict => ({ kind: 'deny', decision: review, cached: false, message });
    switch (result.outcome) {
      case 'approved': {
        const again = await this.decide(session, facts);
        return again.kind === 'review' ? refused(`approval ${review.approvalId} was already used`) : again;
      }
      case 'denied':
        return refused(`approval ${review.approvalId} denied${result.comment ? `: ${result.comment}` : ''}`);
      case 'expired':
      case 'timed-out':
        return refused(`approval ${review.approvalId} timed out; the request was not forwarded`);
      case 'cancelled':
        return refused(`approval ${review.approvalId} abandoned: ${result.reason}`);
    }
  }

  async decide(session: RequestSession, facts: CommandFacts): Promise<RequestVerdict> {
    if (this.linkState() !== 'ready') {
      // Even a cached decision is not used: without the link, revocations cannot reach us.
      return {
        kind: 'unavailable',
        reason: 'no-link',
        message: 'no link to the Sluice control plane: nothing can be decided, so nothing runs',
      };
    }
    if (this.recordingSaturated()) {
      return {
        kind: 'unavailable',
        reason: 'recording-saturated',
        message: 'the session recording queue is full: refusing rather than running unrecorded',
      };
    }
    let decision = this.cache.get(session.principalKey, session.connection, facts.fingerprint);
    const cached = decision !== undefined;
    if (!decision) {
      const epoch = this.cache.epoch;
      try {
        decision = await this.controlPlane.decide(session.sessionId, facts);
      } catch (error) {
        return {
          kind: 'unavailable',
          reason: 'no-decision',
          message: `no decision from the control plane (${(error as Error).message}); the request was not forwarded`,
        };
      }
      this.cache.set(session.principal, session.principalKey, session.connection, facts.fingerprint, decision, epoch);
    }
    switch (decision.effect) {
      case 'allow':
      case 'mask':
        return { kind: 'forward', decision, cached };
      case 'deny':
        return { kind: 'deny', decision, cached };
      case 'review':
        return { kind: 'review', decision, cached };
    }
  }
}

/** The message a refused client sees: the effect, the reason (which names the rules), the approval. */
export function refusalMessage(verdict: Exclude<RequestVerdict, { kind: 'forward' }>): string {
  switch (verdict.kind) {
    case 'deny':
      return verdict.message ?? `denied by policy: ${verdict.decision.reason}`;
    case 'review':
      return `requires approval: ${verdict.decision.reason}${verdict.decision.approvalId ? ` (approval ${verdict.decision.approvalId})` : ''}`;
    case 'unavailable':
      return verdict.message;
  }
}

/** The `command.decided` event payload. */
export function decidedEvent(verdict: RequestVerdict): Record<string, unknown> {
  if (verdict.kind === 'unavailable') return { effect: 'refused', ruleIds: [], reason: verdict.message, policyVersion: '', cached: false };
  return {
    effect: verdict.decision.effect,
    ruleIds: verdict.decision.ruleIds,
    reason: verdict.decision.reason,
    policyVersion: verdict.decision.policyVersion,
    cached: verdict.cached,
    ...(verdict.decision.approvalId ? { approvalId: verdict.decision.approvalId } : {}),
  };
}
