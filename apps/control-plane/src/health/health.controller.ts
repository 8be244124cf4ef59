import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AgentLinkServer } from '../agent-link/agent-link.server.js';
import { AgentPushBus } from '../agent-link/agent-push.bus.js';
import { Public } from '../identity/auth.decorators.js';

const DATABASE_PROBE_TIMEOUT_MS = 2_000;

/** Probes for orchestrators. Public by design: they reveal nothing but up/down. */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agentLink: AgentLinkServer,
    private readonly pushBus: AgentPushBus,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is alive' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers, the agent link is listening and pushes reach this replica' })
  @ApiServiceUnavailableResponse({ description: 'Something the control plane needs is down' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, 'up'> }> {
    const checks = {
      database: await this.databaseUp(),
      agentLink: this.agentLink.listeningPort !== undefined,
      pushBus: this.pushBus.isListening,
    };
    const upDown = (up: boolean) => (up ? 'up' : 'down');
    if (!checks.database || !checks.agentLink || !checks.pushBus) {
      throw new ServiceUnavailableException({
        status: 'not-ready',
        checks: { database: upDown(checks.database), agentLink: upDown(checks.agentLink), pushBus: upDown(checks.pushBus) },
      });
    }
    return { status: 'ready', checks: { database: 'up', agentLink: 'up', pushBus: 'up' } };
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
