import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequireRoles } from '../identity/auth.decorators.js';
import { SessionEventsService } from './session-events.service.js';
import type { SessionDetailView } from './session-queries.js';
import {
  SessionDto,
  SessionEventDto,
  SessionReplayDto,
  SessionSummaryDto,
  SessionVerificationDto,
  decodeSessionCursor,
  encodeSessionCursor,
  replayQuerySchema,
  sessionListQuerySchema,
  type ReplayQuery,
  type SessionListQuery,
} from './sessions.dto.js';
import { SessionsService } from './sessions.service.js';

/** Recorded sessions for auditors (docs/audit.md). */
@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly events: SessionEventsService,
  ) {}

  @Get()
  @RequireRoles('auditor', 'admin')
  @ApiQuery({ name: 'principal', required: false, description: 'Principal id (exact)' })
  @ApiQuery({ name: 'connection', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'Sessions still open at or after this instant' })
  @ApiQuery({ name: 'to', required: false, description: 'Sessions opened before this instant' })
  @ApiQuery({
    name: 'effect',
    required: false,
    enum: ['allow', 'mask', 'deny', 'review', 'refused'],
    description: 'At least one such decision',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1–500, default 100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'The X-Next-Cursor of the previous page' })
  @ApiOkResponse({ type: [SessionDto], description: 'Newest first. More pages: X-Next-Cursor and Link: rel="next" headers' })
  async list(
    @Query({ schema: sessionListQuerySchema }) query: SessionListQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionDto[]> {
    const after = query.cursor === undefined ? undefined : decodeSessionCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw new BadRequestException('cursor: not a cursor this API returned');
    const page = await this.sessions.search({
      ...(query.principal === undefined ? {} : { principalId: query.principal }),
      ...(query.connection === undefined ? {} : { connection: query.connection }),
      ...(query.from === undefined ? {} : { from: new Date(query.from) }),
      ...(query.to === undefined ? {} : { to: new Date(query.to) }),
      ...(query.effect === undefined ? {} : { effect: query.effect }),
      ...(after ? { after } : {}),
      limit: query.limit,
    });
    if (page.next) {
      const cursor = encodeSessionCursor(page.next);
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries({ ...query, cursor })) params.set(key, String(value));
      res.setHeader('X-Next-Cursor', cursor);
      res.setHeader('Link', `</api/v1/sessions?${params.toString()}>; rel="next"`);
    }
    return page.items.map((s) => SessionDto.from(s));
  }

  @Get(':id')
  @RequireRoles('auditor', 'admin')
  @ApiOkResponse({ type: SessionSummaryDto, description: 'The session with counts of its statements and decisions' })
  async summary(@Param('id', new ParseUUIDPipe()) id: string): Promise<SessionSummaryDto> {
    const session = await this.found(id);
    return SessionSummaryDto.summary(session, await this.events.counts(id));
  }

  @Get(':id/events')
  @RequireRoles('auditor', 'admin')
  @ApiOkResponse({ type: [SessionEventDto], description: 'The session as recorded, in order, with its hash chain' })
  async listEvents(@Param('id', new ParseUUIDPipe()) id: string): Promise<SessionEventDto[]> {
    const events = await this.events.list(id);
    if (events.length === 0 && !(await this.sessions.exists(id))) throw new NotFoundException(`no session ${id}`);
    return events.map((e) => SessionEventDto.from(e));
  }

  @Get(':id/verify')
  @RequireRoles('auditor', 'admin')
  @ApiResponse({ status: 200, type: SessionVerificationDto, description: 'Whether the recorded log is complete and unaltered' })
  async verify(@Param('id', new ParseUUIDPipe()) id: string): Promise<SessionVerificationDto> {
    const session = await this.found(id);
    const result = await this.events.verify(id, {
      exists: true,
      closed: session.closedAt !== null,
      principalId: session.principalId,
      connection: session.connection,
    });
    return SessionVerificationDto.from(id, result);
  }

  @Get(':id/replay')
  @RequireRoles('auditor', 'admin')
  @ApiQuery({ name: 'afterSeq', required: false, description: 'Start after this event (the previous page’s nextAfterSeq)' })
  @ApiQuery({ name: 'limit', required: false, description: 'Statements per page, 1–5000, default 500' })
  @ApiOkResponse({ type: SessionReplayDto, description: 'Statements with their decisions, approvals, result previews and completions' })
  async replay(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query({ schema: replayQuerySchema }) query: ReplayQuery,
  ): Promise<SessionReplayDto> {
    const session = await this.found(id);
    const [counts, page] = await Promise.all([this.events.counts(id), this.events.replay(id, query.afterSeq, query.limit)]);
    return { session: SessionSummaryDto.summary(session, counts), ...page };
  }

  private async found(id: string): Promise<SessionDetailView> {
    const session = await this.sessions.detail(id);
    if (!session) throw new NotFoundException(`no session ${id}`);
    return session;
  }
}
