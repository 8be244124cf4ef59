import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionEvent } from '@sluice/contract';
import { describe, expect, it } from 'vitest';
import { EventSpool } from './event-spool.js';

const spoolPath = () => join(mkdtempSync(join(tmpdir(), 'event-spool-')), 'events.jsonl');
const event = (seq: number, payload: string): SessionEvent => ({
  sessionId: 's1',
  seq,
  kind: 'command.received',
  occurredAtUnixMs: 1,
  payloadJson: JSON.stringify({ text: payload }),
});

function readAll(spool: EventSpool): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (let batch = spool.read(100); batch.length > 0; batch = spool.read(100)) events.push(...batch);
  return events;
}

describe('event spool', () => {
  it('reads back statement text with multi-byte characters exactly, wherever a read chunk ends', () => {
    // Reads go in 256 KiB chunks: with 0, 1 and 2 bytes of padding, one of the three spools has a
    // three-byte character cut in two by the chunk boundary.
    for (const padding of ['', 'a', 'ab']) {
      const spool = new EventSpool(spoolPath(), 10_000_000);
      const written = Array.from({ length: 12 }, (_, i) => event(i + 1, `${padding}SELECT '${'€ü'.repeat(15_000)}' -- ${i}`));
      for (const e of written) expect(spool.append(e)).toBe(true);
      expect(readAll(spool)).toEqual(written);
      expect(spool.fullyRead).toBe(true);
      spool.close();
    }
  });

  it('skips a line torn by a crash mid-append, and keeps what was appended after it', () => {
    const path = spoolPath();
    const fd = openSync(path, 'w');
    writeSync(fd, `${JSON.stringify(event(1, 'whole'))}\n{"sessionId":"s1","seq":2,"kind":"comm`);
    closeSync(fd);
    const spool = new EventSpool(path, 10_000_000);
    expect(spool.append(event(3, 'after the restart'))).toBe(true);
    expect(readAll(spool).map((e) => e.seq)).toEqual([1, 3]);
    expect(spool.unreadableLines).toBe(1);
    expect(spool.fullyRead).toBe(true);
    spool.close();
  });

  it('refuses (false) rather than throw when the disk does not take the write', () => {
    const spool = new EventSpool(spoolPath(), 10_000_000);
    spool.close(); // any write now fails, as on a full or read-only disk
    expect(spool.append(event(1, 'x'))).toBe(false);
  });

  it('refuses an event that would grow the file past its limit', () => {
    const spool = new EventSpool(spoolPath(), 1_024);
    let n = 0;
    while (spool.append(event(n + 1, 'x'.repeat(100)))) n += 1;
    expect(n).toBeGreaterThan(0);
    expect(spool.depthBytes).toBeLessThanOrEqual(1_024);
    expect(readAll(spool)).toHaveLength(n);
    spool.close();
  });
});
