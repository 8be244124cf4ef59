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
import {
  auditEventPage,
  searchSessions,
  sessionDetail,
  type AuditCursor,
  type AuditEventRow,
  type AuditRange,
  type SessionDetailView,
  type SessionSearch,
  type SessionSearchPage,
} from './session-queries.js';
import { snapshotOf } from './session-snapshot.js';
import { SessionEntity, type SessionPrincipalSnapshot } from './session.entity.js';

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

export interface ActiveSession {
  readonly sessionId: string;
  readonly agentId: string;
  readonly connection: string;
  readonly principal: SessionPrincipalSnapshot;
  readonly loadedAt: number;
  /** Epoch ms: no decision for the session after this. */
  readonly tokenExpiresAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Decisions re-read the session (and revocation) at least this often. */
const ACTIVE_SESSION_TTL_MS = 2_000;
const ACTIVE_SESSION_CACHE = 10_000;
/** A session is reaped this long after its token expired (its agent would have ended it at expiry). */
const REAP_GRACE_SECONDS = 300;

/** Sessions: a client connection through an agent, tied to a verified principal. Owns `sessions` and `session_events`. */
@Injectable()
export class SessionsService {
  private readonly active = new Map<string, ActiveSession>();

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly identity: IdentityService,
    private readonly principals: PrincipalsService,
    private readonly connections: ConnectionsService,
    private readonly access: SessionAccess,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /**
   * Closes sessions whose agent never reported their end (it crashed, or lost its state) once their
   * token has been expired for a while: no agent keeps a session past its token. Their recordings
   * stay as they are — without a `session.closed` event, so verify still reports them incomplete.
   */
  async reapUnreported(): Promise<number> {
    const rows = await this.sessions.query<{ id: string }[]>(
      `WITH reaped AS (
         UPDATE sessions SET closed_at = now(), close_reason = 'unreported: the token expired and the agent never reported the end'
          WHERE closed_at IS NULL AND token_expires_at < now() - make_interval(secs => $1)
          RETURNING id)
       SELECT id FROM reaped`,
      [REAP_GRACE_SECONDS],
    );
    if (rows.length > 0) this.logger.info({ sessions: rows.length }, 'sessions closed whose agent never reported their end');
    return rows.length;
  }

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
      principal: snapshotOf(principal),
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

  /**
   * The open session an agent is asking about, with the principal as it was when the session opened
   * and its current revocation state. Undefined when the session is unknown, closed, or not this
   * agent's — the caller then refuses.
   */
  async activeSession(sessionId: string, agentId: string): Promise<ActiveSession | undefined> {
    const cached = this.active.get(sessionId);
    if (cached && cached.agentId === agentId && Date.now() - cached.loadedAt < ACTIVE_SESSION_TTL_MS && cached.tokenExpiresAt > Date.now())
      return cached;
    if (!UUID.test(sessionId)) return undefined;
    // A session whose token expired decides nothing more, whatever its agent says (it should have ended it).
    const rows = await this.sessions.query<{ principal: SessionPrincipalSnapshot; connection: string; revoked: boolean; expires: Date }[]>(
      `SELECT s.principal, s.connection, p.revoked_at IS NOT NULL AS revoked, s.token_expires_at AS expires
         FROM sessions s JOIN principals p ON p.id = s.principal_id
        WHERE s.id = $1 AND s.agent_id = $2 AND s.closed_at IS NULL AND s.token_expires_at > now()`,
      [sessionId, agentId],
    );
    const row = rows[0];
    if (!row || row.revoked) {
      this.active.delete(sessionId);
      return undefined;
    }
    const session: ActiveSession = {
      sessionId,
      agentId,
      connection: row.connection,
      principal: row.principal,
      loadedAt: Date.now(),
      tokenExpiresAt: row.expires.getTime(),
    };
    this.active.set(sessionId, session);
    if (this.active.size > ACTIVE_SESSION_CACHE) this.active.delete(this.active.keys().next().value ?? '');
    return session;
  }

  /** Forget cached sessions of a principal (called when it is revoked). */
  forgetPrincipal(principalId: string): void {
    for (const [id, session] of this.active) if (session.principal.id === principalId) this.active.delete(id);
  }

  /** Closes a session; an agent may only close sessions it opened. */
  async close(sessionId: string, reason: string, agentId?: string): Promise<void> {
    const where = agentId === undefined ? { id: sessionId, closedAt: IsNull() } : { id: sessionId, agentId, closedAt: IsNull() };
    await this.sessions.update(where, { closedAt: new Date(), closeReason: reason.slice(0, 64) });
    this.active.delete(sessionId);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.sessions.countBy({ id })) > 0;
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

  // ── read-only auditor queries (docs/audit.md); the SQL lives in session-queries.ts ─────────────

  /** Sessions matching the filter, newest first, one keyset page at a time. */
  search(filter: SessionSearch): Promise<SessionSearchPage> {
    return searchSessions(this.sessions.manager, filter);
  }

  /** One session with the principal snapshot it was opened with. */
  detail(id: string): Promise<SessionDetailView | undefined> {
    return sessionDetail(this.sessions.manager, id);
  }

  /** One page of recorded events for the audit export, with their session's context. */
  auditEvents(range: AuditRange, after: AuditCursor | undefined, limit: number): Promise<AuditEventRow[]> {
    return auditEventPage(this.sessions.manager, range, after, limit);
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
