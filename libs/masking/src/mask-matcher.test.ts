import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cardNumberArb,
  cloudKeyArb,
  emailArb,
  formattedCardArb,
  ibanArb,
  jwtArb,
  phoneArb,
  plainWordsArb,
  randomTokenArb,
  ssnArb,
} from '../test/sensitive-values.js';
import { detectAll } from './detectors/detector-registry.js';
import { DETECTOR_NAMES, type DetectorName, type MaskPlan, type MaskStrategy } from './mask-plan.js';
import { compileMaskPlan } from './mask-matcher.js';
import { MaskPlanError } from './mask-plan-validator.js';

const hashKey = Buffer.alloc(32, 3);
const REDACT: MaskStrategy = { kind: 'redact' };
const allDetectors = (strategy: MaskStrategy): MaskPlan => ({
  columns: [],
  detectors: DETECTOR_NAMES.map((detector) => ({ detector, strategy })),
});

describe('compileMaskPlan().forColumn', () => {
  const matcher = compileMaskPlan(
    {
      columns: [
        { pattern: 'email', strategy: { kind: 'hash' } },
        { pattern: 'public.customers.email', strategy: { kind: 'null' } },
        { pattern: '*.card_*', strategy: { kind: 'partial', keepLast: 4 } },
        { pattern: 'customers.ssn', strategy: { kind: 'partial', keepLast: 4 } },
        { pattern: '"Notes"', strategy: REDACT },
      ],
      detectors: [],
    },
    { hashKey },
  );

  it('returns undefined for a column no rule names', () => {
    expect(matcher.forColumn({ schema: 'public', table: 'customers', column: 'name' })).toBeUndefined();
    expect(matcher.forColumn({ column: 'notes' })).toBeUndefined(); // quoted rule is case-sensitive
  });

  it('applies the matching rule', () => {
    expect(matcher.forColumn({ table: 'payments', column: 'card_number' })?.('4111-1111-1111-1111')).toBe('****-****-****-1111');
    expect(matcher.forColumn({ schema: 'x', table: 'customers', column: 'SSN' })?.('123-45-6789')).toBe('***-**-6789');
    expect(matcher.forColumn({ column: 'Notes' })?.('call me')).toBe('[redacted]');
    expect(matcher.forColumn({ table: 'orders', column: 'email' })?.('a@b.co')).toMatch(/^h:[0-9a-f]{16}$/);
  });

  it('applies the strictest of several matching rules, whatever their order', () => {
    expect(matcher.forColumn({ schema: 'public', table: 'customers', column: 'email' })?.('a@b.co')).toBeNull();
    const reversed = compileMaskPlan(
      {
        columns: [
          { pattern: 'public.customers.email', strategy: { kind: 'null' } },
          { pattern: 'email', strategy: { kind: 'hash' } },
        ],
        detectors: [],
      },
      { hashKey },
    );
    expect(reversed.forColumn({ schema: 'public', table: 'customers', column: 'email' })?.('a@b.co')).toBeNull();
  });

  it('hashes equal values equally across columns (joinable) and differently under another key', () => {
    const users = matcher.forColumn({ table: 'users', column: 'email' });
    const orders = matcher.forColumn({ table: 'orders', column: 'EMAIL' });
    expect(users?.('a@b.co')).toBe(orders?.('a@b.co'));
    const other = compileMaskPlan(
      { columns: [{ pattern: 'email', strategy: { kind: 'hash' } }], detectors: [] },
      { hashKey: Buffer.alloc(32, 4) },
    );
    expect(other.forColumn({ column: 'email' })?.('a@b.co')).not.toBe(users?.('a@b.co'));
  });

  it('returns the same compiled function for every call (nothing is built per column)', () => {
    expect(matcher.forColumn({ table: 'a', column: 'card_no' })).toBe(matcher.forColumn({ table: 'b', column: 'card_cvv' }));
  });
});

