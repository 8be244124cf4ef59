import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type {
  AgentMessage__Output,
  AgentRequest__Output,
  ControlMessage,
  ControlPush,
  ControlResponse,
  SessionEvent__Output,
} from '@sluice/contract';
import type { Logger } from 'pino';
import { AgentClaimError, type AgentsService } from '../agents/agents.service.js';
import { parseHello } from './agent-hello.js';
import type { AgentRequestRouter } from './agent-request.router.js';

export type AgentCall = ServerDuplexStream<AgentMessage__Output, ControlMessage>;

/** How long an accepted stream may stay silent before it must have said hello. */
export const HELLO_TIMEOUT_MS = 10_000;

type StreamState =
  | { readonly phase: 'awaiting-hello' }
  | { readonly phase: 'registering'; readonly agentId: string }
  | { readonly phase: 'open'; readonly agentId: string }
  | { readonly phase: 'closed' };

/** How stale the "key still enabled" answer may be. */
const KEY_RECHECK_MS = 1_000;

/** Requests one link may have in flight at once; more are answered `overloaded` at once. */
export const MAX_INFLIGHT_REQUESTS = 256;

/**
 * Event bytes one link may have waiting to be stored. Beyond it the stream is not read (gRPC flow
 * control then stops the agent's writes) until half of them are stored: an agent that does not wait
 * for acknowledgements cannot fill the control plane's memory (a paused link still holds up to 16
 * decoded messages of at most 8 MiB, so ≈ 200 MB at worst). A well-behaved agent never gets near it:
 * it keeps at most its recording memory limit (10,000 events by default) unacknowledged.
 */
export const MAX_WAITING_EVENT_BYTES = 32 * 1024 * 1024;

export interface AgentStreamDeps {
  readonly agents: AgentsService;
  readonly router: AgentRequestRouter;
  readonly heartbeatIntervalMs: number;
  readonly controlPlaneVersion: string;
  readonly logger: Logger;
  /** Called once the hello is accepted; the server indexes open streams by agent id. */
  readonly onOpen: (stream: AgentStream) => void;
  readonly onClose: (stream: AgentStream, agentId: string) => void;
}

/**
 * One agent's stream, from hello to close. Authentication happened before this object exists
 * (the agent key is checked on the call's metadata); this class enforces the message order and
 * keeps the registry in step with the stream's life.
 */
