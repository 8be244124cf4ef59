import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AgentLinkServer } from '../agent-link/agent-link.server.js';
import { AgentPushBus } from '../agent-link/agent-push.bus.js';
import { Public } from '../identity/auth.decorators.js';
import { IdentityService } from '../identity/identity.service.js';

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
    private readonly identity: IdentityService,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is alive' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOkResponse({
    description: 'The database answers, the agent link is listening, pushes reach this replica and token issuers are loaded',
  })
  @ApiServiceUnavailableResponse({ description: 'Something the control plane needs is down' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, 'up'> }> {
    const checks = {
      database: await this.databaseUp(),
      agentLink: this.agentLink.listeningPort !== undefined,
      pushBus: this.pushBus.isListening,
      // Issuers load just after the HTTP listener starts (the development issuer needs its URL).
      identity: this.identity.isStarted,
    };
    if (Object.values(checks).some((up) => !up)) {
      const upDown = Object.fromEntries(Object.entries(checks).map(([name, up]) => [name, up ? 'up' : 'down']));
      throw new ServiceUnavailableException({ status: 'not-ready', checks: upDown });
    }
    return { status: 'ready', checks: { database: 'up', agentLink: 'up', pushBus: 'up', identity: 'up' } };
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
