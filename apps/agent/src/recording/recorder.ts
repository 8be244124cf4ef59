import type { SessionEvent } from '@sluice/contract';
import type { Logger } from 'pino';
import type { EventSpool } from './event-spool.js';

/** Event kinds (docs/recording.md describes each payload). */
export type EventKind =
  | 'session.opened'
  | 'command.received'
  | 'command.decided'
  | 'command.completed'
  | 'approval.requested'
  | 'approval.resolved'
  | 'session.terminated'
  | 'session.closed'
  /** Kubernetes: the separate decision on showing Secret data unmasked (`k8s.secrets.reveal`). */
  | 'command.reveal-decided'
  /** Kubernetes exec/attach: the asciicast v2 header, then bounded chunks of its events, then the end. */
  | 'terminal.started'
  | 'terminal.output'
  | 'terminal.ended';

export interface EventSink {
  /** False when the events could not be sent now; they stay queued and are resent. */
  sendEvents(events: readonly SessionEvent[]): boolean;
  readonly isReady: boolean;
}

export interface RecorderOptions {
  /** Unacknowledged events kept in memory; beyond this they go to the spool (or, without one, the agent refuses new commands). */
  readonly memoryLimit: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = { memoryLimit: 10_000, batchSize: 200, flushIntervalMs: 50 };

/**
 * Collects seq-numbered session events and streams them to the control plane in batches, keeping
 * every event until the control plane acknowledges it. When the control plane is slow or away the
 * in-memory queue fills, and events spill, in order, to an append-only spool file; they are replayed
 * in order once the link is back. The control plane stores them idempotently by (session id, seq),
 * so a replay never duplicates. Recording never waits on the control plane's disk: the data path
 * only appends. When even the spool is full, `saturated` turns true and the data path refuses new
 * commands rather than run them unrecorded.
 */
export class Recorder {
  private readonly unacked = new Map<string, SessionEvent>();
  private readonly fromSpool = new Set<string>();
  private unsent: SessionEvent[] = [];
  private spooling: boolean;
  private spoolFull = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly spool: EventSpool | undefined,
    private readonly options: RecorderOptions = DEFAULT_RECORDER_OPTIONS,
  ) {
    // Events left by a previous run are replayed first.
    this.spooling = spool !== undefined && !spool.isEmpty;
  }

  forSession(sessionId: string): SessionRecorder {
    return new SessionRecorder(sessionId, this);
  }

  /** True when nothing more can be kept: the data path must refuse new commands until it drains. */
  get saturated(): boolean {
    return this.spool ? this.spoolFull : this.unacked.size >= this.options.memoryLimit;
  }

  /** Events not yet acknowledged, in memory. */
  get queued(): number {
    return this.unacked.size;
  }

  get spoolDepthBytes(): number {
    return this.spool?.depthBytes ?? 0;
  }

  append(event: SessionEvent): void {
    if (this.spool && (this.spooling || this.unacked.size >= this.options.memoryLimit)) {
      if (this.spool.append(event)) {
        if (!this.spooling) this.logger.warn({ spool: this.spool.path }, 'control plane not keeping up: recording events spill to disk');
        this.spooling = true;
        return;
      }
      // The spool is full. Keep the event in memory (never drop one) and refuse new commands.
      if (!this.spoolFull)
        this.logger.error(
          { spool: this.spool.path, maxBytes: this.spool.maxBytes },
          'recording spool is full: refusing new commands until it drains',
        );
      this.spoolFull = true;
    }
    this.keep(event, false);
  }

  acknowledge(acked: readonly { sessionId: string; seq: number }[]): void {
    for (const ref of acked) {
      const key = refKey(ref.sessionId, ref.seq);
      this.unacked.delete(key);
      this.fromSpool.delete(key);
    }
    this.drainSpool();
  }

  /** After a reconnect: everything not yet acknowledged goes again, in order, then the spool. */
  resendUnacknowledged(): void {
    this.unsent = [...this.unacked.values()];
    this.flush();
    this.drainSpool();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    while (this.unsent.length > 0) {
      const batch = this.unsent.slice(0, this.options.batchSize);
      if (!this.sink.sendEvents(batch)) return;
      this.unsent.splice(0, batch.length);
    }
  }

  /** Waits until every event is acknowledged (or the deadline); true when nothing is left. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.flush();
    while (this.unacked.size > 0 || (this.spool !== undefined && !this.spool.isEmpty)) {
      if (Date.now() >= deadline) return false;
      this.drainSpool();
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  /**
   * At shutdown: events only in memory go to the spool so the next start replays them (events read
   * back from the spool are still in the file).
   */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.spool) {
      let kept = 0;
      let lost = 0;
      for (const [key, event] of this.unacked) {
        if (this.fromSpool.has(key)) continue;
        if (this.spool.append(event)) kept += 1;
        else lost += 1;
      }
      if (kept > 0)
        this.logger.warn({ events: kept, spool: this.spool.path }, 'unacknowledged recording events kept in the spool for the next start');
      // Said loudly: a full spool at shutdown, with the control plane away, is the one way an event is lost.
      if (lost > 0)
        this.logger.error(
          { events: lost, spool: this.spool.path, maxBytes: this.spool.maxBytes },
          'recording spool full at shutdown: unacknowledged events lost',
        );
      this.spool.close();
    }
  }

  private keep(event: SessionEvent, spooled: boolean): void {
    const key = refKey(event.sessionId ?? '', Number(event.seq));
    this.unacked.set(key, event);
    if (spooled) this.fromSpool.add(key);
    this.unsent.push(event);
    // A full batch goes once the current I/O callback is done: sending it (serialising, a write that
    // wakes the control plane) never sits between a statement's result and its client.
    if (this.unsent.length >= this.options.batchSize) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  /** Moves spooled events back into memory as room frees up, and truncates the file once all are acknowledged. */
  private drainSpool(): void {
    const spool = this.spool;
    if (!spool || !this.spooling || !this.sink.isReady) return;
    const room = this.options.memoryLimit - this.unacked.size;
    if (room > this.options.memoryLimit / 2) {
      const unreadable = spool.unreadableLines;
      for (const event of spool.read(room)) this.keep(event, true);
      if (spool.unreadableLines > unreadable) {
        this.logger.error(
          { spool: spool.path, lines: spool.unreadableLines - unreadable },
          'unreadable lines in the recording spool skipped',
        );
      }
      this.flush();
    }
    if (spool.fullyRead && this.fromSpool.size === 0) {
      spool.reset();
      this.spooling = false;
      this.spoolFull = false;
      this.logger.info('recording spool drained');
    }
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
