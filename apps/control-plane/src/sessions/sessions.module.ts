import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { SessionAccess } from './session-access.js';
import { SessionLinkHandlers } from './session-link.handlers.js';
import { SessionEntity } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/** Sessions opened through agents. Owns the `sessions` table. */
@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity]), AgentLinkModule, ConnectionsModule],
  controllers: [SessionsController],
  providers: [SessionsService, SessionLinkHandlers, SessionAccess],
  exports: [SessionsService],
})
export class SessionsModule {}
