import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ChannelCredentials, Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  AGENT_KEY_METADATA,
  loadAgentLinkPackage,
  type AgentHello,
  type AgentLinkClient,
  type AgentMessage,
  type AgentRequest,
  type ControlMessage__Output,
  type ControlPush__Output,
  type ControlResponse__Output,
  type SessionEvent,
} from '@sluice/contract';
import type { Logger } from 'pino';
import type { ControlPlaneTarget } from '../config/agent-config.js';
import type { Secret } from '../config/secret.js';
import { Backoff } from './backoff.js';

/** Beyond this many missed heartbeat acks the link is considered dead and redialled. */
const MISSED_ACKS_BEFORE_REDIAL = 3;

const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
} as const;

export type LinkState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'stopped';

/** Why a request got no answer. The caller refuses whatever waited on it (fail closed). */
export class LinkUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkUnavailableError';
  }
}

export type RequestPayload = Omit<AgentRequest, 'correlationId' | 'deadlineUnixMs'>;

interface PendingRequest {
  readonly resolve: (response: ControlResponse__Output) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ControlPlaneLinkOptions {
  readonly target: ControlPlaneTarget;
  readonly agentKey: Secret;
  readonly hello: AgentHello;
  readonly logger: Logger;
  readonly onPush?: (push: ControlPush__Output) => void;
  readonly onStateChange?: (state: LinkState) => void;
  /** The control plane stored these events (idempotent by session id + seq). */
  readonly onEventAck?: (acked: readonly { sessionId: string; seq: number }[]) => void;
  /** Called after every (re)connect, once hello is accepted. */
  readonly onReady?: () => void;
  /** Reported in heartbeats. */
  readonly openSessions?: () => number;
}

/**
 * The agent's end of the link: dials out, says hello, keeps the stream alive with heartbeats,
 * correlates requests with responses, and redials with jittered backoff whenever the stream ends.
 * The agent process never restarts because the control plane did.
 */
export class ControlPlaneLink {
  private readonly client: AgentLinkClient;
  private readonly backoff = new Backoff();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly logger: Logger;
  private call: ClientDuplexStream<AgentMessage, ControlMessage__Output> | undefined;
  private currentState: LinkState = 'idle';
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private unackedHeartbeats = 0;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly options: ControlPlaneLinkOptions) {
    this.logger = options.logger.child({ component: 'control-plane-link', controlPlane: options.target.address });
    const contract = loadAgentLinkPackage();
    const { tls } = options.target;
    const nameOverride = tls.kind === 'tls' && tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {};
    this.client = new contract.AgentLink(options.target.address, channelCredentials(options.target), {
      ...CHANNEL_OPTIONS,
      ...nameOverride,
    });
  }

  get state(): LinkState {
    return this.currentState;
  }

  start(): void {
    if (this.currentState !== 'idle') return;
    this.dial();
  }

