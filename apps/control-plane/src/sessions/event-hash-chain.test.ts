import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChainVerifier,
  GENESIS_HASH,
  canonicalJson,
  eventHash,
  eventHashOfJson,
  sanitizePayload,
  storablePayloadJson,
  type ChainHeadRecord,
  type SessionFacts,
  type StoredChainEvent,
} from './event-hash-chain.js';

const SESSION = '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a';
const FACTS: SessionFacts = { exists: true, closed: true, principalId: 'entra:t:p1', connection: 'orders-db' };

/** A recorded session as ingestion would chain it: opened, n statements, closed. */
function chain(payloads: readonly Record<string, unknown>[]): { rows: StoredChainEvent[]; head: ChainHeadRecord } {
  const kinds = ['session.opened', ...payloads.map(() => 'command.received'), 'session.closed'];
  const bodies = [{ connection: 'orders-db', principal: { id: 'entra:t:p1' } }, ...payloads, { reason: 'client_closed' }];
  let prev = GENESIS_HASH;
  const rows = kinds.map((kind, i) => {
    const event = { sessionId: SESSION, seq: i + 1, kind, occurredAt: new Date(1_760_000_000_000 + i * 1000), payload: bodies[i] };
    const hash = eventHash(event, prev);
    const row = { ...event, prevHash: prev, hash };
    prev = hash;
    return row;
  });
  return { rows, head: { chainedSeq: rows.length, headHash: prev, storedCount: rows.length } };
}

function verify(rows: readonly StoredChainEvent[], head: ChainHeadRecord | undefined, facts: SessionFacts = FACTS) {
  const verifier = new ChainVerifier(SESSION, facts);
  for (const row of rows) if (!verifier.push(row)) break;
  return verifier.result(head, rows.length);
}

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 });

describe('canonicalJson', () => {
  it('encodes objects with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0, y: -0 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":0}}');
    expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, 1e21, 0.1])).toBe('[null,null,1e+21,0.1]');
  });

  it('does not depend on key order, and reads back to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        const reversed = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
        ) as unknown;
        expect(canonicalJson(reversed)).toBe(text);
      }),
    );
  });

  it('is injective: the encoding decodes back to the very value (so different payloads never share a hash input)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (generated) => {
        // JSON has one zero: -0 is written (and stored, and hashed) as 0.
        const value = JSON.parse(JSON.stringify(generated)) as unknown;
        expect(isDeepStrictEqual(JSON.parse(canonicalJson(value)), value)).toBe(true);
      }),
    );
  });
});

describe('sanitizePayload', () => {
  it('replaces NUL and lone surrogates, which PostgreSQL cannot store, and keeps the rest', () => {
    const clean = sanitizePayload({ 'k\u0000': 'a\u0000b', s: '\uD800x', pair: '😀', n: Number.POSITIVE_INFINITY });
    expect(clean).toEqual({ ok: true, value: { 'k\uFFFD': 'a\uFFFDb', s: '\uFFFDx', pair: '😀', n: null } });
  });

  it('keeps __proto__ as data (no prototype pollution) and hashes it stably', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const clean = sanitizePayload(parsed);
    expect(clean.ok).toBe(true);
    if (!clean.ok) return;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalJson(clean.value)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it('refuses payloads nested deeper than the limit instead of overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    expect(sanitizePayload(deep)).toMatchObject({ ok: false });
  });
});

describe('eventHash', () => {
  const event = {
    sessionId: '6F0C2A8E-4b1d-4c3e-9a55-0d8f3b2c1e7a',
    seq: 7,
    kind: 'command.completed',
    occurredAt: new Date(1_760_000_000_123),
    payload: { text: 'SELECT "é" \u2028', rows: [1, null, 2.5], z: { b: 1, a: [true] } },
  };

  it('is the v1 encoding, unchanged: every hash ever stored must still verify', () => {
    expect(eventHash(event, 'ab'.repeat(32))).toBe('4b004c8c7e7c96584258b2cbc739f0d270bc781a8887bc32b4c50d82287c9e66');
  });

  it('gives the same hash when handed the canonical payload JSON it would compute', () => {
    expect(eventHashOfJson(event, GENESIS_HASH, canonicalJson(event.payload))).toBe(eventHash(event, GENESIS_HASH));
  });
});

