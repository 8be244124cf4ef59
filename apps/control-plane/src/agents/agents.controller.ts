import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '../identity/auth.decorators.js';
import { AgentDto } from './agents.dto.js';
import { AgentsService } from './agents.service.js';

@ApiTags('agents')
@ApiBearerAuth()
@RequireRoles('admin', 'auditor')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiOkResponse({ type: [AgentDto], description: 'Every agent ever seen, online or not' })
  async list(): Promise<AgentDto[]> {
    return (await this.agents.list()).map((agent) => AgentDto.from(agent));
  }
}
