// Read-only auditor queries over `sessions` and `session_events` (docs/audit.md). SessionsService
// exposes them to other modules (the audit export); the SQL lives here to keep that service small.
import type { EntityManager } from 'typeorm';
import type { SessionPrincipalSnapshot } from './session.entity.js';

export const DECISION_EFFECTS = ['allow', 'mask', 'deny', 'review', 'refused'] as const;
export type DecisionEffect = (typeof DECISION_EFFECTS)[number];

/** Keyset position in the newest-first session list: opened_at in epoch microseconds, then id. */
export interface SessionCursor {
  readonly openedAtMicros: string;
  readonly id: string;
}

export interface SessionSearch {
  readonly principalId?: string;
  readonly connection?: string;
  /** Sessions still open at or after this instant (closed_at >= from, or open). */
  readonly from?: Date;
  /** Sessions opened before this instant. */
  readonly to?: Date;
  /** Sessions with at least one decision of this effect. */
  readonly effect?: DecisionEffect;
  readonly limit: number;
  readonly after?: SessionCursor;
}

export interface SessionListItem {
  readonly id: string;
  readonly principalId: string;
  readonly principalName: string | null;
  readonly connection: string;
  readonly agentId: string;
  readonly clientAddress: string;
  readonly clientApplication: string | null;
  readonly openedAt: Date;
  readonly closedAt: Date | null;
  readonly closeReason: string | null;
}

export interface SessionSearchPage {
  readonly items: SessionListItem[];
  readonly next: SessionCursor | undefined;
}

export interface SessionDetailView extends SessionListItem {
  readonly clientUser: string | null;
  readonly tokenExpiresAt: Date;
  readonly principal: SessionPrincipalSnapshot;
}

/** Half-open range [from, to) over the events' occurred_at. */
export interface AuditRange {
  readonly from: Date;
  readonly to: Date;
}

/** Keyset position in the export: occurred_at as PostgreSQL printed it (exact), session, seq. */
export interface AuditCursor {
  readonly occurredAt: string;
  readonly sessionId: string;
  readonly seq: number;
}

export interface AuditSessionContext {
  readonly principal: SessionPrincipalSnapshot;
  readonly connection: string;
  readonly agentId: string;
  readonly clientAddress: string;
  readonly clientApplication: string | null;
  readonly clientUser: string | null;
  /** From the session's opening event (`postgres`, `mysql`, …), when recorded. */
  readonly protocol: string | null;
}

export interface AuditEventRow {
  readonly sessionId: string;
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  readonly payload: Record<string, unknown>;
  readonly hash: string | null;
  readonly prevHash: string | null;
  readonly session: AuditSessionContext;
  /**
   * For `command.decided`: the `command.received` it decides (agents record it just before); for
   * `command.completed`: the latest `command.received` with the same text among the 64 events
   * before it. Null otherwise, or when not found. Bounded lookups keep every export page cheap.
   */
  readonly command: Record<string, unknown> | null;
  readonly cursor: AuditCursor;
}

/** How far back a completion looks for its statement (a message of up to 32 statements). */
const COMPLETION_LOOKBACK = 64;

interface SessionRow {
  id: string;
  principal_id: string;
  principal_name: string | null;
  connection: string;
  agent_id: string;
  client_address: string;
  client_application: string | null;
  opened_at: Date;
  closed_at: Date | null;
  close_reason: string | null;
  opened_us: string;
}

const SESSION_COLUMNS = `s.id, s.principal_id, s.principal->>'displayName' AS principal_name, s.connection, s.agent_id, s.client_address,
  s.client_application, s.opened_at, s.closed_at, s.close_reason, (EXTRACT(EPOCH FROM s.opened_at) * 1000000)::bigint::text AS opened_us`;

export async function searchSessions(db: EntityManager, search: SessionSearch): Promise<SessionSearchPage> {
  const rows = await db.query<SessionRow[]>(
    `SELECT ${SESSION_COLUMNS}
       FROM sessions s
      WHERE ($1::text IS NULL OR s.principal_id = $1)
        AND ($2::text IS NULL OR s.connection = $2)
        AND ($3::timestamptz IS NULL OR s.closed_at IS NULL OR s.closed_at >= $3)
        AND ($4::timestamptz IS NULL OR s.opened_at < $4)
        AND ($5::text IS NULL OR EXISTS (
              SELECT 1 FROM session_events e
               WHERE e.kind = 'command.decided' AND e.payload->>'effect' = $5 AND e.session_id = s.id))
        AND ($6::bigint IS NULL OR (s.opened_at, s.id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
      ORDER BY s.opened_at DESC, s.id DESC
      LIMIT $8`,
    [
      search.principalId ?? null,
      search.connection ?? null,
      search.from?.toISOString() ?? null,
      search.to?.toISOString() ?? null,
      search.effect ?? null,
      search.after?.openedAtMicros ?? null,
      search.after?.id ?? null,
      search.limit + 1,
    ],
  );
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map(listItem),
    next: rows.length > search.limit && last ? { openedAtMicros: last.opened_us, id: last.id } : undefined,
  };
}

