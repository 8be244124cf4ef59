import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionEvent } from '@sluice/contract';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventSpool } from './event-spool.js';
import { Recorder, type EventSink } from './recorder.js';

const silent = pino({ level: 'silent' });

/** A control plane we can take away and bring back; it stores events idempotently like the real one. */
class FakeControlPlane implements EventSink {
  isReady = true;
  readonly stored = new Map<string, SessionEvent>();
  readonly sent: SessionEvent[] = [];

  sendEvents(events: readonly SessionEvent[]): boolean {
    if (!this.isReady) return false;
    this.sent.push(...events);
    for (const e of events) this.stored.set(`${e.sessionId ?? ''}#${String(e.seq)}`, e);
    return true;
  }

  acks(): { sessionId: string; seq: number }[] {
    return [...this.stored.values()].map((e) => ({ sessionId: e.sessionId ?? '', seq: Number(e.seq) }));
  }
}

const spoolIn = (maxBytes = 10_000_000) => new EventSpool(join(mkdtempSync(join(tmpdir(), 'spool-')), 'events.jsonl'), maxBytes);
const options = { memoryLimit: 10, batchSize: 4, flushIntervalMs: 1 };

describe('recorder', () => {
  it('spills to the spool when the control plane is away and replays everything, in order, when it returns', () => {
    const cp = new FakeControlPlane();
    const recorder = new Recorder(cp, silent, spoolIn(), options);
    const session = recorder.forSession('s1');
    cp.isReady = false;
    for (let i = 0; i < 100; i++) session.record('command.received', { i });
    expect(recorder.queued).toBe(10); // memory limit; the other 90 are on disk
    expect(recorder.spoolDepthBytes).toBeGreaterThan(0);
    expect(cp.sent).toHaveLength(0);

    cp.isReady = true;
    recorder.resendUnacknowledged();
    for (let round = 0; round < 50 && cp.stored.size < 100; round++) recorder.acknowledge(cp.acks());
    recorder.acknowledge(cp.acks());
    expect(cp.stored.size).toBe(100);
    expect([...cp.stored.keys()].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `s1#${i + 1}`).sort());
    // First transmission of each event is in seq order.
    const firstSeen = [...new Map(cp.sent.map((e) => [Number(e.seq), e])).keys()];
    expect(firstSeen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(recorder.spoolDepthBytes).toBe(0);
    expect(recorder.queued).toBe(0);
  });

  it('refuses new work (saturated) when the spool is full, never dropping an event, and recovers when it drains', () => {
    const cp = new FakeControlPlane();
    const recorder = new Recorder(cp, silent, spoolIn(2_000), options);
    const session = recorder.forSession('s2');
    cp.isReady = false;
    let n = 0;
    while (!recorder.saturated && n < 1_000) session.record('command.completed', { n: n++ });
    expect(recorder.saturated).toBe(true);
    session.record('session.closed', { reason: 'client_closed' }); // still kept
    n += 1;
    cp.isReady = true;
    recorder.resendUnacknowledged();
    for (let round = 0; round < 200 && cp.stored.size < n; round++) recorder.acknowledge(cp.acks());
    recorder.acknowledge(cp.acks());
    expect(cp.stored.size).toBe(n);
    expect(recorder.saturated).toBe(false);
  });

  it('replays a spool left by a previous process', () => {
    const spool = spoolIn();
    const first = new Recorder({ isReady: false, sendEvents: () => false }, silent, spool, options);
    const s = first.forSession('s3');
    for (let i = 0; i < 30; i++) s.record('command.received', { i });
    spool.close();
    const cp = new FakeControlPlane();
    const second = new Recorder(cp, silent, new EventSpool(spool.path, spool.maxBytes), options);
    second.resendUnacknowledged();
    for (let round = 0; round < 20; round++) second.acknowledge(cp.acks());
    // The 20 events that were on disk survive; the 10 that were only in the dead process's memory do not.
    expect(cp.stored.size).toBe(20);
    expect(second.spoolDepthBytes).toBe(0);
  });

  it('without a spool, saturates at the memory limit', () => {
    const recorder = new Recorder({ isReady: false, sendEvents: () => false }, silent, undefined, options);
    const s = recorder.forSession('s4');
    for (let i = 0; i < 10; i++) s.record('command.received', {});
    expect(recorder.saturated).toBe(true);
  });
});
