import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { SessionEvent__Output } from '@sluice/contract';
import type { EntityManager, Repository } from 'typeorm';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import {
  ChainVerifier,
  TERMINAL_KINDS,
  eventHash,
  eventHashOfJson,
  storablePayloadJson,
  type ChainHeadRecord,
  type ChainVerification,
  type SessionFacts,
} from './event-hash-chain.js';
import { SessionEventEntity } from './session-event.entity.js';
import { ReplayBuilder, type ReplaySessionEvent, type ReplayStatement } from './session-replay.js';

export interface SessionEventView {
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  readonly payload: Record<string, unknown>;
  /** Hex SHA-256 chaining this event to the one before (null while it waits for a missing predecessor). */
  readonly prevHash: string | null;
  readonly hash: string | null;
}

export interface SessionEventCounts {
  readonly events: number;
  readonly statements: number;
  /** Decisions by effect (`allow`, `mask`, `deny`, `review`, `refused`). */
  readonly decisions: Record<string, number>;
  readonly firstEventAt: Date | null;
  readonly lastEventAt: Date | null;
}

export interface ReplayPage {
  readonly statements: ReplayStatement[];
  readonly events: ReplaySessionEvent[];
  /** Pass as `afterSeq` for the next page; null on the last one. */
  readonly nextAfterSeq: number | null;
}

interface PreparedEvent {
  readonly sessionId: string;
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  /**
   * Canonical JSON of the sanitised payload (storablePayloadJson): stored as is, and hashed as is,
   * so jsonb reads back the very value the chain covers.
   */
  readonly payloadJson: string;
  /** Set for an `event.malformed` standing in for what the agent sent: why (logged, not stored as such). */
  readonly problem?: string;
}

/** Sessions known to belong to an agent (they never change agent); bounded, oldest forgotten first. */
const MAX_KNOWN_OWNERS = 10_000;

interface EventRow {
  seq: string;
  kind: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
}

type EventRef = { sessionId: string; seq: number };

interface IngestQueue {
  readonly waiting: { readonly events: readonly SessionEvent__Output[]; readonly resolve: (acked: EventRef[]) => void }[];
  storing: boolean;
}

/** Batches waiting behind a transaction are stored together, up to this many events (at least one batch). */
const MAX_EVENTS_PER_TRANSACTION = 2_000;

