import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AgentDto } from './agents.dto.js';
import { AgentsService } from './agents.service.js';

@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiOkResponse({ type: [AgentDto], description: 'Every agent ever seen, online or not' })
  async list(): Promise<AgentDto[]> {
    return (await this.agents.list()).map((agent) => AgentDto.from(agent));
  }
}
