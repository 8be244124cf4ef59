import { Injectable } from '@nestjs/common';
import type { ConnectionView } from '../connections/connections.service.js';
import type { VerifiedPrincipal } from '../identity/verified-principal.js';
import { policyConnection, policyPrincipal } from '../policies/policy-input.mapper.js';
import { PolicyService } from '../policies/policy.service.js';
import { snapshotOf } from './session-snapshot.js';

export interface SessionAccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Whether a principal may open a session on a connection: policy decides `session.open`. */
@Injectable()
export class SessionAccess {
  constructor(private readonly policy: PolicyService) {}

  decide(principal: VerifiedPrincipal, connection: ConnectionView): Promise<SessionAccessDecision> {
    const decision = this.policy.evaluate({
      principal: policyPrincipal(snapshotOf(principal)),
      connection: policyConnection(connection),
      command: { classes: ['session.open'] },
      now: new Date(),
    });
    // Masking does not apply to opening a session: it is allowed, and masking applies per command.
    const allowed = decision.effect === 'allow' || decision.effect === 'mask';
    return Promise.resolve({ allowed, reason: allowed ? 'allowed' : `not allowed to use ${connection.name}: ${decision.reason}` });
  }
}
