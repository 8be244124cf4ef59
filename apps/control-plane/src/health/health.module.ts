import { Module } from '@nestjs/common';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [AgentLinkModule], controllers: [HealthController] })
export class HealthModule {}