describe('compileMaskPlan().forAnyColumn', () => {
  const matcher = compileMaskPlan(
    {
      columns: [
        { pattern: 'customers.ssn', strategy: { kind: 'partial', keepLast: 4 } },
        { pattern: 'vip.ssn', strategy: { kind: 'redact' } },
      ],
      detectors: [],
    },
    { hashKey },
  );

  it('applies the strictest rule naming any of the names of one column (a parent and its partition)', () => {
    const refs = [
      { table: 'customers', column: 'ssn' },
      { table: 'vip', column: 'ssn' },
    ];
    expect(matcher.forAnyColumn(refs)?.('123-45-6789')).toBe(matcher.forColumn({ table: 'vip', column: 'ssn' })?.('123-45-6789'));
    expect(matcher.forAnyColumn([...refs].reverse())?.('123-45-6789')).not.toContain('6789');
  });

  it('returns undefined for no names, or names no rule covers', () => {
    expect(matcher.forAnyColumn([])).toBeUndefined();
    expect(matcher.forAnyColumn([{ table: 'customers', column: 'name' }])).toBeUndefined();
  });
});

describe('compileMaskPlan', () => {
  it('refuses an invalid plan and a short key', () => {
    const bad = { columns: [{ pattern: 'a.b.c.d', strategy: REDACT }], detectors: [] };
    expect(() => compileMaskPlan(bad, { hashKey })).toThrow(MaskPlanError);
    expect(() => compileMaskPlan({ columns: [], detectors: [] }, { hashKey: Buffer.alloc(8) })).toThrow(RangeError);
  });

  it('says whether scanText is needed', () => {
    expect(compileMaskPlan({ columns: [], detectors: [] }, { hashKey }).scansText).toBe(false);
    expect(compileMaskPlan(allDetectors(REDACT), { hashKey }).scansText).toBe(true);
  });
});

describe('compileMaskPlan().scanText', () => {
  const redactAll = compileMaskPlan(allDetectors(REDACT), { hashKey });

  it('replaces every finding and keeps the rest of the text', () => {
    const text = 'Customer john@example.com paid with 4111 1111 1111 1111, SSN 123-45-6789, call (555) 010-0199.';
    expect(redactAll.scanText(text)).toBe('Customer [redacted] paid with [redacted], SSN [redacted], call [redacted].');
  });

  it('uses each detector its own strategy', () => {
    const matcher = compileMaskPlan(
      {
        columns: [],
        detectors: [
          { detector: 'card', strategy: { kind: 'partial', keepLast: 4 } },
          { detector: 'email', strategy: { kind: 'hash' } },
          { detector: 'ssn', strategy: { kind: 'null' } },
        ],
      },
      { hashKey },
    );
    expect(matcher.scanText('4111 1111 1111 1111 / 123-45-6789 / bob@example.com')).toMatch(
      /^\*{4} \*{4} \*{4} 1111 \/ \[redacted\] \/ h:[0-9a-f]{16}$/,
    );
  });

  it('only runs the detectors in the plan', () => {
    const cardsOnly = compileMaskPlan({ columns: [], detectors: [{ detector: 'card', strategy: REDACT }] }, { hashKey });
    expect(cardsOnly.scanText('john@example.com 4111111111111111')).toBe('john@example.com [redacted]');
  });

  it('merges overlapping findings and applies the strictest strategy', () => {
    const token = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'; // a cloud key and a high-entropy secret
    const matcher = compileMaskPlan(
      {
        columns: [],
        detectors: [
          { detector: 'cloud-key', strategy: { kind: 'partial', keepLast: 4 } },
          { detector: 'secret', strategy: REDACT },
        ],
      },
      { hashKey },
    );
    expect(matcher.scanText(`token ${token}`)).toBe('token [redacted]');
  });

  it('keeps nothing of a partial over findings of different ranges', () => {
    // The JWT's header segment is also a secret finding, shorter than the JWT.
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const partial = compileMaskPlan(
      {
        columns: [],
        detectors: [
          { detector: 'jwt', strategy: { kind: 'partial', keepLast: 4 } },
          { detector: 'secret', strategy: { kind: 'partial', keepLast: 4 } },
        ],
      },
      { hashKey },
    );
    expect(partial.scanText(jwt)).toBe(jwt.replace(/[A-Za-z0-9]/g, '*'));
  });

  it('returns the very same string when there is nothing to mask', () => {
    const text = 'plain text, 2026-11-26, v1.2.3, 192.168.0.1, 550e8400-e29b-41d4-a716-446655440000';
    expect(redactAll.scanText(text)).toBe(text);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        fc.pre(detectAll(value).length === 0);
        expect(redactAll.scanText(value)).toBe(value);
      }),
    );
  });

  it('returns text shorter than any finding untouched', () => {
    expect(redactAll.scanText('a@b.c')).toBe('a@b.c');
    expect(compileMaskPlan({ columns: [], detectors: [] }, { hashKey }).scanText('john@example.com')).toBe('john@example.com');
  });
});

