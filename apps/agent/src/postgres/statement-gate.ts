import type { DecisionCache } from '../decisions/decision-cache.js';
import type { LinkState } from '../link/control-plane-link.js';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { AgentDecision, CommandFacts, SessionPrincipal } from '../link/link-types.js';
import { SqlState, type SluiceError } from './pg-errors.js';

export type GateVerdict =
  | { readonly allowed: true; readonly decision: AgentDecision; readonly cached: boolean }
  | { readonly allowed: false; readonly error: SluiceError; readonly decision: AgentDecision | undefined; readonly cached: boolean };

/** Told about every verdict (metrics): the effect, where the decision came from, how long it took. */
export type DecisionObserver = (effect: string, source: 'cache' | 'control-plane' | 'none', seconds: number) => void;

export interface GateContext {
  readonly sessionId: string;
  readonly principal: SessionPrincipal;
  readonly principalKey: string;
  readonly connection: string;
}

/**
 * Asks the control plane what a session may do with a statement (or reuses a decision it marked
 * cacheable) and turns the answer into forward / refuse. Fails closed: no link, no answer in time,
 * an unreadable answer, a full recording queue → refuse with a clear, protocol-native error.
 */
export class StatementGate {
  constructor(
    private readonly controlPlane: ControlPlaneClient,
    private readonly cache: DecisionCache,
    private readonly linkState: () => LinkState,
    private readonly recordingSaturated: () => boolean,
    private readonly observe: DecisionObserver = () => undefined,
  ) {}

  /** Changes whenever cached decisions are invalidated (policy, revocation, grants): decide again then. */
  get epoch(): number {
    return this.cache.epoch;
  }

  async decide(context: GateContext, facts: CommandFacts): Promise<GateVerdict> {
    const started = process.hrtime.bigint();
    const verdict = await this.decideUnobserved(context, facts);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const source = verdict.decision === undefined ? 'none' : verdict.cached ? 'cache' : 'control-plane';
    this.observe(verdict.allowed ? verdict.decision.effect : (verdict.decision?.effect ?? 'refused'), source, seconds);
    return verdict;
  }

  private async decideUnobserved(context: GateContext, facts: CommandFacts): Promise<GateVerdict> {
    if (this.linkState() !== 'ready') {
      // Even a cached decision is not used: without the link, revocations cannot reach us.
      return refuse(
        SqlState.ConnectionFailure,
        'no link to the Sluice control plane: nothing can be decided, so nothing runs',
        undefined,
        false,
      );
    }
    if (this.recordingSaturated()) {
      return refuse(
        SqlState.ConfigurationLimitExceeded,
        'the session recording queue is full: refusing rather than running unrecorded',
        undefined,
        false,
      );
    }
    let decision = this.cache.get(context.principalKey, context.connection, facts.fingerprint);
    const cached = decision !== undefined;
    if (!decision) {
      const epoch = this.cache.epoch;
      try {
        decision = await this.controlPlane.decide(context.sessionId, facts);
      } catch (error) {
        return refuse(
          SqlState.ConnectionFailure,
          `no decision from the control plane (${(error as Error).message}); the statement was not run`,
          undefined,
          false,
        );
      }
      this.cache.set(context.principal, context.principalKey, context.connection, facts.fingerprint, decision, epoch);
    }
    switch (decision.effect) {
      case 'allow':
      case 'mask':
        return { allowed: true, decision, cached };
      case 'deny':
        return refuse(SqlState.InsufficientPrivilege, `denied by policy: ${decision.reason}`, decision, cached, ruleDetail(decision));
      case 'review':
        return refuse(SqlState.InsufficientPrivilege, `requires approval: ${decision.reason}`, decision, cached, ruleDetail(decision));
    }
  }
}

function ruleDetail(decision: AgentDecision): string | undefined {
  return decision.ruleIds.length > 0 ? `rules: ${decision.ruleIds.join(', ')}` : undefined;
}

function refuse(code: SqlState, message: string, decision: AgentDecision | undefined, cached: boolean, detail?: string): GateVerdict {
  return { allowed: false, error: { severity: 'ERROR', code, message, ...(detail !== undefined ? { detail } : {}) }, decision, cached };
}
