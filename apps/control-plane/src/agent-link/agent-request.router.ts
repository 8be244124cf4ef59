import { Injectable } from '@nestjs/common';
import type { AgentRequest__Output, ControlResponse, SessionEvent__Output } from '@sluice/contract';

/** Who is asking: the agent and the link the request came in on. */
export interface AgentRequestContext {
  readonly agentId: string;
  readonly linkId: string;
}

export type AgentRequestKind = NonNullable<AgentRequest__Output['payload']>;

export type AgentRequestHandler = (context: AgentRequestContext, request: AgentRequest__Output) => Promise<ControlResponse>;

/** Stores a batch of recording events; returns the events now safely stored (to acknowledge). */
export type EventSink = (
  context: AgentRequestContext,
  events: readonly SessionEvent__Output[],
) => Promise<{ sessionId: string; seq: number }[]>;

/**
 * Routes each agent request to the module that owns its kind. Domain modules register their
 * handler at start (e.g. sessions registers `openSession`), so the link depends on no domain module.
 * A kind nobody registered is answered with `unsupported` — the agent then refuses what waited on it.
 */
@Injectable()
export class AgentRequestRouter {
  private readonly handlers = new Map<AgentRequestKind, AgentRequestHandler>();
  private eventSink: EventSink | undefined;

  constructor() {
    this.register('ping', () => Promise.resolve({ pong: { receivedAtUnixMs: Date.now() } }));
  }

  register(kind: AgentRequestKind, handler: AgentRequestHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for agent request '${kind}' is already registered`);
    this.handlers.set(kind, handler);
  }

  registerEventSink(sink: EventSink): void {
    if (this.eventSink) throw new Error('an event sink is already registered');
    this.eventSink = sink;
  }

  /** No sink: nothing is acknowledged, so the agent keeps the events and resends them later. */
  async ingestEvents(context: AgentRequestContext, events: readonly SessionEvent__Output[]): Promise<{ sessionId: string; seq: number }[]> {
    return this.eventSink ? this.eventSink(context, events) : [];
  }

  async handle(context: AgentRequestContext, request: AgentRequest__Output): Promise<ControlResponse> {
    const kind = request.payload;
    const handler = kind ? this.handlers.get(kind) : undefined;
    if (!handler)
      return { error: { code: 'unsupported', message: `request kind '${kind ?? 'none'}' is not supported by this control plane` } };
    return handler(context, request);
  }
}