export class AgentStream {
  readonly linkId = randomUUID();
  private state: StreamState = { phase: 'awaiting-hello' };
  private inflight = 0;
  private waitingEventBytes = 0;
  private readPaused = false;
  private keyCheck = { at: Date.now(), enabled: true };
  private readonly helloTimer: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    private readonly call: AgentCall,
    private readonly keyId: string,
    private readonly deps: AgentStreamDeps,
  ) {
    this.logger = deps.logger.child({ linkId: this.linkId, keyId });
    this.helloTimer = setTimeout(() => this.fail(GrpcStatus.DEADLINE_EXCEEDED, 'no hello received in time'), HELLO_TIMEOUT_MS);
    call.on('data', (message: AgentMessage__Output) => this.receive(message));
    call.on('end', () => {
      // The agent half-closed: finish our half too so it gets its OK status promptly.
      this.finish('agent closed the stream');
      call.end();
    });
    call.on('error', (error) => this.finish(`stream error: ${error.message}`));
    call.on('cancelled', () => this.finish('stream cancelled'));
  }

  get agentId(): string | undefined {
    return this.state.phase === 'open' ? this.state.agentId : undefined;
  }

  /** Sends a control-plane push (invalidate, terminate, revoke). False when the stream is not open. */
  push(push: ControlPush): boolean {
    return this.send({ push });
  }

  /** Ends the stream with a status the agent understands (e.g. UNAVAILABLE on shutdown). */
  close(code: GrpcStatus, details: string): void {
    this.fail(code, details);
  }

  private receive(message: AgentMessage__Output): void {
    const { state } = this;
    switch (state.phase) {
      case 'closed':
        return;
      case 'awaiting-hello':
        if (message.body !== 'hello' || !message.hello) {
          this.fail(GrpcStatus.FAILED_PRECONDITION, 'the first message on the stream must be hello');
          return;
        }
        void this.acceptHello(message.hello);
        return;
      case 'registering':
        this.fail(GrpcStatus.FAILED_PRECONDITION, 'wait for hello_accepted before sending anything else');
        return;
      case 'open':
        this.receiveOpen(state.agentId, message);
        return;
    }
  }

  private async acceptHello(hello: NonNullable<AgentMessage__Output['hello']>): Promise<void> {
    clearTimeout(this.helloTimer);
    const parsed = parseHello(hello);
    if (!parsed.ok) {
      this.logger.warn({ problem: parsed.problem }, 'agent hello refused');
      this.fail(GrpcStatus.INVALID_ARGUMENT, parsed.problem);
      return;
    }
    const announcement = parsed.value;
    const { agentId } = announcement;
    this.state = { phase: 'registering', agentId };
    try {
      await this.deps.agents.recordConnected(announcement, this.keyId, this.linkId);
    } catch (error) {
      if (error instanceof AgentClaimError) {
        this.logger.warn({ agentId, problem: error.message }, 'agent hello refused: claims what another agent key holds');
        this.fail(GrpcStatus.PERMISSION_DENIED, error.message);
        return;
      }
      this.logger.error({ err: error }, 'could not record agent connection');
      this.fail(GrpcStatus.UNAVAILABLE, 'control plane could not record the connection; retry');
      return;
    }
    if (this.isClosed()) {
      // The stream ended while we were writing: undo, or the agent would look connected.
      await this.deps.agents.recordDisconnected(agentId, this.linkId).catch(() => undefined);
      return;
    }
    this.state = { phase: 'open', agentId };
    this.deps.onOpen(this);
    this.logger.info(
      {
        agentId: announcement.agentId,
        segment: announcement.segment,
        version: announcement.version,
        connections: announcement.connections.map((c) => c.name),
      },
      'agent connected',
    );
    this.send({
      helloAccepted: {
        linkId: this.linkId,
        heartbeatIntervalMs: this.deps.heartbeatIntervalMs,
        controlPlaneVersion: this.deps.controlPlaneVersion,
      },
    });
  }

  private receiveOpen(agentId: string, message: AgentMessage__Output): void {
    switch (message.body) {
      case 'hello':
        this.fail(GrpcStatus.FAILED_PRECONDITION, 'hello may only be sent once');
        return;
      case 'heartbeat': {
        const sentAt = message.heartbeat?.sentAtUnixMs ?? 0;
        this.deps.agents.recordHeartbeat(agentId, this.linkId, this.keyId).then(
          (enabled) => {
            // A key disabled while its stream is open stops working at the next heartbeat.
            if (!enabled) this.fail(GrpcStatus.PERMISSION_DENIED, 'this agent key has been disabled');
          },
          (error: unknown) => this.logger.warn({ err: error }, 'could not record heartbeat'),
        );
        this.send({ heartbeatAck: { heartbeatSentAtUnixMs: sentAt } });
        return;
      }
      case 'request':
        if (message.request) void this.answer(agentId, message.request);
        return;
      case 'events':
        if (message.events) void this.store(agentId, message.events.events);
        return;
      case undefined:
        this.fail(GrpcStatus.INVALID_ARGUMENT, 'message with no known body');
        return;
    }
  }

  private async answer(agentId: string, request: AgentRequest__Output): Promise<void> {
    const { correlationId } = request;
    if (!correlationId) {
      this.fail(GrpcStatus.INVALID_ARGUMENT, 'request without correlation_id');
      return;
    }
    // The agent gives up at its deadline and refuses whatever waited on the answer: don't bother.
    if (request.deadlineUnixMs > 0 && request.deadlineUnixMs < Date.now()) return;
    if (!(await this.keyStillEnabled())) {
      this.fail(GrpcStatus.PERMISSION_DENIED, 'this agent key has been disabled');
      return;
    }
    if (this.inflight >= MAX_INFLIGHT_REQUESTS) {
      // One agent's flood must not slow every other agent's sessions: the excess is refused at once
      // (the agent refuses the client's statement, fail closed).
      this.send({ response: { error: { code: 'overloaded', message: 'too many requests in flight on this link' }, correlationId } });
      return;
    }
    this.inflight += 1;
    let response: ControlResponse;
    try {
      response = await this.deps.router.handle({ agentId, linkId: this.linkId }, request);
    } catch (error) {
      this.logger.error({ err: error, correlationId }, 'agent request failed');
      response = { error: { code: 'internal', message: 'the control plane could not answer this request' } };
    } finally {
      this.inflight -= 1;
    }
    this.send({ response: { ...response, correlationId } });
  }

  /**
   * Whether the stream's key is still enabled, re-read at most once a second: a key disabled during an
   * incident stops an open stream within a second, not at its next reconnect.
   */
  private async keyStillEnabled(): Promise<boolean> {
    const now = Date.now();
    if (now - this.keyCheck.at < KEY_RECHECK_MS) return this.keyCheck.enabled;
    this.keyCheck = { at: now, enabled: await this.deps.agents.keyEnabled(this.keyId) };
    return this.keyCheck.enabled;
  }

  private isClosed(): boolean {
    return this.state.phase === 'closed';
  }

  private async store(agentId: string, events: readonly SessionEvent__Output[]): Promise<void> {
    const bytes = events.reduce((sum, event) => sum + event.payloadJson.length + event.kind.length + event.sessionId.length + 16, 0);
    this.waitingEventBytes += bytes;
    if (!this.readPaused && this.waitingEventBytes > MAX_WAITING_EVENT_BYTES) {
      this.readPaused = true;
      this.call.pause();
      this.logger.warn(
        { agentId, waitingBytes: this.waitingEventBytes },
        'agent sends events faster than they are stored: not reading its stream until they are',
      );
    }
    try {
      const acked = await this.deps.router.ingestEvents({ agentId, linkId: this.linkId }, events);
      if (acked.length > 0) this.send({ eventAck: { events: acked } });
    } catch (error) {
      // Not acknowledged: the agent keeps the events and resends them after its next reconnect.
      this.logger.error({ err: error, count: events.length }, 'could not store session events');
    } finally {
      this.waitingEventBytes -= bytes;
      if (this.readPaused && this.waitingEventBytes <= MAX_WAITING_EVENT_BYTES / 2) {
        this.readPaused = false;
        this.call.resume();
      }
    }
  }

  private send(message: ControlMessage): boolean {
    if (this.state.phase === 'closed') return false;
    this.call.write(message);
    return true;
  }

  private fail(code: GrpcStatus, details: string): void {
    if (this.state.phase === 'closed') return;
    const status: Partial<StatusObject> = { code, details };
    this.call.emit('error', status);
    this.finish(details);
  }

  private finish(reason: string): void {
    const previous = this.state;
    if (previous.phase === 'closed') return;
    this.state = { phase: 'closed' };
    clearTimeout(this.helloTimer);
    if (previous.phase !== 'open') return;
    this.deps.onClose(this, previous.agentId);
    this.logger.info({ agentId: previous.agentId, reason }, 'agent disconnected');
    this.deps.agents
      .recordDisconnected(previous.agentId, this.linkId)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not record agent disconnection'));
  }
}
