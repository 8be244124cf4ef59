import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { PoliciesModule } from '../policies/policies.module.js';
import { SessionEventEntity } from './session-event.entity.js';
import { SessionEventsService } from './session-events.service.js';
import { SessionAccess } from './session-access.js';
import { SessionLinkHandlers } from './session-link.handlers.js';
import { SessionReaper } from './session-reaper.js';
import { SessionEntity } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/** Sessions opened through agents and their recordings. Owns `sessions` and `session_events`. */
@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity, SessionEventEntity]), AgentLinkModule, ConnectionsModule, PoliciesModule],
  controllers: [SessionsController],
  providers: [SessionsService, SessionEventsService, SessionLinkHandlers, SessionAccess, SessionReaper],
  exports: [SessionsService],
})
export class SessionsModule {}
