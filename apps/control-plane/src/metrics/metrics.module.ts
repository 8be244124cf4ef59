import { Global, Module } from '@nestjs/common';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({ imports: [AgentLinkModule], controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
