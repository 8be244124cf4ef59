import { describe, expect, it } from 'vitest';
import { compareStrictness, type MaskStrategy } from './mask-plan.js';
import { mergeMaskPlans } from './mask-plan-merge.js';
import { MaskPlanError } from './mask-plan-validator.js';

const NULL: MaskStrategy = { kind: 'null' };
const REDACT: MaskStrategy = { kind: 'redact' };
const HASH: MaskStrategy = { kind: 'hash' };
const partial = (keepLast: number): MaskStrategy => ({ kind: 'partial', keepLast });

describe('compareStrictness', () => {
  it('orders null > redact > hash > partial, smaller keepLast first', () => {
    const ordered = [NULL, REDACT, HASH, partial(0), partial(4), partial(32)];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(Math.sign(compareStrictness(ordered[i]!, ordered[j]!))).toBe(Math.sign(j - i));
      }
    }
  });
});

describe('mergeMaskPlans', () => {
  it('unions distinct rules in first-seen order', () => {
    const merged = mergeMaskPlans([
      { columns: [{ pattern: 'email', strategy: HASH }], detectors: [{ detector: 'card', strategy: partial(4) }] },
      { columns: [{ pattern: 'public.users.ssn', strategy: REDACT }], detectors: [{ detector: 'jwt', strategy: REDACT }] },
    ]);
    expect(merged).toEqual({
      columns: [
        { pattern: 'email', strategy: HASH },
        { pattern: 'public.users.ssn', strategy: REDACT },
      ],
      detectors: [
        { detector: 'card', strategy: partial(4) },
        { detector: 'jwt', strategy: REDACT },
      ],
    });
  });

  it.each([
    [HASH, NULL, NULL],
    [REDACT, HASH, REDACT],
    [partial(4), HASH, HASH],
    [partial(4), partial(2), partial(2)],
    [partial(2), partial(4), partial(2)],
    [NULL, REDACT, NULL],
  ])('keeps the stricter of %j and %j for the same column and detector', (a, b, expected) => {
    const merged = mergeMaskPlans([
      { columns: [{ pattern: 'email', strategy: a }], detectors: [{ detector: 'ssn', strategy: a }] },
      { columns: [{ pattern: 'email', strategy: b }], detectors: [{ detector: 'ssn', strategy: b }] },
    ]);
    expect(merged.columns).toEqual([{ pattern: 'email', strategy: expected }]);
    expect(merged.detectors).toEqual([{ detector: 'ssn', strategy: expected }]);
  });

  it('treats equivalent patterns as the same column, keeping the first spelling', () => {
    const merged = mergeMaskPlans([
      { columns: [{ pattern: 'email', strategy: partial(4) }], detectors: [] },
      { columns: [{ pattern: '*.EMAIL', strategy: REDACT }], detectors: [] },
      { columns: [{ pattern: '*.*.Email', strategy: HASH }], detectors: [] },
    ]);
    expect(merged.columns).toEqual([{ pattern: 'email', strategy: REDACT }]);
  });

  it('keeps overlapping but different patterns apart', () => {
    const merged = mergeMaskPlans([
      { columns: [{ pattern: 'email', strategy: HASH }], detectors: [] },
      {
        columns: [
          { pattern: 'public.users.email', strategy: NULL },
          { pattern: '"email"', strategy: REDACT },
        ],
        detectors: [],
      },
    ]);
    expect(merged.columns.map((rule) => rule.pattern)).toEqual(['email', 'public.users.email', '"email"']);
  });

  it('de-duplicates within a single plan too', () => {
    const merged = mergeMaskPlans([
      {
        columns: [],
        detectors: [
          { detector: 'email', strategy: HASH },
          { detector: 'email', strategy: partial(3) },
        ],
      },
    ]);
    expect(merged.detectors).toEqual([{ detector: 'email', strategy: HASH }]);
  });

  it('returns an empty plan for no input', () => {
    expect(mergeMaskPlans([])).toEqual({ columns: [], detectors: [] });
  });

  it('refuses invalid inputs, naming which plan is wrong', () => {
    expect(() =>
      mergeMaskPlans([
        { columns: [], detectors: [] },
        { columns: [{ pattern: '', strategy: REDACT }], detectors: [] },
      ]),
    ).toThrow(new MaskPlanError(['plans[1].columns[0].pattern: must not be empty']));
  });
});
