import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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

  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const existed = existsSync(path);
    this.fd = openSync(path, 'a+', 0o600);
    this.size = existed ? fstatSync(this.fd).size : 0;
  }

  /** Bytes written and not yet read back. */
  get depthBytes(): number {
    return this.size - this.readOffset + Buffer.byteLength(this.pending);
  }

  get isEmpty(): boolean {
    return this.depthBytes === 0;
  }

  /** False when the event does not fit: the caller must refuse new work (fail closed). */
  append(event: SessionEvent): boolean {
    const line = `${JSON.stringify(event)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size + bytes > this.maxBytes) return false;
    writeSync(this.fd, line);
    this.size += bytes;
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
        if (line.trim() !== '') events.push(JSON.parse(line) as SessionEvent);
        continue;
      }
      if (this.readOffset >= this.size) break;
      const buffer = Buffer.alloc(Math.min(READ_CHUNK, this.size - this.readOffset));
      const read = readSync(this.fd, buffer, 0, buffer.length, this.readOffset);
      if (read <= 0) break;
      this.readOffset += read;
      this.pending += buffer.subarray(0, read).toString('utf8');
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
  }
}
