// An exec/attach stream recorded as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/):
// `terminal.started` carries the header, `terminal.output` events carry the event lines in chunks
// of at most 64 KiB of JSON each, `terminal.ended` the outcome. Concatenating the header and the
// events, one JSON value per line, gives a .cast file any asciicast player replays.
import { StringDecoder } from 'node:string_decoder';
import type { SessionRecorder } from '../recording/recorder.js';

/** Serialized size bound of one `terminal.output` payload (well under the control plane's 256 KiB). */
export const MAX_CHUNK_JSON_CHARS = 64 * 1024;
/** Live sessions are flushed at least this often so the recording follows the terminal. */
const FLUSH_INTERVAL_MS = 1_000;

export type AsciicastEvent = [number, 'o' | 'i' | 'r', string];

export interface AsciicastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  readonly timestamp: number;
  readonly command?: string;
  readonly title?: string;
  readonly env?: Record<string, string>;
}

export class TerminalRecording {
  private readonly startedAt = process.hrtime.bigint();
  private readonly decoders = new Map<string, StringDecoder>();
  private pending: AsciicastEvent[] = [];
  private pendingChars = 2; // "[]"
  private timer: NodeJS.Timeout | undefined;
  private chunks = 0;
  private ended = false;

  constructor(
    private readonly recorder: SessionRecorder,
    header: Omit<AsciicastHeader, 'version' | 'timestamp'>,
    private readonly maxChunkChars = MAX_CHUNK_JSON_CHARS,
  ) {
    const full: AsciicastHeader = { version: 2, timestamp: Math.floor(Date.now() / 1000), ...header };
    recorder.record('terminal.started', { asciicast: full });
  }

  /** Terminal output (stdout and stderr are both "o", as a terminal shows them). */
  output(stream: 'stdout' | 'stderr', data: Buffer): void {
    this.add('o', this.decode(stream, data));
  }

  input(data: Buffer): void {
    this.add('i', this.decode('stdin', data));
  }

  resize(width: number, height: number): void {
    this.add('r', `${width}x${height}`);
  }

  /** Flushes what is left and records the end; later calls do nothing. */
  end(outcome: Record<string, unknown>): void {
    if (this.ended) return;
    for (const [stream, decoder] of this.decoders) {
      const rest = decoder.end();
      if (rest) this.add(stream === 'stdin' ? 'i' : 'o', rest);
    }
    this.flush();
    this.ended = true;
    clearTimeout(this.timer);
    this.recorder.record('terminal.ended', { ...outcome, durationMs: Math.round(this.elapsed() * 1000), chunks: this.chunks });
  }

  private decode(stream: string, data: Buffer): string {
    let decoder = this.decoders.get(stream);
    if (!decoder) {
      decoder = new StringDecoder('utf8');
      this.decoders.set(stream, decoder);
    }
    return decoder.write(data);
  }

  private add(code: AsciicastEvent[1], text: string): void {
    if (this.ended || text === '') return;
    const time = Math.round(this.elapsed() * 1e6) / 1e6;
    // Split a large write so that no single event can make a chunk exceed the bound.
    for (const piece of splitForJson(text, this.maxChunkChars - 64)) {
      const event: AsciicastEvent = [time, code, piece];
      const size = JSON.stringify(event).length + 1;
      if (this.pendingChars + size > this.maxChunkChars) this.flush();
      this.pending.push(event);
      this.pendingChars += size;
    }
    this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.chunks += 1;
    this.recorder.record('terminal.output', { events: this.pending });
    this.pending = [];
    this.pendingChars = 2;
  }

  private elapsed(): number {
    return Number(process.hrtime.bigint() - this.startedAt) / 1e9;
  }
}

/** Pieces whose JSON string form stays under `maxJsonChars` (escapes counted), never splitting a surrogate pair. */
export function splitForJson(text: string, maxJsonChars: number): string[] {
  if (JSON.stringify(text).length <= maxJsonChars) return [text];
  const pieces: string[] = [];
  let start = 0;
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const width = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
    const cost = JSON.stringify(text.slice(i, i + width)).length - 2;
    if (size + cost > maxJsonChars && i > start) {
      pieces.push(text.slice(start, i));
      start = i;
      size = 2;
    }
    size += cost;
    i += width - 1;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** Rebuilds the .cast file from recorded session events (what a replay needs). */
export function asciicastFromEvents(events: readonly { kind: string; payload: Record<string, unknown> }[]): string {
  const lines: string[] = [];
  for (const event of events) {
    if (event.kind === 'terminal.started') lines.push(JSON.stringify(event.payload['asciicast']));
    if (event.kind === 'terminal.output') for (const e of event.payload['events'] as unknown[]) lines.push(JSON.stringify(e));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
