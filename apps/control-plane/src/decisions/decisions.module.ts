import { Module } from '@nestjs/common';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { ApprovalsModule } from '../approvals/approvals.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { PoliciesModule } from '../policies/policies.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DecisionLinkHandlers } from './decision-link.handlers.js';
import { DecisionService } from './decision.service.js';

/** Decides the commands agents see. Owns no table. */
@Module({
  imports: [AgentLinkModule, ApprovalsModule, ConnectionsModule, PoliciesModule, SessionsModule],
  providers: [DecisionService, DecisionLinkHandlers],
  exports: [DecisionService],
})
export class DecisionsModule {}