export async function sessionDetail(db: EntityManager, id: string): Promise<SessionDetailView | undefined> {
  const rows = await db.query<(SessionRow & { client_user: string | null; token_expires_at: Date; principal: SessionPrincipalSnapshot })[]>(
    `SELECT ${SESSION_COLUMNS}, s.client_user, s.token_expires_at, s.principal FROM sessions s WHERE s.id = $1`,
    [id],
  );
  const row = rows[0];
  return row && { ...listItem(row), clientUser: row.client_user, tokenExpiresAt: row.token_expires_at, principal: row.principal };
}

/** One page of the export, in (occurred_at, session, seq) order, strictly after `after`. */
export async function auditEventPage(
  db: EntityManager,
  range: AuditRange,
  after: AuditCursor | undefined,
  limit: number,
): Promise<AuditEventRow[]> {
  const rows = await db.query<
    {
      session_id: string;
      seq: string;
      kind: string;
      occurred_at: Date;
      occurred_key: string;
      payload: Record<string, unknown>;
      hash: string | null;
      prev_hash: string | null;
      principal: SessionPrincipalSnapshot;
      connection: string;
      agent_id: string;
      client_address: string;
      client_application: string | null;
      client_user: string | null;
      protocol: string | null;
      command: Record<string, unknown> | null;
    }[]
  >(
    `SELECT e.session_id, e.seq, e.kind, e.occurred_at, e.occurred_at::text AS occurred_key, e.payload,
            encode(e.hash, 'hex') AS hash, encode(e.prev_hash, 'hex') AS prev_hash,
            s.principal, s.connection, s.agent_id, s.client_address, s.client_application, s.client_user,
            (SELECT o.payload->>'protocol' FROM session_events o WHERE o.session_id = e.session_id AND o.seq = 1) AS protocol,
            CASE e.kind
              WHEN 'command.decided' THEN (
                SELECT r.payload FROM session_events r
                 WHERE r.session_id = e.session_id AND r.seq = e.seq - 1 AND r.kind = 'command.received')
              WHEN 'command.completed' THEN (
                SELECT r.payload FROM session_events r
                 WHERE r.session_id = e.session_id AND r.seq < e.seq AND r.seq >= e.seq - ${COMPLETION_LOOKBACK}
                   AND r.kind = 'command.received' AND r.payload->'text' = e.payload->'text'
                 ORDER BY r.seq DESC LIMIT 1) END AS command
       FROM session_events e JOIN sessions s ON s.id = e.session_id
      WHERE e.occurred_at < $2 AND ${
        // Two shapes rather than `$3 IS NULL OR …`, so the planner can walk the export index.
        after
          ? `(e.occurred_at, e.session_id, e.seq) > ($4::timestamptz, $5::uuid, $6::bigint) AND e.occurred_at >= $1`
          : `e.occurred_at >= $1`
      }
      ORDER BY e.occurred_at, e.session_id, e.seq
      LIMIT $3`,
    [range.from.toISOString(), range.to.toISOString(), limit, ...(after ? [after.occurredAt, after.sessionId, after.seq] : [])],
  );
  return rows.map((row) => ({
    sessionId: row.session_id,
    seq: Number(row.seq),
    kind: row.kind,
    occurredAt: row.occurred_at,
    payload: row.payload,
    hash: row.hash,
    prevHash: row.prev_hash,
    session: {
      principal: row.principal,
      connection: row.connection,
      agentId: row.agent_id,
      clientAddress: row.client_address,
      clientApplication: row.client_application,
      clientUser: row.client_user,
      protocol: row.protocol,
    },
    command: row.command,
    cursor: { occurredAt: row.occurred_key, sessionId: row.session_id, seq: Number(row.seq) },
  }));
}

function listItem(row: SessionRow): SessionListItem {
  return {
    id: row.id,
    principalId: row.principal_id,
    principalName: row.principal_name,
    connection: row.connection,
    agentId: row.agent_id,
    clientAddress: row.client_address,
    clientApplication: row.client_application,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    closeReason: row.close_reason,
  };
}
