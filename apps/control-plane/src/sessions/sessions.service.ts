import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { OpenSessionRequest__Output, Principal, SessionRefused } from '@sluice/contract';
import { IsNull, type Repository } from 'typeorm';
import { ConnectionsService } from '../connections/connections.service.js';
import { IdentityService } from '../identity/identity.service.js';
import { PrincipalsService } from '../identity/principals.service.js';
import type { VerifiedPrincipal } from '../identity/verified-principal.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { SessionAccess } from './session-access.js';
import { SessionEntity } from './session.entity.js';

export type OpenSessionOutcome =
  | { readonly opened: true; readonly sessionId: string; readonly principal: VerifiedPrincipal }
  | { readonly opened: false; readonly refusal: SessionRefused };

export interface SessionView {
  readonly id: string;
  readonly principalId: string;
  readonly connection: string;
  readonly agentId: string;
  readonly clientAddress: string;
  readonly clientApplication: string | null;
  readonly openedAt: Date;
  readonly closedAt: Date | null;
  readonly closeReason: string | null;
}

/** Sessions: a client connection through an agent, tied to a verified principal. Owns `sessions`. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly identity: IdentityService,
    private readonly principals: PrincipalsService,
    private readonly connections: ConnectionsService,
    private readonly access: SessionAccess,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Verify the client's token, check it may use the connection, and record the session. */
  async open(agentId: string, request: OpenSessionRequest__Output): Promise<OpenSessionOutcome> {
    const checked = await this.identity.verify(request.token);
    if (!checked.ok) {
      this.logger.info({ agentId, connection: request.connection, code: checked.code }, 'session refused: token not accepted');
      return refused('invalid_token', checked.message, checked.code);
    }
    const principal = checked.principal;
    const record = await this.principals.recordSeen(principal);
    if (record.revokedAt) return refused('revoked', 'this principal has been revoked', 'revoked');

    const connection = await this.connections.get(request.connection);
    if (connection?.agentId !== agentId) {
      return refused('unknown_connection', `connection '${request.connection}' is not served by this agent`, 'unknown-connection');
    }
    const decision = await this.access.decide(principal, connection);
    if (!decision.allowed) return refused('not_allowed', decision.reason, 'policy');

    const id = randomUUID();
    await this.sessions.insert({
      id,
      principalId: principal.id,
      connection: connection.name,
      agentId,
      clientAddress: request.clientAddress.slice(0, 255),
      clientApplication: request.clientApplication.slice(0, 255) || null,
      clientUser: request.clientUser.slice(0, 255) || null,
      tokenExpiresAt: principal.expiresAt,
      openedAt: new Date(),
      closedAt: null,
      closeReason: null,
    });
    // A revocation that landed between the check above and the insert has already been pushed to
    // agents, before this session existed: re-check now that it does, or it would survive.
    if (await this.principals.isRevoked(principal.id)) {
      await this.close(id, 'revoked');
      return refused('revoked', 'this principal has been revoked', 'revoked');
    }
    this.logger.info({ sessionId: id, principalId: principal.id, connection: connection.name, agentId }, 'session opened');
    return { opened: true, sessionId: id, principal };
  }

  /** Closes a session; an agent may only close sessions it opened. */
  async close(sessionId: string, reason: string, agentId?: string): Promise<void> {
    const where = agentId === undefined ? { id: sessionId, closedAt: IsNull() } : { id: sessionId, agentId, closedAt: IsNull() };
    await this.sessions.update(where, { closedAt: new Date(), closeReason: reason.slice(0, 64) });
  }

  async list(limit = 100): Promise<SessionView[]> {
    const rows = await this.sessions.find({ order: { openedAt: 'DESC' }, take: limit });
    return rows.map((row) => ({
      id: row.id,
      principalId: row.principalId,
      connection: row.connection,
      agentId: row.agentId,
      clientAddress: row.clientAddress,
      clientApplication: row.clientApplication,
      openedAt: row.openedAt,
      closedAt: row.closedAt,
      closeReason: row.closeReason,
    }));
  }
}

function refused(code: string, message: string, detailCode: string): OpenSessionOutcome {
  return { opened: false, refusal: { code, message, detailCode } };
}

/** The principal as the agent needs it (no raw claims). */
export function principalForAgent(principal: VerifiedPrincipal): Principal {
  return {
    id: principal.id,
    kind: principal.kind,
    displayName: principal.displayName ?? '',
    subject: principal.subject,
    issuer: principal.issuer,
    tenantId: principal.tenantId ?? '',
    appId: principal.appId ?? '',
    groups: [...principal.groups],
    roles: [...principal.roles],
    scopes: [...principal.scopes],
    groupOverage: principal.groupOverage,
  };
}
