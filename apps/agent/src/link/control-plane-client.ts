import type { ControlResponse__Output, Decision__Output } from '@sluice/contract';
import { parseMaskPlan } from '@sluice/masking';
import type { ControlPlaneLink } from './control-plane-link.js';
import type { AgentDecision, CommandFacts, Effect, OpenSessionResult } from './link-types.js';

/** Thrown when the control plane answered, but not with what the request needs. Fail closed. */
export class ControlPlaneRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneRefusal';
  }
}

const EFFECTS: ReadonlySet<string> = new Set<Effect>(['allow', 'deny', 'review', 'mask']);

/**
 * The requests the agent makes of the control plane, in the agent's terms. Every call has a
 * deadline; a missing or malformed answer rejects, and the caller refuses what waited on it.
 */
export class ControlPlaneClient {
  constructor(
    private readonly link: ControlPlaneLink,
    private readonly timeouts: { readonly openSessionMs: number; readonly decisionMs: number },
  ) {}

  async openSession(request: {
    connection: string;
    token: string;
    clientAddress: string;
    clientApplication: string;
    clientUser: string;
  }): Promise<OpenSessionResult> {
    const response = await this.link.request({ openSession: request }, this.timeouts.openSessionMs);
    switch (response.result) {
      case 'sessionOpened': {
        const opened = response.sessionOpened;
        const principal = opened?.principal;
        if (!opened?.sessionId || !principal) throw new ControlPlaneRefusal('malformed session_opened');
        return {
          opened: true,
          sessionId: opened.sessionId,
          tokenExpiresAt: new Date(opened.tokenExpiresAtUnixMs),
          principal: {
            id: principal.id,
            kind: principal.kind,
            displayName: principal.displayName,
            groups: principal.groups,
            roles: principal.roles,
            scopes: principal.scopes,
            appId: principal.appId,
            groupOverage: principal.groupOverage,
          },
        };
      }
      case 'sessionRefused':
        return {
          opened: false,
          code: response.sessionRefused?.code ?? 'not_allowed',
          message: response.sessionRefused?.message ?? 'refused',
        };
      default:
        throw unexpected(response);
    }
  }

  async closeSession(sessionId: string, reason: string): Promise<void> {
    const response = await this.link.request({ closeSession: { sessionId, reason } }, this.timeouts.openSessionMs);
    if (response.result !== 'sessionClosed') throw unexpected(response);
  }

  async decide(sessionId: string, command: CommandFacts): Promise<AgentDecision> {
    const response = await this.link.request(
      {
        decide: {
          sessionId,
          command: {
            classes: [...command.classes],
            tables: [...command.tables],
            tablesWritten: [...command.tablesWritten],
            functions: [...command.functions],
            hasWhere: command.hasWhere === null ? '' : command.hasWhere ? 'yes' : 'no',
            text: command.text,
            fingerprint: command.fingerprint,
            ...(command.http ? { http: { ...command.http, query: { ...command.http.query } } } : {}),
            ...(command.kubernetes ? { kubernetes: { ...command.kubernetes } } : {}),
          },
        },
      },
      this.timeouts.decisionMs,
    );
    if (response.result !== 'decision' || !response.decision) throw unexpected(response);
    return toDecision(response.decision);
  }
}

function toDecision(d: Decision__Output): AgentDecision {
  if (!EFFECTS.has(d.effect)) throw new ControlPlaneRefusal(`unknown effect '${d.effect}'`);
  const effect = d.effect as Effect;
  let maskPlan;
  if (effect === 'mask') {
    try {
      maskPlan = parseMaskPlan(JSON.parse(d.maskPlanJson) as unknown);
    } catch {
      throw new ControlPlaneRefusal('mask decision with an unreadable mask plan');
    }
  }
  return {
    effect,
    ruleIds: d.ruleIds,
    reason: d.reason,
    maskPlan,
    cacheable: d.cacheable && effect !== 'review',
    policyVersion: d.policyVersion,
    approvalId: d.approvalId,
    reviewDeadline: d.reviewDeadlineUnixMs > 0 ? new Date(d.reviewDeadlineUnixMs) : undefined,
  };
}

function unexpected(response: ControlResponse__Output): ControlPlaneRefusal {
  if (response.result === 'error') return new ControlPlaneRefusal(response.error?.message ?? 'control plane error');
  return new ControlPlaneRefusal(`unexpected answer '${response.result ?? 'none'}'`);
}
