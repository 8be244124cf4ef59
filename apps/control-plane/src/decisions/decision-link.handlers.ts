import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AgentRequestRouter } from '../agent-link/agent-request.router.js';
import { DecisionService } from './decision.service.js';

/** Serves `decide` requests from agents. */
@Injectable()
export class DecisionLinkHandlers implements OnModuleInit {
  constructor(
    private readonly router: AgentRequestRouter,
    private readonly decisions: DecisionService,
  ) {}

  onModuleInit(): void {
    this.router.register('decide', async ({ agentId }, request) => {
      if (!request.decide) return { error: { code: 'invalid_request', message: 'decide without a body' } };
      return { decision: await this.decisions.decide(agentId, request.decide) };
    });
  }
}
