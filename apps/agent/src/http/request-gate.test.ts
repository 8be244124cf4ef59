import { describe, expect, it, vi } from 'vitest';
import { ApprovalWaiters } from '../decisions/approval-waiters.js';
import { DecisionCache } from '../decisions/decision-cache.js';
import type { LinkState } from '../link/control-plane-link.js';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { AgentDecision, CommandFacts } from '../link/link-types.js';
import { RequestGate, refusalMessage } from './request-gate.js';
import type { RequestSession } from './request-session-pool.js';

const principal = { id: 'p1', kind: 'workload', displayName: 'A', groups: [], roles: [], scopes: [], appId: '', groupOverage: false };
const session = {
  sessionId: 's1',
  principal,
  principalKey: DecisionCache.principalKey(principal),
  connection: 'api',
} as unknown as RequestSession;
const facts: CommandFacts = {
  classes: ['http.GET'],
  tables: [],
  tablesWritten: [],
  functions: [],
  hasWhere: null,
  text: 'GET /',
  fingerprint: 'http\u0000GET\u0000/',
};

function decision(effect: AgentDecision['effect'], cacheable = true): AgentDecision {
  return {
    effect,
    ruleIds: ['r1'],
    reason: `by r1`,
    maskPlan: undefined,
    cacheable,
    policyVersion: '1',
    approvalId: effect === 'review' ? 'apr-1' : '',
    reviewDeadline: undefined,
  };
}

function gate(decide: () => Promise<AgentDecision>, state: LinkState = 'ready', saturated = false, approvals = new ApprovalWaiters()) {
  const decideMock = vi.fn(decide);
  const controlPlane = { decide: decideMock } as unknown as ControlPlaneClient;
  return {
    gate: new RequestGate(
      controlPlane,
      new DecisionCache(),
      () => state,
      () => saturated,
      approvals,
    ),
    decide: decideMock,
  };
}

const recordingSession = (events: string[]) =>
  Object.assign(Object.create(null) as object, session, {
    recorder: { record: (kind: string) => events.push(kind) },
  }) as unknown as RequestSession;

describe('RequestGate holds reviews', () => {
  const review = (): AgentDecision => ({ ...decision('review', false), reviewDeadline: new Date(Date.now() + 5_000) });

  it('forwards after approval, asking the control plane again (which consumes the approval)', async () => {
    const approvals = new ApprovalWaiters();
    const answers = [review(), decision('allow', false)];
    const { gate: g, decide } = gate(() => Promise.resolve(answers.shift()!), 'ready', false, approvals);
    const events: string[] = [];
    const pending = g.decideWithHold(recordingSession(events), facts, new AbortController().signal);
    await vi.waitFor(() => expect(approvals.size).toBe(1));
    approvals.resolved('apr-1', { outcome: 'approved', by: 'alice', comment: 'ok' });
    const verdict = await pending;
    expect(verdict.kind).toBe('forward');
    expect(decide).toHaveBeenCalledTimes(2);
    expect(events).toEqual(['approval.requested', 'approval.resolved']);
  });

  it('refuses with the approver comment on denial, and names a timeout', async () => {
    const approvals = new ApprovalWaiters();
    const { gate: g } = gate(() => Promise.resolve(review()), 'ready', false, approvals);
    const denied = g.decideWithHold(recordingSession([]), facts, new AbortController().signal);
    await vi.waitFor(() => expect(approvals.size).toBe(1));
    approvals.resolved('apr-1', { outcome: 'denied', by: 'bob', comment: 'not on prod' });
    const verdict = await denied;
    expect(verdict.kind === 'deny' && refusalMessage(verdict)).toBe('approval apr-1 denied: not on prod');

    const quick = gate(
      () => Promise.resolve({ ...review(), reviewDeadline: new Date(Date.now() + 20) }),
      'ready',
      false,
      new ApprovalWaiters(),
    );
    const timedOut = await quick.gate.decideWithHold(recordingSession([]), facts, new AbortController().signal);
    expect(timedOut.kind === 'deny' && refusalMessage(timedOut)).toMatch(/timed out/);
  });

  it('gives up when the client goes away, without forwarding', async () => {
    const { gate: g } = gate(() => Promise.resolve(review()));
    const controller = new AbortController();
    const pending = g.decideWithHold(recordingSession([]), facts, controller.signal);
    controller.abort();
    const verdict = await pending;
    expect(verdict.kind).toBe('deny');
  });
});

describe('RequestGate', () => {
  it('forwards allow and mask, refuses deny and review (naming the approval)', async () => {
    expect((await gate(() => Promise.resolve(decision('allow'))).gate.decide(session, facts)).kind).toBe('forward');
    expect((await gate(() => Promise.resolve(decision('mask'))).gate.decide(session, facts)).kind).toBe('forward');
    const denied = await gate(() => Promise.resolve(decision('deny'))).gate.decide(session, facts);
    expect(denied.kind).toBe('deny');
    const review = await gate(() => Promise.resolve(decision('review'))).gate.decide(session, facts);
    expect(review.kind === 'review' && refusalMessage(review)).toBe('requires approval: by r1 (approval apr-1)');
  });

  it('reuses cacheable decisions, never review ones', async () => {
    const allow = gate(() => Promise.resolve(decision('allow')));
    await allow.gate.decide(session, facts);
    const second = await allow.gate.decide(session, facts);
    expect(second.kind === 'forward' && second.cached).toBe(true);
    expect(allow.decide).toHaveBeenCalledTimes(1);
    const review = gate(() => Promise.resolve(decision('review', true)));
    await review.gate.decide(session, facts);
    await review.gate.decide(session, facts);
    expect(review.decide).toHaveBeenCalledTimes(2);
  });

  it('fails closed without a link (even with a cached decision), without an answer, or with a full recording queue', async () => {
    expect(await gate(() => Promise.resolve(decision('allow')), 'backoff').gate.decide(session, facts)).toMatchObject({
      kind: 'unavailable',
      reason: 'no-link',
    });
    expect(await gate(() => Promise.reject(new Error('deadline exceeded'))).gate.decide(session, facts)).toMatchObject({
      kind: 'unavailable',
      reason: 'no-decision',
    });
    expect(await gate(() => Promise.resolve(decision('allow')), 'ready', true).gate.decide(session, facts)).toMatchObject({
      kind: 'unavailable',
      reason: 'recording-saturated',
    });
  });
});
