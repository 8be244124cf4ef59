import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { SessionEvent } from '@sluice/contract';

const READ_CHUNK = 256 * 1024;

/**
 * An append-only file of recording events (JSON lines) for when the control plane is slow or away.
 * Events are read back in the order they were written; the recorder truncates the file once
 * everything in it was read back and acknowledged (after an agent restart the file is replayed; the
 * control plane ignores events it already has). Synchronous I/O keeps ordering trivial: writes happen only when the in-memory
 * queue is already full, i.e. when the control plane is not keeping up anyway.
 */
export class EventSpool {
  private readonly fd: number;
  private size: number;
  private readOffset = 0;
  private pending = '';
  /** Keeps a UTF-8 character split across two read chunks whole (a plain toString would mangle it). */
  private decoder = new StringDecoder('utf8');
  private unreadable = 0;

  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const existed = existsSync(path);
    this.fd = openSync(path, 'a+', 0o600);
    this.size = existed ? fstatSync(this.fd).size : 0;
    // A process killed in the middle of an append leaves a line without its newline: end it, so
    // the next event starts a line of its own (the torn one is skipped when read back).
    if (this.size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, this.size - 1);
      if (last[0] !== 0x0a) {
        writeSync(this.fd, '\n');
        this.size += 1;
      }
    }
  }

  /** Lines read back that were not a whole event (a torn write); skipped, and counted for the logs. */
  get unreadableLines(): number {
    return this.unreadable;
  }

  /** Bytes written and not yet read back. */
  get depthBytes(): number {
    return this.size - this.readOffset + Buffer.byteLength(this.pending);
  }

  get isEmpty(): boolean {
    return this.depthBytes === 0;
  }

  /**
   * False when the event does not fit, or the disk refused it (full, read-only): the caller must
   * refuse new work (fail closed). A partly written line is cut off again.
   */
  append(event: SessionEvent): boolean {
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    if (this.size + line.length > this.maxBytes) return false;
    try {
      let written = 0;
      while (written < line.length) written += writeSync(this.fd, line, written, line.length - written);
    } catch {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The file keeps a torn line; reading skips it.
      }
      return false;
    }
    this.size += line.length;
    return true;
  }

  /** Up to `max` events, oldest first. */
  read(max: number): SessionEvent[] {
    const events: SessionEvent[] = [];
    while (events.length < max) {
      const newline = this.pending.indexOf('\n');
      if (newline >= 0) {
        const line = this.pending.slice(0, newline);
        this.pending = this.pending.slice(newline + 1);
        if (line.trim() === '') continue;
        const event = parseEvent(line);
        if (event) events.push(event);
        else this.unreadable += 1;
        continue;
      }
      if (this.readOffset >= this.size) break;
      const buffer = Buffer.alloc(Math.min(READ_CHUNK, this.size - this.readOffset));
      const read = readSync(this.fd, buffer, 0, buffer.length, this.readOffset);
      if (read <= 0) break;
      this.readOffset += read;
      this.pending += this.decoder.write(buffer.subarray(0, read));
    }
    return events;
  }

  /** Everything written has been read back (not necessarily acknowledged yet). */
  get fullyRead(): boolean {
    return this.readOffset >= this.size && this.pending === '';
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Call only when fully read AND every event read back was acknowledged: a crash before that replays the file. */
  reset(): void {
    ftruncateSync(this.fd, 0);
    this.size = 0;
    this.readOffset = 0;
    this.pending = '';
    this.decoder = new StringDecoder('utf8');
  }
}

function parseEvent(line: string): SessionEvent | undefined {
  try {
    const event = JSON.parse(line) as unknown;
    return typeof event === 'object' && event !== null && !Array.isArray(event) ? event : undefined;
  } catch {
    return undefined;
  }
}