describe('storablePayloadJson', () => {
  const sanitizedJson = (value: unknown) => {
    const clean = sanitizePayload(value);
    return clean.ok ? { ok: true, json: canonicalJson(clean.value) } : clean;
  };
  const hostileString = fc.oneof(fc.string(), fc.constantFrom('\u0000', '\uD800', '\uDC00x', 'a\uD800', 'a\uFFFD', '__proto__'));
  const hostileJson = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(null, true, false, 0, -0, 1e308, Infinity, -Infinity, NaN, 1.5),
      hostileString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('is canonicalJson of the sanitised payload, for any value (property)', () => {
    fc.assert(
      fc.property(hostileJson, (value) => {
        expect(storablePayloadJson(value)).toEqual(sanitizedJson(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('collapses keys that become equal, the last winning, and still refuses a too-deep value among them', () => {
    const payload = JSON.parse('{"a\\ud800": 1, "a\\udc00": 2, "b": [3]}') as unknown;
    expect(storablePayloadJson(payload)).toEqual({ ok: true, json: '{"a\uFFFD":2,"b":[3]}' });
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    const hidden = { 'k\uD800': deep, 'k\uDC00': 1 };
    expect(storablePayloadJson(hidden)).toEqual(sanitizedJson(hidden));
    expect(storablePayloadJson(hidden).ok).toBe(false);
  });
});

describe('ChainVerifier', () => {
  it('accepts an untouched, closed session as complete and intact', () => {
    const { rows, head } = chain([{ text: 'SELECT 1' }, { text: 'SELECT 2' }]);
    expect(verify(rows, head)).toMatchObject({ complete: true, intact: true, events: 4, verifiedThroughSeq: 4, headHash: head.headHash });
  });

  it('chains event 1 from the fixed genesis value and binds every hash to its session', () => {
    const { rows } = chain([]);
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    const first = rows[0]!;
    expect(eventHash({ ...first, sessionId: SESSION.replace('6f', '7f') }, GENESIS_HASH)).not.toBe(first.hash);
  });

  it('detects an altered payload, kind or time and names the event', () => {
    const { rows, head } = chain([{ text: 'SELECT 1' }, { text: 'DELETE FROM t' }]);
    const altered = rows.map((r) => (r.seq === 3 ? { ...r, payload: { text: 'SELECT 2' } } : r));
    expect(verify(altered, head)).toMatchObject({ intact: false, complete: false, firstBadSeq: 3 });
    const rekinded = rows.map((r) => (r.seq === 2 ? { ...r, kind: 'command.completed' } : r));
    expect(verify(rekinded, head)).toMatchObject({ intact: false, firstBadSeq: 2 });
    const retimed = rows.map((r) => (r.seq === 2 ? { ...r, occurredAt: new Date(r.occurredAt.getTime() + 1) } : r));
    expect(verify(retimed, head)).toMatchObject({ intact: false, firstBadSeq: 2 });
  });

  it('detects a deleted event in the middle and at the end', () => {
    const { rows, head } = chain([{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
    expect(
      verify(
        rows.filter((r) => r.seq !== 3),
        head,
      ),
    ).toMatchObject({ intact: false, firstBadSeq: 3 });
    expect(verify(rows.slice(0, -2), head)).toMatchObject({
      intact: false,
      firstBadSeq: 4,
      problem: expect.stringContaining('deleted') as string,
    });
  });

  it('detects two events whose seq numbers were swapped', () => {
    const { rows, head } = chain([{ text: 'a' }, { text: 'b' }]);
    const swapped = rows.map((r) => (r.seq === 2 ? { ...rows[2]!, seq: 2 } : r.seq === 3 ? { ...rows[1]!, seq: 3 } : r));
    expect(verify(swapped, head)).toMatchObject({ intact: false, firstBadSeq: 2 });
  });

  it('detects a session row that no longer matches the recorded opening', () => {
    const { rows, head } = chain([]);
    expect(verify(rows, head, { ...FACTS, principalId: 'entra:t:someone-else' })).toMatchObject({ intact: false, firstBadSeq: 1 });
  });

  it('reports a session still open, or waiting for an event, as intact but incomplete', () => {
    const { rows, head } = chain([{ text: 'a' }]);
    const open = rows.slice(0, -1);
    expect(verify(open, { ...head, chainedSeq: 2, headHash: open[1]!.hash!, storedCount: 2 }, { ...FACTS, closed: false })).toMatchObject({
      intact: true,
      complete: false,
      problem: expect.stringContaining('still open') as string,
    });
    // Event 2 has not arrived; 3 and 4 are stored unchained.
    const waiting = [rows[0]!, { ...rows[2]!, prevHash: null, hash: null }, { ...rows[3]!, prevHash: null, hash: null }];
    expect(verify(waiting, { chainedSeq: 1, headHash: rows[0]!.hash!, storedCount: 3 })).toMatchObject({
      intact: true,
      complete: false,
      firstBadSeq: 2,
    });
  });

  it('detects a hash nulled out to pass an edited event off as pending', () => {
    const { rows, head } = chain([{ text: 'a' }]);
    const nulled = rows.map((r) => (r.seq === 2 ? { ...r, payload: { text: 'b' }, hash: null, prevHash: null } : r));
    expect(verify(nulled, head)).toMatchObject({ intact: false, firstBadSeq: 2 });
  });

  it('finds any single edit, deletion or swap in any recorded session (property)', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('payload' as const), value: jsonObject }),
      fc.record({ op: fc.constant('delete' as const) }),
      fc.record({ op: fc.constant('swap' as const) }),
      fc.record({ op: fc.constant('truncate' as const) }),
    );
    fc.assert(
      fc.property(fc.array(jsonObject, { minLength: 1, maxLength: 8 }), mutation, fc.nat(), (payloads, m, pick) => {
        const { rows, head } = chain(payloads);
        const i = pick % rows.length;
        let tampered: StoredChainEvent[];
        switch (m.op) {
          case 'payload':
            fc.pre(canonicalJson(m.value) !== canonicalJson(rows[i]!.payload));
            tampered = rows.map((r, j) => (j === i ? { ...r, payload: m.value } : r));
            break;
          case 'delete':
            tampered = rows.filter((_r, j) => j !== i);
            break;
          case 'swap': {
            const k = (i + 1) % rows.length;
            fc.pre(k !== i);
            tampered = rows.map((r, j) => (j === i ? { ...rows[k]!, seq: r.seq } : j === k ? { ...rows[i]!, seq: r.seq } : r));
            break;
          }
          case 'truncate':
            tampered = rows.slice(0, i);
            break;
        }
        expect(verify(tampered, head).intact).toBe(false);
      }),
    );
  });
});
