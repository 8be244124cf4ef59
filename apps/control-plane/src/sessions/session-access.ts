import { Injectable } from '@nestjs/common';
import type { ConnectionView } from '../connections/connections.service.js';
import type { VerifiedPrincipal } from '../identity/verified-principal.js';

export interface SessionAccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

/**
 * Whether a principal may open a session on a connection (`session.open`). Policy decides this
 * once it is in place; until then every verified, unrevoked principal may.
 */
@Injectable()
export class SessionAccess {
  decide(_principal: VerifiedPrincipal, _connection: ConnectionView): Promise<SessionAccessDecision> {
    return Promise.resolve({ allowed: true, reason: 'allowed' });
  }
}
