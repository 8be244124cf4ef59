import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionRecorder } from '../recording/recorder.js';
import { MAX_CHUNK_JSON_CHARS, TerminalRecording, asciicastFromEvents, splitForJson } from './terminal-recording.js';

function recorder(): { rec: SessionRecorder; events: { kind: string; payload: Record<string, unknown> }[] } {
  const events: { kind: string; payload: Record<string, unknown> }[] = [];
  return {
    rec: { record: (kind: string, payload: Record<string, unknown>) => events.push({ kind, payload }) } as unknown as SessionRecorder,
    events,
  };
}

describe('terminal recording (asciicast v2)', () => {
  it('records header, output, input, resizes and the end; the events rebuild a .cast file', () => {
    const { rec, events } = recorder();
    const recording = new TerminalRecording(rec, { width: 80, height: 24, command: 'sh', title: 'default/web' });
    recording.output('stdout', Buffer.from('hello '));
    recording.output('stderr', Buffer.from('wor'));
    // A multi-byte character split across frames is decoded whole.
    const e = Buffer.from('é');
    recording.output('stdout', e.subarray(0, 1));
    recording.output('stdout', e.subarray(1));
    recording.input(Buffer.from('exit\n'));
    recording.resize(120, 40);
    recording.end({ status: { exitCode: 0 } });
    recording.end({ status: { exitCode: 9 } });
    expect(events.map((x) => x.kind)).toEqual(['terminal.started', 'terminal.output', 'terminal.ended']);
    expect(events[0]?.payload['asciicast']).toMatchObject({ version: 2, width: 80, height: 24, command: 'sh', title: 'default/web' });
    const cast = asciicastFromEvents(events).trim().split('\n');
    const lines = cast.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    expect(lines.map(([, code, data]) => [code, data])).toEqual([
      ['o', 'hello '],
      ['o', 'wor'],
      ['o', 'é'],
      ['i', 'exit\n'],
      ['r', '120x40'],
    ]);
    expect(events[2]?.payload).toMatchObject({ status: { exitCode: 0 }, chunks: 1 });
  });

  it('keeps every output chunk within 64 KiB of JSON, even for escape-heavy output', () => {
    const { rec, events } = recorder();
    const recording = new TerminalRecording(rec, { width: 80, height: 24 });
    for (let i = 0; i < 20; i++) recording.output('stdout', Buffer.from('\u0001'.repeat(50_000) + 'x'.repeat(10_000)));
    recording.end({});
    const chunks = events.filter((e) => e.kind === 'terminal.output');
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(JSON.stringify(chunk.payload).length).toBeLessThanOrEqual(MAX_CHUNK_JSON_CHARS);
    const text = chunks.flatMap((c) => (c.payload['events'] as [number, string, string][]).map(([, , d]) => d)).join('');
    expect(text).toBe(('\u0001'.repeat(50_000) + 'x'.repeat(10_000)).repeat(20));
  });

  it('splits text without breaking surrogate pairs, each piece within the bound (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 16, max: 64 }), (text, max) => {
        const pieces = splitForJson(text, max);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) {
          // Only a single character (one code point: one or two UTF-16 units) may exceed the bound.
          expect(JSON.stringify(piece).length <= max || piece.length <= 2).toBe(true);
          const last = piece.charCodeAt(piece.length - 1);
          if (piece.length > 0 && last >= 0xd800 && last <= 0xdbff) expect(piece).toBe(pieces.at(-1));
        }
      }),
    );
  });
});
