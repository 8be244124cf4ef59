import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '../identity/auth.decorators.js';
import { SessionDto } from './sessions.dto.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @RequireRoles('auditor', 'admin')
  @ApiOkResponse({ type: [SessionDto], description: 'The most recent sessions, newest first' })
  async list(): Promise<SessionDto[]> {
    return (await this.sessions.list()).map((s) => SessionDto.from(s));
  }
}