  /** Resolves once the link is ready (immediately if it is), or rejects after `timeoutMs`. */
  async whenReady(timeoutMs: number): Promise<void> {
    if (this.currentState === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LinkUnavailableError('control plane link not ready')), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Sends a request and waits for its response until `timeoutMs`. Rejects with
   * LinkUnavailableError when the link is down, drops, or the deadline passes.
   */
  async request(payload: RequestPayload, timeoutMs: number): Promise<ControlResponse__Output> {
    const call = this.call;
    if (this.currentState !== 'ready' || !call) throw new LinkUnavailableError('no link to the control plane');
    const correlationId = randomUUID();
    const deadlineUnixMs = Date.now() + timeoutMs;
    return new Promise<ControlResponse__Output>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new LinkUnavailableError(`no answer from the control plane within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      call.write({ request: { ...payload, correlationId, deadlineUnixMs } });
    });
  }

  get isReady(): boolean {
    return this.currentState === 'ready';
  }

  /** Sends recording events; false when the link is not ready (the recorder keeps them). */
  sendEvents(events: readonly SessionEvent[]): boolean {
    const call = this.call;
    if (this.currentState !== 'ready' || !call) return false;
    call.write({ events: { events: [...events] } });
    return true;
  }

  /** Ends the stream cleanly and stops redialling. */
  async stop(): Promise<void> {
    this.setState('stopped');
    clearTimeout(this.redialTimer);
    this.stopHeartbeats();
    this.failPending('agent is stopping');
    const call = this.call;
    this.call = undefined;
    if (call) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        call.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
        call.once('error', () => undefined);
        call.end();
      });
    }
    this.client.close();
  }

  private dial(): void {
    if (this.currentState === 'stopped') return;
    this.setState('connecting');
    const metadata = new Metadata();
    metadata.set(AGENT_KEY_METADATA, `Bearer ${this.options.agentKey.reveal()}`);
    const call = this.client.connect(metadata);
    this.call = call;
    call.on('data', (message: ControlMessage__Output) => this.receive(call, message));
    // 'error' carries the final status for a failed call; 'end' follows a clean one. Either way
    // the stream is over; an unhandled 'error' would crash the process (grpc-js emits it).
    call.on('error', (error: ServiceError) => this.lost(call, error.code, error.details));
    call.on('end', () => this.lost(call, GrpcStatus.UNAVAILABLE, 'stream ended by the control plane'));
    call.write({ hello: this.options.hello });
  }

  private receive(call: ClientDuplexStream<AgentMessage, ControlMessage__Output>, message: ControlMessage__Output): void {
    if (call !== this.call) return;
    switch (message.body) {
      case 'helloAccepted': {
        const accepted = message.helloAccepted;
        this.backoff.reset();
        this.setState('ready');
        this.logger.info(
          { linkId: accepted?.linkId, controlPlaneVersion: accepted?.controlPlaneVersion },
          'connected to the control plane',
        );
        this.startHeartbeats(call, accepted?.heartbeatIntervalMs || 5_000);
        for (const waiter of this.readyWaiters.splice(0)) waiter();
        this.options.onReady?.();
        return;
      }
      case 'heartbeatAck':
        this.unackedHeartbeats = 0;
        return;
      case 'response': {
        const response = message.response;
        const waiting = response ? this.pending.get(response.correlationId) : undefined;
        if (!response || !waiting) return; // late answer to a request that already timed out
        this.pending.delete(response.correlationId);
        clearTimeout(waiting.timer);
        waiting.resolve(response);
        return;
      }
      case 'eventAck':
        this.options.onEventAck?.(message.eventAck?.events ?? []);
        return;
      case 'push':
        if (message.push) this.options.onPush?.(message.push);
        return;
      case undefined:
        this.logger.warn('message with no known body from the control plane; ignored');
        return;
    }
  }

  private lost(call: ClientDuplexStream<AgentMessage, ControlMessage__Output>, code: GrpcStatus, details: string): void {
    if (call !== this.call) return;
    this.call = undefined;
    this.stopHeartbeats();
    this.failPending(`link to the control plane lost: ${details}`);
    if (this.currentState === 'stopped') return;
    const refused = code === GrpcStatus.UNAUTHENTICATED || code === GrpcStatus.PERMISSION_DENIED || code === GrpcStatus.INVALID_ARGUMENT;
    if (refused) {
      this.backoff.saturate();
      this.logger.error({ code: GrpcStatus[code], details }, 'the control plane refused this agent; check its agent key and configuration');
    }
    const delay = this.backoff.next();
    if (!refused) this.logger.warn({ code: GrpcStatus[code], details, retryInMs: delay }, 'control plane link down; redialling');
    this.setState('backoff');
    this.redialTimer = setTimeout(() => this.dial(), delay);
  }

  private startHeartbeats(call: ClientDuplexStream<AgentMessage, ControlMessage__Output>, intervalMs: number): void {
    this.stopHeartbeats();
    this.unackedHeartbeats = 0;
    this.heartbeatTimer = setInterval(() => {
      if (this.unackedHeartbeats >= MISSED_ACKS_BEFORE_REDIAL) {
        this.logger.warn({ missed: this.unackedHeartbeats }, 'control plane stopped acknowledging heartbeats; redialling');
        call.cancel();
        return;
      }
      this.unackedHeartbeats += 1;
      call.write({ heartbeat: { sentAtUnixMs: Date.now(), openSessions: this.options.openSessions?.() ?? 0 } });
    }, intervalMs);
  }

  private stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private failPending(reason: string): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new LinkUnavailableError(reason));
      this.pending.delete(id);
    }
  }

  private setState(state: LinkState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.options.onStateChange?.(state);
  }
}

function channelCredentials(target: ControlPlaneTarget): ChannelCredentials {
  const { tls } = target;
  switch (tls.kind) {
    case 'insecure':
      return ChannelCredentials.createInsecure();
    case 'tls': {
      const read = (path: string | undefined) => (path ? readFileSync(path) : null);
      return ChannelCredentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
    }
  }
}
