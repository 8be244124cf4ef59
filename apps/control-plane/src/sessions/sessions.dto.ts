import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import type { ChainVerification } from './event-hash-chain.js';
import type { SessionEventCounts, SessionEventView } from './session-events.service.js';
import { DECISION_EFFECTS, type SessionCursor, type SessionDetailView, type SessionListItem } from './session-queries.js';
import type { ReplayAttachment, ReplayCompletion, ReplayDecision, ReplayStatement } from './session-replay.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' });

export const sessionListQuerySchema = z
  .object({
    principal: z.string().min(1).max(512).optional(),
    connection: z.string().min(1).max(255).optional(),
    from: instant.optional(),
    to: instant.optional(),
    effect: z.enum(DECISION_EFFECTS).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
  });
export type SessionListQuery = z.infer<typeof sessionListQuerySchema>;

export const replayQuerySchema = z
  .object({
    afterSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    limit: z.coerce.number().int().min(1).max(5_000).default(500),
  })
  .strict();
export type ReplayQuery = z.infer<typeof replayQuerySchema>;

/** The opaque `cursor` of GET /sessions: base64url of "<opened_at µs>_<id>". */
export function encodeSessionCursor(cursor: SessionCursor): string {
  return Buffer.from(`${cursor.openedAtMicros}_${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeSessionCursor(text: string): SessionCursor | undefined {
  const match = /^(-?\d{1,19})_(.{36})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  const [, openedAtMicros, id] = match ?? [];
  if (openedAtMicros === undefined || id === undefined || !UUID.test(id)) return undefined;
  // Microseconds since 1970 that PostgreSQL's timestamptz (and bigint) can hold: a forged number is a 400, not a 500.
  const micros = BigInt(openedAtMicros);
  if (micros < -MAX_CURSOR_MICROS || micros > MAX_CURSOR_MICROS) return undefined;
  return { openedAtMicros, id };
}

/** Year ~9999 in microseconds since 1970, well inside bigint. */
const MAX_CURSOR_MICROS = 253_402_300_800_000_000n;

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'entra:7f1c…:3b2a…' }) principalId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Demo AI agent' }) principalName!: string | null;
  @ApiProperty({ example: 'demo-postgres' }) connection!: string;
  @ApiProperty() agentId!: string;
  @ApiProperty({ example: '127.0.0.1:51234' }) clientAddress!: string;
  @ApiProperty({ type: String, nullable: true }) clientApplication!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) openedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'client_closed' }) closeReason!: string | null;

  static from(view: SessionListItem): SessionDto {
    return sessionFields(view);
  }
}

function sessionFields(view: SessionListItem) {
  return {
    id: view.id,
    principalId: view.principalId,
    principalName: view.principalName,
    connection: view.connection,
    agentId: view.agentId,
    clientAddress: view.clientAddress,
    clientApplication: view.clientApplication,
    openedAt: view.openedAt.toISOString(),
    closedAt: view.closedAt?.toISOString() ?? null,
    closeReason: view.closeReason,
  };
}

export class SessionPrincipalDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['workload', 'user'] }) kind!: 'workload' | 'user';
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ type: String, nullable: true }) appId!: string | null;
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiProperty({ type: [String] }) roles!: string[];
}

export class SessionSummaryDto extends SessionDto {
  @ApiProperty({ type: String, nullable: true }) clientUser!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) tokenExpiresAt!: string;
  @ApiProperty({ type: SessionPrincipalDto, description: 'The principal as its token described it when the session opened' })
  principal!: SessionPrincipalDto;
  @ApiProperty({ description: 'Events recorded' }) events!: number;
  @ApiProperty({ description: 'Statements received' }) statements!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { allow: 12, mask: 3, deny: 1 } })
  decisions!: Record<string, number>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) firstEventAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastEventAt!: string | null;

  static summary(view: SessionDetailView, counts: SessionEventCounts): SessionSummaryDto {
    const p = view.principal;
    return {
      ...sessionFields(view),
      clientUser: view.clientUser,
      tokenExpiresAt: view.tokenExpiresAt.toISOString(),
      principal: { id: p.id, kind: p.kind, displayName: p.displayName, appId: p.appId, groups: [...p.groups], roles: [...p.roles] },
      events: counts.events,
      statements: counts.statements,
      decisions: counts.decisions,
      firstEventAt: counts.firstEventAt?.toISOString() ?? null,
      lastEventAt: counts.lastEventAt?.toISOString() ?? null,
    };
  }
}

export class SessionEventDto {
  @ApiProperty({ description: 'Per-session sequence number, from 1, without gaps' }) seq!: number;
  @ApiProperty({ example: 'command.decided' }) kind!: string;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, description: 'Hex SHA-256 of the previous event (genesis: 64 zeros); null while unchained' })
  prevHash!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Hex SHA-256 of this event chained to prevHash (docs/audit.md)' })
  hash!: string | null;

  static from(event: SessionEventView): SessionEventDto {
    return { ...event, occurredAt: event.occurredAt.toISOString() };
  }
}

export class SessionVerificationDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ description: 'Every event from 1 to the session end is present and chained' }) complete!: boolean;
  @ApiProperty({ description: 'No recorded event was altered, deleted or reordered' }) intact!: boolean;
  @ApiProperty({ description: 'Events stored' }) events!: number;
  @ApiPropertyOptional({ description: 'The first event that failed, when one can be named' }) firstBadSeq?: number;
  @ApiPropertyOptional({ example: 'event 7 was altered after it was recorded (its content does not match its hash)' }) problem?: string;
  @ApiProperty({ description: 'The chain verified through this event' }) verifiedThroughSeq!: number;
  @ApiProperty({ description: 'Hash of that event: compare with the "session log sealed" log line or an export' }) headHash!: string;

  static from(sessionId: string, result: ChainVerification): SessionVerificationDto {
    return { sessionId, ...result };
  }
}

export class ReplayDecisionDto implements ReplayDecision {
  @ApiProperty() seq!: number;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'allow' }) effect!: string;
  @ApiProperty({ type: [String] }) ruleIds!: string[];
  @ApiProperty() reason!: string;
  @ApiProperty() policyVersion!: string;
  @ApiProperty() cached!: boolean;
}

export class ReplayCompletionDto implements ReplayCompletion {
  @ApiProperty() seq!: number;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'SELECT 3' }) tag!: string | null;
  @ApiProperty({ type: Number, nullable: true }) rows!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'SQLSTATE' }) error!: string | null;
  @ApiProperty() refused!: boolean;
}

export class ReplayAttachmentDto implements ReplayAttachment {
  @ApiProperty() seq!: number;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'approval.requested' }) kind!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
}

export class ReplayStatementDto implements ReplayStatement {
  @ApiProperty({ description: 'seq of its command.received event' }) seq!: number;
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ type: String, nullable: true, example: 'query' }) via!: string | null;
  @ApiProperty() text!: string;
  @ApiProperty({ type: [String] }) classes!: string[];
  @ApiProperty({ type: [String] }) tables!: string[];
  @ApiProperty({ type: ReplayDecisionDto, nullable: true }) decision!: ReplayDecisionDto | null;
  @ApiProperty({ type: [ReplayAttachmentDto] }) approvals!: ReplayAttachmentDto[];
  @ApiProperty({ type: [ReplayAttachmentDto], description: 'Result previews as masked on the wire' })
  resultPreviews!: ReplayAttachmentDto[];
  @ApiProperty({ type: ReplayCompletionDto, nullable: true }) completion!: ReplayCompletionDto | null;
}

export class SessionReplayDto {
  @ApiProperty({ type: SessionSummaryDto }) session!: SessionSummaryDto;
  @ApiProperty({ type: [ReplayStatementDto] }) statements!: ReplayStatementDto[];
  @ApiProperty({ type: [ReplayAttachmentDto], description: 'Events of no statement: opening, closing, other kinds' })
  events!: ReplayAttachmentDto[];
  @ApiProperty({ type: Number, nullable: true, description: 'Pass as afterSeq for the next page; null on the last page' })
  nextAfterSeq!: number | null;
}
