import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AgentLinkServer } from '../agent-link/agent-link.server.js';

const DATABASE_PROBE_TIMEOUT_MS = 2_000;

/** Probes for orchestrators. Public by design: they reveal nothing but up/down. */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agentLink: AgentLinkServer,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is alive' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers and the agent link is listening' })
  @ApiServiceUnavailableResponse({ description: 'Something the control plane needs is down' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, 'up'> }> {
    const [database, agentLink] = await Promise.all([this.databaseUp(), Promise.resolve(this.agentLink.listeningPort !== undefined)]);
    if (!database || !agentLink) {
      throw new ServiceUnavailableException({
        status: 'not-ready',
        checks: { database: database ? 'up' : 'down', agentLink: agentLink ? 'up' : 'down' },
      });
    }
    return { status: 'ready', checks: { database: 'up', agentLink: 'up' } };
  }

  private async databaseUp(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), DATABASE_PROBE_TIMEOUT_MS);
      });
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
