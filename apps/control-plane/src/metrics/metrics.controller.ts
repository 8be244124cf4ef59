import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AgentLinkServer } from '../agent-link/agent-link.server.js';
import { Public } from '../identity/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint (outside /api/v1). Counts only; restrict it at the load balancer. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly agentLink: AgentLinkServer,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    this.metrics.agentsConnected.set(this.agentLink.connectedAgentIds().length);
    return this.metrics.registry.metrics();
  }
}