const MAX_PAYLOAD_BYTES = 256 * 1024;
const KIND = /^[a-z][a-z.-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** PostgreSQL timestamptz range, well inside; anything outside is an agent bug, not a time. */
const MIN_OCCURRED_AT_MS = Date.UTC(1970, 0, 1);
const MAX_OCCURRED_AT_MS = Date.UTC(9999, 0, 1);
const PAGE = 1_000;
const SELECT_EVENT = `SELECT seq, kind, occurred_at, payload, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash FROM session_events`;

/**
 * Stores the events agents stream, idempotently by (session, seq), and chains each to the one
 * before it as it is stored (docs/audit.md "Hash chain"). Verifies and replays recorded sessions.
 */
@Injectable()
export class SessionEventsService {
  /** Per agent: batches waiting to be stored (the link does not wait), stored one transaction at a time. */
  private readonly queues = new Map<string, IngestQueue>();
  /** sessionId → agentId of sessions whose ownership (and chain row) this replica has seen. */
  private readonly owners = new Map<string, string>();

  constructor(
    @InjectRepository(SessionEventEntity) private readonly events: Repository<SessionEventEntity>,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /**
   * Inserts a batch from an agent; returns the events that are now stored (inserted now or before),
   * which the agent may forget. Events for sessions that are not this agent's are not stored and not
   * acknowledged. An event that cannot be placed (no valid session id or seq) is logged and
   * acknowledged (resending it cannot help); one with a valid place but a bad kind, time or payload
   * is stored as `event.malformed`, so the log keeps no hole where it was.
   *
   * An agent's batches are stored one transaction at a time, in order; batches that arrive while one
   * is being stored wait and then go together, in one transaction (up to MAX_EVENTS_PER_TRANSACTION
   * events): the busier the agent, the fewer transactions per event.
   */
  ingest(agentId: string, batch: readonly SessionEvent__Output[]): Promise<EventRef[]> {
    return new Promise((resolve) => {
      const queue = this.queues.get(agentId) ?? { waiting: [], storing: false };
      this.queues.set(agentId, queue);
      queue.waiting.push({ events: batch, resolve });
      if (!queue.storing) void this.storeQueued(agentId, queue);
    });
  }

  private async storeQueued(agentId: string, queue: IngestQueue): Promise<void> {
    queue.storing = true;
    try {
      while (queue.waiting.length > 0) {
        const batches = queue.waiting.splice(0, batchesFitting(queue.waiting));
        let acks: EventRef[][] = [];
        try {
          acks = await this.storeBatches(
            agentId,
            batches.map((waiting) => waiting.events),
          );
        } catch (error) {
          // A bug, not the database (storeBatches handles that): nothing acknowledged, the agent resends them.
          this.logger.error({ err: error, agentId }, 'internal error while storing session events');
        }
        batches.forEach((waiting, i) => waiting.resolve(acks[i] ?? []));
      }
    } finally {
      queue.storing = false;
      if (queue.waiting.length === 0 && this.queues.get(agentId) === queue) this.queues.delete(agentId);
    }
  }

  /** Stores several batches of one agent in one transaction; the acknowledgements of each batch, in order. */
  private async storeBatches(agentId: string, batches: readonly (readonly SessionEvent__Output[])[]): Promise<EventRef[][]> {
    const acked: EventRef[][] = batches.map(() => []);
    const refs = batches.map(() => new Map<string, EventRef[]>());
    const bySession = new Map<string, { prepared: PreparedEvent[]; seqs: Set<number> }>();
    const receivedAt = new Date();
    const unplaceable: { seq: number; kind: string }[] = [];
    batches.forEach((batch, b) => {
      for (const event of batch) {
        if (!UUID.test(event.sessionId) || !Number.isSafeInteger(event.seq) || event.seq < 1) {
          unplaceable.push({ seq: event.seq, kind: event.kind.slice(0, 64) });
          acked[b]?.push({ sessionId: event.sessionId, seq: event.seq });
          continue;
        }
        const sessionId = event.sessionId.toLowerCase();
        const group = bySession.get(sessionId) ?? { prepared: [], seqs: new Set<number>() };
        bySession.set(sessionId, group);
        // The same event twice (a resend racing the original) is stored once.
        if (!group.seqs.has(event.seq)) {
          group.seqs.add(event.seq);
          group.prepared.push(this.prepare(sessionId, event, receivedAt));
        }
        const batchRefs = refs[b];
        const sessionRefs = batchRefs?.get(sessionId) ?? [];
        if (sessionRefs.length === 0) batchRefs?.set(sessionId, sessionRefs);
        sessionRefs.push({ sessionId: event.sessionId, seq: event.seq });
      }
    });
    // One line per transaction, not per event: a hostile agent must not be able to flood the logs.
    if (unplaceable.length > 0) {
      this.logger.error(
        { agentId, count: unplaceable.length, first: unplaceable[0] },
        'session events without a valid session id or seq dropped',
      );
    }
    for (const [sessionId, group] of bySession) {
      const bad = group.prepared.filter((event) => event.problem !== undefined);
      if (bad.length === 0) continue;
      this.logger.error(
        {
          agentId,
          sessionId,
          count: bad.length,
          firstSeq: bad[0]?.seq,
          problems: [...new Set(bad.map((event) => event.problem))].slice(0, 5),
        },
        'malformed session events recorded as such',
      );
    }
    let stored: ReadonlySet<string>;
    try {
      stored = await this.storeBatch(agentId, bySession);
    } catch (error) {
      // Not acknowledged: the agent resends them.
      const count = batches.reduce((n, batch) => n + batch.length, 0);
      this.logger.error({ err: error, agentId, count }, 'could not store session events');
      return acked;
    }
    let notOwned = 0;
    refs.forEach((batchRefs, b) => {
      for (const [sessionId, sessionRefs] of batchRefs) {
        if (stored.has(sessionId)) acked[b]?.push(...sessionRefs);
        else notOwned += sessionRefs.length;
      }
    });
    if (notOwned > 0) this.logger.warn({ agentId, dropped: notOwned }, 'events for sessions not owned by this agent were not stored');
    return acked;
  }

  /** Every event of a session, in order. */
  async list(sessionId: string): Promise<SessionEventView[]> {
    const views: SessionEventView[] = [];
    for await (const row of this.rows(this.events.manager, sessionId, 0)) views.push(view(row));
    return views;
  }

  /** Recomputes the session's chain from the stored rows and judges it against the head recorded at ingestion. */
  async verify(sessionId: string, session: SessionFacts): Promise<ChainVerification> {
    const verifier = new ChainVerifier(sessionId, session);
    for await (const row of this.rows(this.events.manager, sessionId, 0)) {
      if (!verifier.push({ ...view(row), sessionId })) break;
    }
    const [heads, counts] = await Promise.all([
      this.events.query<{ chained_seq: string; head_hash: string; stored_count: string }[]>(
        `SELECT chained_seq, encode(head_hash, 'hex') AS head_hash, stored_count FROM session_event_chains WHERE session_id = $1`,
        [sessionId],
      ),
      this.events.query<{ n: string }[]>(`SELECT count(*) AS n FROM session_events WHERE session_id = $1`, [sessionId]),
    ]);
    const head = heads[0];
    const record: ChainHeadRecord | undefined = head && {
      chainedSeq: Number(head.chained_seq),
      headHash: head.head_hash,
      storedCount: Number(head.stored_count),
    };
    return verifier.result(record, Number(counts[0]?.n ?? 0));
  }

  async counts(sessionId: string): Promise<SessionEventCounts> {
    const [totals, effects] = await Promise.all([
      this.events.query<{ events: string; statements: string; first_at: Date | null; last_at: Date | null }[]>(
        `SELECT count(*) AS events, count(*) FILTER (WHERE kind = 'command.received') AS statements,
                min(occurred_at) AS first_at, max(occurred_at) AS last_at
           FROM session_events WHERE session_id = $1`,
        [sessionId],
      ),
      this.events.query<{ effect: string | null; n: string }[]>(
        `SELECT payload->>'effect' AS effect, count(*) AS n FROM session_events
          WHERE session_id = $1 AND kind = 'command.decided' GROUP BY 1 ORDER BY 1`,
        [sessionId],
      ),
    ]);
    const total = totals[0];
    return {
      events: Number(total?.events ?? 0),
      statements: Number(total?.statements ?? 0),
      decisions: Object.fromEntries(effects.map((e) => [e.effect ?? 'unknown', Number(e.n)])),
      firstEventAt: total?.first_at ?? null,
      lastEventAt: total?.last_at ?? null,
    };
  }

  /**
   * Statements after `afterSeq`, at most `limit` of them (a page never splits a statement from its
   * decision, approvals or completion: it ends just before a `command.received`).
   */
  async replay(sessionId: string, afterSeq: number, limit: number): Promise<ReplayPage> {
    const builder = new ReplayBuilder();
    for await (const row of this.rows(this.events.manager, sessionId, afterSeq)) {
      if (row.kind === 'command.received' && builder.statements.length >= limit) {
        return { statements: builder.statements, events: builder.events, nextAfterSeq: Number(row.seq) - 1 };
      }
      builder.add(view(row));
    }
    return { statements: builder.statements, events: builder.events, nextAfterSeq: null };
  }

  // ── ingestion ────────────────────────────────────────────────────────────────────────────────────

  private prepare(sessionId: string, event: SessionEvent__Output, receivedAt: Date): PreparedEvent {
    const malformed = (problem: string): PreparedEvent => {
      const payload = storablePayloadJson({ problem, kind: event.kind.slice(0, 64) });
      return {
        sessionId,
        seq: event.seq,
        kind: 'event.malformed',
        occurredAt: receivedAt,
        payloadJson: payload.ok ? payload.json : '{}',
        problem,
      };
    };
    if (!KIND.test(event.kind)) return malformed('invalid kind');
    const at = event.occurredAtUnixMs;
    if (!Number.isFinite(at) || at < MIN_OCCURRED_AT_MS || at > MAX_OCCURRED_AT_MS) return malformed('occurred_at out of range');
    if (event.payloadJson.length > MAX_PAYLOAD_BYTES) return malformed(`payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.payloadJson);
    } catch {
      return malformed('payload is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return malformed('payload is not a JSON object');
    const clean = storablePayloadJson(parsed);
    if (!clean.ok) return malformed(clean.problem);
    return { sessionId, seq: event.seq, kind: event.kind, occurredAt: new Date(Math.trunc(at)), payloadJson: clean.json };
  }

  /**
   * Stores a batch's events and extends each session's chain, in one transaction holding the chain
   * rows' locks (so replicas and concurrent batches extend a chain one at a time; taken in session id
   * order, so two batches never deadlock). Events that continue a chain are hashed here and inserted
   * in one statement for every session; a session whose events arrive before their predecessor is
   * stored unchained and chained when it arrives. Returns the sessions stored (this agent's).
   */
  private async storeBatch(
    agentId: string,
    bySession: ReadonlyMap<string, { readonly prepared: readonly PreparedEvent[] }>,
  ): Promise<ReadonlySet<string>> {
    const sealed: { sessionId: string; chainedSeq: number; headHash: string }[] = [];
    const owned = await this.events.manager.transaction(async (tx) => {
      const ids = await this.ownedSessions(tx, agentId, [...bySession.keys()]);
      if (ids.length === 0) return ids;
      const heads = await tx.query<{ session_id: string; chained_seq: string; head_hash: string; max_seq: string }[]>(
        `SELECT session_id, chained_seq, encode(head_hash, 'hex') AS head_hash, max_seq FROM session_event_chains
          WHERE session_id = ANY($1::uuid[]) ORDER BY session_id FOR UPDATE`,
        [ids],
      );
      if (heads.length !== ids.length) throw new Error('chain rows vanished under their locks');
      const inOrder: { sessionId: string; events: PreparedEvent[]; headHash: string }[] = [];
      for (const head of heads) {
        const sessionId = head.session_id;
        const prepared = bySession.get(sessionId)?.prepared ?? [];
        const chainedSeq = Number(head.chained_seq);
        const next = inOrderAfter(prepared, chainedSeq);
        if (next && Number(head.max_seq) === chainedSeq) inOrder.push({ sessionId, events: next, headHash: head.head_hash });
        else {
          const chain = await this.storeOutOfOrder(tx, sessionId, prepared, chainedSeq, head.head_hash);
          if (chain.sealedNow) sealed.push({ sessionId, ...chain });
        }
      }
      for (const chain of await this.storeInOrder(tx, inOrder)) if (chain.sealedNow) sealed.push(chain);
      return ids;
    });
    for (const { sessionId, chainedSeq, headHash } of sealed) {
      // Outside the database, for whoever keeps the logs: the value a later verify must reproduce.
      this.logger.info({ sessionId, seq: chainedSeq, headHash }, 'session log sealed');
    }
    return new Set(owned);
  }

  /**
   * Which of these sessions are this agent's; the first time a session is seen, also makes sure its
   * chain row exists. Remembered per replica: a session never changes agent.
   */
  private async ownedSessions(tx: EntityManager, agentId: string, sessionIds: readonly string[]): Promise<string[]> {
    const unknown = sessionIds.filter((id) => this.owners.get(id) !== agentId);
    if (unknown.length > 0) {
      const rows = await tx.query<{ id: string }[]>(`SELECT id FROM sessions WHERE id = ANY($1::uuid[]) AND agent_id = $2`, [
        unknown,
        agentId,
      ]);
      const found = rows.map((row) => row.id);
      if (found.length > 0) {
        await tx.query(`INSERT INTO session_event_chains (session_id) SELECT unnest($1::uuid[]) ON CONFLICT (session_id) DO NOTHING`, [
          found,
        ]);
      }
      for (const id of found) {
        if (this.owners.size >= MAX_KNOWN_OWNERS) this.owners.delete(this.owners.keys().next().value ?? '');
        this.owners.set(id, agentId);
      }
    }
    return sessionIds.filter((id) => this.owners.get(id) === agentId);
  }

  /** A session whose batch does not simply continue its chain: insert what is new, then chain what now follows without a gap. */
  private async storeOutOfOrder(
    tx: EntityManager,
    sessionId: string,
    prepared: readonly PreparedEvent[],
    chainedSeq: number,
    headHash: string,
  ): Promise<{ chainedSeq: number; headHash: string; sealedNow: boolean }> {
    const inserted = await tx.query<{ seq: string }[]>(
      `INSERT INTO session_events (session_id, seq, kind, occurred_at, payload)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::jsonb[])
       ON CONFLICT (session_id, seq) DO NOTHING RETURNING seq`,
      [
        sessionId,
        prepared.map((e) => e.seq),
        prepared.map((e) => e.kind),
        prepared.map((e) => e.occurredAt.toISOString()),
        prepared.map((e) => e.payloadJson),
      ],
    );
    const chain = await this.extendChain(tx, sessionId, chainedSeq, headHash);
    await this.updateHeads(tx, [
      { sessionId, ...chain, inserted: inserted.length, maxInserted: Math.max(0, ...inserted.map((r) => Number(r.seq))) },
    ]);
    return chain;
  }

  /**
   * The common case — events arriving in order right after their chain's head, nothing stored
   * beyond it: hashed here and inserted already chained, every session's in one INSERT (no
   * read-back). The hash is over the sanitised payload, which is exactly what jsonb reads back, so
   * verify recomputes the same chain.
   */
  private async storeInOrder(
    tx: EntityManager,
    sessions: readonly { sessionId: string; events: readonly PreparedEvent[]; headHash: string }[],
  ): Promise<{ sessionId: string; chainedSeq: number; headHash: string; sealedNow: boolean }[]> {
    if (sessions.length === 0) return [];
    const rows: { event: PreparedEvent; prev: string; hash: string }[] = [];
    const chains = sessions.map(({ sessionId, events, headHash }) => {
      let prev = headHash;
      let sealedNow = false;
      for (const event of events) {
        const hash = eventHashOfJson(event, prev, event.payloadJson);
        rows.push({ event, prev, hash });
        if (TERMINAL_KINDS.has(event.kind)) sealedNow = true;
        prev = hash;
      }
      return { sessionId, chainedSeq: events.at(-1)?.seq ?? 0, headHash: prev, sealedNow, inserted: events.length };
    });
    const inserted = await tx.query<unknown[]>(
      `INSERT INTO session_events (session_id, seq, kind, occurred_at, payload, prev_hash, hash)
       SELECT u.session_id, u.seq, u.kind, u.occurred_at, u.payload, decode(u.prev, 'hex'), decode(u.hash, 'hex')
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::text[])
           AS u(session_id, seq, kind, occurred_at, payload, prev, hash)
       ON CONFLICT (session_id, seq) DO NOTHING RETURNING seq`,
      [
        rows.map((r) => r.event.sessionId),
        rows.map((r) => r.event.seq),
        rows.map((r) => r.event.kind),
        rows.map((r) => r.event.occurredAt.toISOString()),
        rows.map((r) => r.event.payloadJson),
        rows.map((r) => r.prev),
        rows.map((r) => r.hash),
      ],
    );
    // Nothing beyond the heads was stored (checked under the chain locks), so every row must be new.
    if (inserted.length !== rows.length) throw new Error('events beyond a chain head appeared under its lock');
    await this.updateHeads(
      tx,
      chains.map((chain) => ({ ...chain, maxInserted: chain.chainedSeq })),
    );
    return chains;
  }

  private async updateHeads(
    tx: EntityManager,
    heads: readonly { sessionId: string; chainedSeq: number; headHash: string; inserted: number; maxInserted: number }[],
  ): Promise<void> {
    await tx.query(
      `UPDATE session_event_chains c
          SET chained_seq = u.chained_seq, head_hash = decode(u.head_hash, 'hex'), stored_count = c.stored_count + u.inserted,
              max_seq = GREATEST(c.max_seq, u.max_inserted), updated_at = now()
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
           AS u(session_id, chained_seq, head_hash, inserted, max_inserted)
        WHERE c.session_id = u.session_id`,
      [
        heads.map((h) => h.sessionId),
        heads.map((h) => h.chainedSeq),
        heads.map((h) => h.headHash),
        heads.map((h) => h.inserted),
        heads.map((h) => h.maxInserted),
      ],
    );
  }

  /** Chains every stored, unchained event that now follows the chain without a gap. */
  private async extendChain(
    tx: EntityManager,
    sessionId: string,
    chainedSeq: number,
    headHash: string,
  ): Promise<{ chainedSeq: number; headHash: string; sealedNow: boolean }> {
    let seq = chainedSeq;
    let prev = headHash;
    let sealedNow = false;
    for (;;) {
      const rows = await tx.query<EventRow[]>(
        `${SELECT_EVENT} WHERE session_id = $1 AND seq > $2 AND seq <= $2 + $3 AND hash IS NULL ORDER BY seq`,
        [sessionId, seq, PAGE],
      );
      const updates: { seq: number; prev: string; hash: string }[] = [];
      for (const row of rows) {
        const event = view(row);
        if (event.seq !== seq + 1) break;
        const hash = eventHash({ ...event, sessionId }, prev);
        updates.push({ seq: event.seq, prev, hash });
        if (TERMINAL_KINDS.has(event.kind)) sealedNow = true;
        prev = hash;
        seq = event.seq;
      }
      if (updates.length > 0) {
        await tx.query(
          `UPDATE session_events e SET prev_hash = decode(u.prev, 'hex'), hash = decode(u.hash, 'hex')
             FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(seq, prev, hash)
            WHERE e.session_id = $1 AND e.seq = u.seq`,
          [sessionId, updates.map((u) => u.seq), updates.map((u) => u.prev), updates.map((u) => u.hash)],
        );
      }
      if (updates.length < PAGE) return { chainedSeq: seq, headHash: prev, sealedNow };
    }
  }

  /** A session's events after `afterSeq`, in seq order, read a page at a time. */
  private async *rows(manager: EntityManager, sessionId: string, afterSeq: number): AsyncGenerator<EventRow> {
    let after = afterSeq;
    for (;;) {
      const page = await manager.query<EventRow[]>(`${SELECT_EVENT} WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
        sessionId,
        after,
        PAGE,
      ]);
      yield* page;
      const last = page.at(-1);
      if (page.length < PAGE || !last) return;
      after = Number(last.seq);
    }
  }
}

function view(row: EventRow): SessionEventView {
  return {
    seq: Number(row.seq),
    kind: row.kind,
    occurredAt: row.occurred_at,
    payload: row.payload,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** How many of the waiting batches go into the next transaction: up to MAX_EVENTS_PER_TRANSACTION events, at least one batch. */
function batchesFitting(waiting: IngestQueue['waiting']): number {
  let events = 0;
  let batches = 0;
  for (const batch of waiting) {
    events += batch.events.length;
    if (batches > 0 && events > MAX_EVENTS_PER_TRANSACTION) break;
    batches += 1;
  }
  return batches;
}

/**
 * The batch's events after `chainedSeq`, if they continue it without a gap (duplicates of stored
 * events dropped); undefined when they do not (a resend after a gap, out of order).
 */
function inOrderAfter(prepared: readonly PreparedEvent[], chainedSeq: number): PreparedEvent[] | undefined {
  const fresh = prepared.filter((e) => e.seq > chainedSeq).sort((a, b) => a.seq - b.seq);
  if (fresh.length === 0) return undefined;
  return fresh.every((e, i) => e.seq === chainedSeq + 1 + i) ? fresh : undefined;
}
