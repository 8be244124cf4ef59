import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AgentLinkServer } from './agent-link.server.js';
import { AgentRequestRouter } from './agent-request.router.js';

/**
 * The gRPC agent link. Depends on the agents registry only; domain modules reach agents through
 * AgentRequestRouter (requests in) and AgentLinkServer.push (pushes out).
 */
@Module({
  imports: [AgentsModule],
  providers: [AgentLinkServer, AgentRequestRouter],
  exports: [AgentLinkServer, AgentRequestRouter],
})
export class AgentLinkModule {}
