import { Inject, Injectable } from '@nestjs/common';
import type { Decision, DecisionRequest__Output } from '@sluice/contract';
import type { Decision as PolicyDecision } from '@sluice/policy';
import { ConnectionsService } from '../connections/connections.service.js';
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
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async decide(agentId: string, request: DecisionRequest__Output): Promise<Decision> {
    const session = await this.sessions.activeSession(request.sessionId, agentId);
    if (!session) return refusal('the session is closed, revoked or unknown');
    const connection = await this.connections.get(session.connection);
    if (!connection) return refusal(`connection ${session.connection} is no longer registered`);
    const decision = this.policy.evaluate({
      principal: policyPrincipal(session.principal),
      connection: policyConnection(connection),
      command: policyCommand(request.command),
      now: new Date(),
    });
    this.logger.debug({ sessionId: session.sessionId, effect: decision.effect, ruleIds: decision.ruleIds }, 'decision');
    return toWire(decision);
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