/** Detected values per detector, for the "never contains the original" property. */
const valuesByDetector: readonly [DetectorName, fc.Arbitrary<string>][] = [
  ['email', emailArb],
  ['card', formattedCardArb],
  ['iban', ibanArb],
  ['ssn', ssnArb],
  ['phone', phoneArb],
  ['jwt', jwtArb],
  ['cloud-key', cloudKeyArb],
  [
    'private-key',
    fc.base64String({ minLength: 8, maxLength: 64 }).map((body) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`),
  ],
  ['secret', randomTokenArb],
];

const strategyArb: fc.Arbitrary<MaskStrategy> = fc.oneof(
  fc.constant<MaskStrategy>({ kind: 'redact' }),
  fc.constant<MaskStrategy>({ kind: 'hash' }),
  fc.constant<MaskStrategy>({ kind: 'null' }),
  fc.integer({ min: 0, max: 16 }).map((keepLast): MaskStrategy => ({ kind: 'partial', keepLast })),
);

describe('scanText properties', () => {
  it.each(valuesByDetector)('never lets a detected %s through, whatever the strategy', (detector, valueArb) => {
    fc.assert(
      fc.property(plainWordsArb, valueArb, plainWordsArb, strategyArb, (before, value, after, strategy) => {
        const text = `${before} ${value} ${after}`;
        const start = before.length + 1;
        // Precondition: the detector really finds this value here (else the property says nothing).
        const findings = detectAll(text, [detector]);
        fc.pre(findings.some((f) => f.start <= start && f.end >= start + value.length));
        const masked = compileMaskPlan(allDetectors(strategy), { hashKey }).scanText(text);
        expect(masked).not.toContain(value);
      }),
      { numRuns: 60 },
    );
  });

  it('is idempotent for redact and partial', () => {
    const valueArb = fc.oneof(...valuesByDetector.map(([, arb]) => arb));
    const idempotentArb = fc.oneof(
      fc.constant<MaskStrategy>({ kind: 'redact' }),
      fc.integer({ min: 0, max: 16 }).map((keepLast): MaskStrategy => ({ kind: 'partial', keepLast })),
    );
    fc.assert(
      fc.property(plainWordsArb, valueArb, plainWordsArb, idempotentArb, (before, value, after, strategy) => {
        const matcher = compileMaskPlan(allDetectors(strategy), { hashKey });
        const once = matcher.scanText(`${before} ${value} ${after}`);
        expect(matcher.scanText(once)).toBe(once);
      }),
    );
  });

  it('masks cards in column values through forColumn without leaking them', () => {
    const matcher = compileMaskPlan(
      { columns: [{ pattern: 'pan', strategy: { kind: 'partial', keepLast: 4 } }], detectors: [] },
      { hashKey },
    );
    const mask = matcher.forColumn({ column: 'pan' });
    fc.assert(
      fc.property(cardNumberArb, (pan) => {
        const masked = mask?.(pan);
        expect(masked).toBe('*'.repeat(pan.length - 4) + pan.slice(-4));
      }),
    );
  });
});
