import type { SessionEvent } from '@sluice/contract';
import type { Logger } from 'pino';

/** Event kinds (docs/recording.md describes each payload). */
export type EventKind = 'session.opened' | 'command.received' | 'command.decided' | 'command.completed' | 'session.closed';

export interface EventSink {
  /** False when the events could not be sent now; they stay queued and are resent. */
  sendEvents(events: readonly SessionEvent[]): boolean;
}

export interface RecorderOptions {
  /** Above this many unacknowledged events the agent refuses new commands (fail closed). */
  readonly maxQueued: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = { maxQueued: 100_000, batchSize: 200, flushIntervalMs: 50 };

/**
 * Collects seq-numbered session events and streams them to the control plane in batches, keeping
 * every event until the control plane acknowledges it, and resending the unacknowledged ones after
 * a reconnect (the control plane stores them idempotently by session id + seq). Recording never
 * waits on the control plane's disk: the data path only appends to memory.
 */
export class Recorder {
  private readonly unacked = new Map<string, SessionEvent>();
  private readonly unsent: SessionEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly options: RecorderOptions = DEFAULT_RECORDER_OPTIONS,
  ) {}

  /** A per-session recorder; its first event gets seq 1. */
  forSession(sessionId: string): SessionRecorder {
    return new SessionRecorder(sessionId, this);
  }

  /** True when the queue is full: the data path must refuse new commands until it drains. */
  get saturated(): boolean {
    return this.unacked.size >= this.options.maxQueued;
  }

  get queued(): number {
    return this.unacked.size;
  }

  append(event: SessionEvent): void {
    this.unacked.set(refKey(event.sessionId ?? '', Number(event.seq)), event);
    this.unsent.push(event);
    if (this.unsent.length >= this.options.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  acknowledge(acked: readonly { sessionId: string; seq: number }[]): void {
    for (const ref of acked) this.unacked.delete(refKey(ref.sessionId, ref.seq));
  }

  /** After a reconnect: everything not yet acknowledged goes again, in order. */
  resendUnacknowledged(): void {
    this.unsent.length = 0;
    this.unsent.push(...this.unacked.values());
    this.flush();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.unsent.length > 0) {
      const batch = this.unsent.slice(0, this.options.batchSize);
      if (!this.sink.sendEvents(batch)) {
        this.logger.debug({ pending: this.unsent.length }, 'recording events wait for the control plane link');
        return;
      }
      this.unsent.splice(0, batch.length);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class SessionRecorder {
  private seq = 0;

  constructor(
    readonly sessionId: string,
    private readonly recorder: Recorder,
  ) {}

  record(kind: EventKind, payload: Record<string, unknown>): void {
    this.seq += 1;
    this.recorder.append({
      sessionId: this.sessionId,
      seq: this.seq,
      kind,
      occurredAtUnixMs: Date.now(),
      payloadJson: JSON.stringify(payload),
    });
  }
}

function refKey(sessionId: string, seq: number): string {
  return `${sessionId}#${seq}`;
}
