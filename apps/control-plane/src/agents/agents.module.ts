import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module.js';
import { AgentKeyEntity } from './agent-key.entity.js';
import { AgentKeysService } from './agent-keys.service.js';
import { AgentEntity } from './agent.entity.js';
import { AgentsController } from './agents.controller.js';
import { AgentsService } from './agents.service.js';

/** Agents and agent keys. Owns the `agents` and `agent_keys` tables. */
@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity, AgentKeyEntity]), ConnectionsModule],
  controllers: [AgentsController],
  providers: [AgentsService, AgentKeysService],
  exports: [AgentsService, AgentKeysService],
})
export class AgentsModule {}
