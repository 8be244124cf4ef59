import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AgentRequestRouter } from '../agent-link/agent-request.router.js';
import { SessionEventsService } from './session-events.service.js';
import { SessionsService, principalForAgent } from './sessions.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Serves the session requests agents send over the link. */
@Injectable()
export class SessionLinkHandlers implements OnModuleInit {
  constructor(
    private readonly router: AgentRequestRouter,
    private readonly sessions: SessionsService,
    private readonly events: SessionEventsService,
  ) {}

  onModuleInit(): void {
    this.router.registerEventSink(({ agentId }, batch) => this.events.ingest(agentId, batch));
    this.router.register('openSession', async ({ agentId }, request) => {
      if (!request.openSession) return { error: { code: 'invalid_request', message: 'open_session without a body' } };
      const outcome = await this.sessions.open(agentId, request.openSession);
      if (!outcome.opened) return { sessionRefused: outcome.refusal };
      return {
        sessionOpened: {
          sessionId: outcome.sessionId,
          principal: principalForAgent(outcome.principal),
          tokenExpiresAtUnixMs: outcome.principal.expiresAt.getTime(),
        },
      };
    });
    this.router.register('closeSession', async ({ agentId }, request) => {
      const close = request.closeSession;
      if (!close || !UUID.test(close.sessionId)) return { error: { code: 'invalid_request', message: 'close_session needs a session id' } };
      await this.sessions.close(close.sessionId, close.reason || 'client_closed', agentId);
      return { sessionClosed: {} };
    });
  }
}
