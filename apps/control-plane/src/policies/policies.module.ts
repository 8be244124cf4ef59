import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentLinkModule } from '../agent-link/agent-link.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { PoliciesController } from './policies.controller.js';
import { PolicyChangeListener } from './policy-change.listener.js';
import { PolicyExplainService } from './policy-explain.service.js';
import { PolicyVersionEntity } from './policy-version.entity.js';
import { PolicyVersionsService } from './policy-versions.service.js';
import { PolicyService } from './policy.service.js';

/**
 * The active policy and its evaluation, its stored versions, the REST API to edit and explain it,
 * and its propagation to every replica and agent. Owns `policy_versions`.
 */
@Module({
  imports: [TypeOrmModule.forFeature([PolicyVersionEntity]), AgentLinkModule, ConnectionsModule],
  controllers: [PoliciesController],
  providers: [PolicyService, PolicyVersionsService, PolicyChangeListener, PolicyExplainService],
  exports: [PolicyService],
})
export class PoliciesModule {}
