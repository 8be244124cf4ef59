import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '../identity/auth.decorators.js';
import { ConnectionDto } from './connections.dto.js';
import { ConnectionsService } from './connections.service.js';

@ApiTags('connections')
@ApiBearerAuth()
@RequireRoles('admin', 'auditor')
@Controller('connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ApiOkResponse({ type: [ConnectionDto] })
  async list(): Promise<ConnectionDto[]> {
    return (await this.connections.list()).map((connection) => ConnectionDto.from(connection));
  }
}
