import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AgentLinkServer } from './agent-link.server.js';
import { AgentPushBus } from './agent-push.bus.js';
import { AgentRequestRouter } from './agent-request.router.js';

/**
 * The gRPC agent link. Depends on the agents registry only; domain modules reach agents through
 * AgentRequestRouter (requests in) and AgentPushBus (pushes out, from any replica).
 */
@Module({
  imports: [AgentsModule],
  providers: [AgentLinkServer, AgentRequestRouter, AgentPushBus],
  exports: [AgentRequestRouter, AgentPushBus, AgentLinkServer],
})
export class AgentLinkModule {}
