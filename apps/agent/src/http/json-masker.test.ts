import { compileMaskPlan, importHashKey, REDACTED_MARKER, type MaskPlan } from '@sluice/masking';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFieldRules, type FieldRule } from './json-field-rules.js';
import { JsonMasker, JsonMaskingError, type JsonMaskerOptions } from './json-masker.js';

const hashKey = Buffer.alloc(32, 7);

function options(plan: MaskPlan, limits: Partial<JsonMaskerOptions> = {}): JsonMaskerOptions {
  const rules = compileFieldRules(plan, importHashKey(hashKey));
  if ('error' in rules) throw new Error(rules.error);
  const matcher = plan.detectors.length > 0 ? compileMaskPlan({ columns: [], detectors: plan.detectors }, { hashKey }) : undefined;
  return { rules, scanText: matcher ? (t) => matcher.scanText(t) : undefined, maxDepth: 64, maxValueChars: 4096, ...limits };
}

function mask(text: string, opts: JsonMaskerOptions, chunks: readonly number[] = []): string {
  const masker = new JsonMasker(opts);
  let out = '';
  let at = 0;
  for (const size of chunks) {
    out += masker.push(text.slice(at, at + size));
    at += size;
  }
  out += masker.push(text.slice(at));
  return out + masker.end();
}

function scalars(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(scalars);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(scalars);
  return [value];
}

const customers = {
  data: [
    {
      id: 1,
      name: 'Alice',
      email: 'alice@example.com',
      card: { number: '4111 1111 1111 1111', exp: '12/30' },
      note: 'call +1 415-555-0100',
    },
    { id: 2, name: 'Bob', email: 'bob@example.org', card: { number: 5500005555555559, exp: '01/29' }, note: 'no PII here' },
  ],
  total: 2,
};

