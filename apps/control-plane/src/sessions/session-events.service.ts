import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { SessionEvent__Output } from '@sluice/contract';
import type { Repository } from 'typeorm';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { SessionEventEntity } from './session-event.entity.js';

export interface SessionEventView {
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  readonly payload: Record<string, unknown>;
}

const MAX_PAYLOAD_BYTES = 256 * 1024;
const KIND = /^[a-z][a-z.-]{0,63}$/;

/** Stores the events agents stream, idempotently by (session, seq). */
@Injectable()
export class SessionEventsService {
  constructor(
    @InjectRepository(SessionEventEntity) private readonly events: Repository<SessionEventEntity>,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /**
   * Inserts a batch from an agent; returns the events that are now stored (inserted now or before),
   * which the agent may forget. Events for sessions that are not this agent's are not stored and not
   * acknowledged; malformed events are logged and acknowledged (resending them cannot help).
   */
  async ingest(agentId: string, batch: readonly SessionEvent__Output[]): Promise<{ sessionId: string; seq: number }[]> {
    const valid: SessionEvent__Output[] = [];
    const acked: { sessionId: string; seq: number }[] = [];
    for (const event of batch) {
      let payload: unknown;
      try {
        payload = event.payloadJson.length <= MAX_PAYLOAD_BYTES ? JSON.parse(event.payloadJson) : undefined;
      } catch {
        payload = undefined;
      }
      if (!KIND.test(event.kind) || event.seq < 1 || typeof payload !== 'object' || payload === null) {
        this.logger.error(
          { agentId, sessionId: event.sessionId, seq: event.seq, kind: event.kind.slice(0, 64) },
          'malformed session event dropped',
        );
        acked.push({ sessionId: event.sessionId, seq: event.seq });
        continue;
      }
      valid.push(event);
    }
    if (valid.length === 0) return acked;
    const result = await this.events.query<{ session_id: string; seq: string }[]>(
      `WITH incoming AS (
         SELECT * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::timestamptz[], $6::jsonb[]) AS t(session_id, seq, kind, occurred_at, payload)
       ), owned AS (
         SELECT i.* FROM incoming i JOIN sessions s ON s.id = i.session_id AND s.agent_id = $1
       ), inserted AS (
         INSERT INTO session_events (session_id, seq, kind, occurred_at, payload)
         SELECT session_id, seq, kind, occurred_at, payload FROM owned
         ON CONFLICT (session_id, seq) DO NOTHING
       )
       SELECT session_id, seq FROM owned`,
      [
        agentId,
        valid.map((e) => e.sessionId),
        valid.map((e) => e.seq),
        valid.map((e) => e.kind),
        valid.map((e) => new Date(e.occurredAtUnixMs).toISOString()),
        valid.map((e) => e.payloadJson),
      ],
    );
    if (result.length < valid.length)
      this.logger.warn({ agentId, dropped: valid.length - result.length }, 'events for sessions not owned by this agent were not stored');
    return [...acked, ...result.map((r) => ({ sessionId: r.session_id, seq: Number(r.seq) }))];
  }

  async list(sessionId: string): Promise<SessionEventView[]> {
    const rows = await this.events.find({ where: { sessionId }, order: { seq: 'ASC' } });
    return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind, occurredAt: row.occurredAt, payload: row.payload }));
  }
}
