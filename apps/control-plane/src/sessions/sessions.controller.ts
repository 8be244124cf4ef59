import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '../identity/auth.decorators.js';
import { SessionEventsService } from './session-events.service.js';
import { SessionDto, SessionEventDto } from './sessions.dto.js';
import { SessionsService } from './sessions.service.js';

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
  @ApiOkResponse({ type: [SessionDto], description: 'The most recent sessions, newest first' })
  async list(): Promise<SessionDto[]> {
    return (await this.sessions.list()).map((s) => SessionDto.from(s));
  }

  @Get(':id/events')
  @RequireRoles('auditor', 'admin')
  @ApiOkResponse({ type: [SessionEventDto], description: 'The session as recorded, in order' })
  async listEvents(@Param('id', new ParseUUIDPipe()) id: string): Promise<SessionEventDto[]> {
    const events = await this.events.list(id);
    if (events.length === 0 && !(await this.sessions.exists(id))) throw new NotFoundException(`no session ${id}`);
    return events.map((e) => ({ seq: e.seq, kind: e.kind, occurredAt: e.occurredAt.toISOString(), payload: e.payload }));
  }
}