describe('JsonMasker', () => {
  it('masks named fields anywhere (key names) and leaves the rest byte-for-byte equivalent', () => {
    const opts = options({ columns: [{ pattern: 'email', strategy: { kind: 'redact' } }], detectors: [] });
    const out = JSON.parse(mask(JSON.stringify(customers), opts)) as typeof customers;
    expect(out.data.map((c) => c.email)).toEqual([REDACTED_MARKER, REDACTED_MARKER]);
    expect(out.data[0]?.name).toBe('Alice');
    expect(out.total).toBe(2);
    expect(out.data[1]?.card.number).toBe(5500005555555559);
  });

  it('masks a whole subtree when a rule names an object, including numbers, as strings', () => {
    const opts = options({ columns: [{ pattern: 'card', strategy: { kind: 'partial', keepLast: 4 } }], detectors: [] });
    const out = JSON.parse(mask(JSON.stringify(customers), opts)) as { data: { card: { number: unknown; exp: unknown } }[] };
    expect(out.data[0]?.card.number).toBe('**** **** **** 1111');
    expect(out.data[1]?.card.number).toBe('************5559');
    expect(out.data[0]?.card.exp).toMatch(/^\*\*\/\d\d$|^\*\*\/\*\*$/);
  });

  it('applies JSONPath rules only where they point', () => {
    const opts = options({ columns: [{ pattern: '$.data[0].email', strategy: { kind: 'null' } }], detectors: [] });
    const out = JSON.parse(mask(JSON.stringify(customers), opts)) as typeof customers;
    expect(out.data[0]?.email).toBeNull();
    expect(out.data[1]?.email).toBe('bob@example.org');
  });

  it('finds emails, card numbers (also as JSON numbers) and phones with detectors', () => {
    const opts = options({
      columns: [],
      detectors: [
        { detector: 'email', strategy: { kind: 'redact' } },
        { detector: 'card', strategy: { kind: 'partial', keepLast: 4 } },
        { detector: 'phone', strategy: { kind: 'redact' } },
      ],
    });
    const text = mask(JSON.stringify(customers), opts);
    expect(text).not.toContain('alice@example.com');
    expect(text).not.toContain('4111 1111 1111 1111');
    expect(text).not.toContain('5500005555555559');
    expect(text).not.toContain('415-555-0100');
    const out = JSON.parse(text) as { data: { card: { number: unknown }; note: string }[] };
    expect(out.data[1]?.card.number).toBe('************5559');
    expect(out.data[1]?.note).toBe('no PII here');
  });

  it('scans object keys too: an email used as a key is masked', () => {
    const opts = options({ columns: [], detectors: [{ detector: 'email', strategy: { kind: 'redact' } }] });
    expect(mask('{"alice@example.com":{"role":"admin"}}', opts)).toBe(`{"${REDACTED_MARKER}":{"role":"admin"}}\n`);
  });

  it('keeps strings with escapes, unicode and surrogate pairs intact when not masked', () => {
    const opts = options({ columns: [{ pattern: 'secret', strategy: { kind: 'redact' } }], detectors: [] });
    const value = { text: 'line\n"quoted" \\ tab\t é 😀 \u0001', secret: 'x' };
    expect(JSON.parse(mask(JSON.stringify(value), opts))).toEqual({ ...value, secret: REDACTED_MARKER });
  });

  it('gives the same output however the input is chunked (property)', () => {
    const opts = options({
      columns: [{ pattern: 'email', strategy: { kind: 'hash' } }],
      detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 4 } }],
    });
    const text = JSON.stringify(customers);
    const whole = mask(text, opts);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }), (chunks) => {
        expect(mask(text, opts, chunks)).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any JSON value when nothing applies (property)', () => {
    const opts = options({ columns: [{ pattern: '$.never.there', strategy: { kind: 'redact' } }], detectors: [] });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 20 }), (value, chunks) => {
        const text = JSON.stringify(value);
        expect(JSON.parse(mask(text, opts, chunks))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a named value through, whatever its type or position (property)', () => {
    const opts = options({ columns: [{ pattern: 'ssn', strategy: { kind: 'redact' } }], detectors: [] });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (inner) => {
        const out = JSON.parse(mask(JSON.stringify({ a: [{ ssn: inner }], ssn: inner }), opts)) as { a: { ssn: unknown }[]; ssn: unknown };
        // Every scalar below a named value is the marker (JSON null stays null: it carries nothing).
        for (const leaf of [...scalars(out.ssn), ...scalars(out.a[0]?.ssn)]) expect([REDACTED_MARKER, null]).toContain(leaf);
      }),
      { numRuns: 200 },
    );
  });

  it('handles concatenated documents (a Kubernetes watch stream), one per line', () => {
    const opts = options({ columns: [{ pattern: '$.object.data.*', strategy: { kind: 'redact' } }], detectors: [] });
    const events = [
      { type: 'ADDED', object: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } } },
      { type: 'MODIFIED', object: { kind: 'Secret', data: { password: 'c2VjcmV0' } } },
    ];
    const out = mask(events.map((e) => JSON.stringify(e)).join('\n') + '\n', opts)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { object: { data: { password: string } } });
    expect(out.map((e) => e.object.data.password)).toEqual([REDACTED_MARKER, REDACTED_MARKER]);
  });

  it('fails closed: invalid JSON, truncated JSON, too deep, too long a value', () => {
    const opts = options({ columns: [{ pattern: 'email', strategy: { kind: 'hash' } }], detectors: [] });
    expect(() => mask('{"a": nope}', opts)).toThrow(JsonMaskingError);
    expect(() => mask('{"a": [1, 2', opts)).toThrow(JsonMaskingError);
    expect(() => mask('['.repeat(65) + ']'.repeat(65), opts)).toThrow(/too-deep/);
    expect(() => mask(JSON.stringify({ email: 'x'.repeat(5000) }), opts)).toThrow(/value-too-large/);
    // A value that is redacted whole is never buffered, so its size does not matter.
    const redact = options({ columns: [{ pattern: 'email', strategy: { kind: 'redact' } }], detectors: [] });
    expect(JSON.parse(mask(JSON.stringify({ email: 'x'.repeat(50_000) }), redact))).toEqual({ email: REDACTED_MARKER });
  });

  it('keeps failing after the first error (no partial recovery)', () => {
    const masker = new JsonMasker(options({ columns: [{ pattern: 'a', strategy: { kind: 'redact' } }], detectors: [] }));
    expect(() => masker.push('{"a": }')).toThrow(JsonMaskingError);
    expect(() => masker.push('{"b": 1}')).toThrow(JsonMaskingError);
  });

  it('counts what it masked', () => {
    const opts = options({
      columns: [{ pattern: 'email', strategy: { kind: 'redact' } }],
      detectors: [{ detector: 'card', strategy: { kind: 'redact' } }],
    });
    const masker = new JsonMasker(opts);
    masker.push(JSON.stringify(customers));
    masker.end();
    expect(masker.stats).toEqual({ maskedValues: 2, detectorHits: 2 });
  });

  it('accepts rules built by hand (Secret data) with a constant replacement', () => {
    const rule: FieldRule = {
      matcher: { kind: 'json-path', selectors: [{ kind: 'descend' }, { kind: 'key', name: 'data' }, { kind: 'wildcard' }] },
      strategy: { kind: 'redact' },
      apply: () => 'W3JlZGFjdGVkXQ==',
      needsValue: false,
    };
    const out = mask('{"items":[{"data":{"a":"eA==","b":"eQ=="}}]}', {
      rules: [rule],
      scanText: undefined,
      maxDepth: 64,
      maxValueChars: 10,
    });
    expect(JSON.parse(out)).toEqual({ items: [{ data: { a: 'W3JlZGFjdGVkXQ==', b: 'W3JlZGFjdGVkXQ==' } }] });
  });
});
