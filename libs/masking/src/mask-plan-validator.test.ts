import { describe, expect, it } from 'vitest';
import { MASK_PLAN_LIMITS } from './mask-plan.js';
import { MaskPlanError, parseMaskPlan, validateMaskPlan } from './mask-plan-validator.js';

const errorsOf = (input: unknown): readonly string[] => {
  const result = validateMaskPlan(input);
  return result.ok ? [] : result.errors;
};

describe('validateMaskPlan', () => {
  it('accepts a plan using every strategy and returns a clean copy', () => {
    const input = {
      columns: [
        { pattern: 'email', strategy: { kind: 'hash' } },
        { pattern: 'public.customers.ssn', strategy: { kind: 'partial', keepLast: 4 } },
        { pattern: '*.card_*', strategy: { kind: 'redact' } },
        { pattern: 'notes', strategy: { kind: 'null' } },
      ],
      detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 0 } }],
    };
    const result = validateMaskPlan(input);
    expect(result).toEqual({ ok: true, plan: input });
    if (result.ok) expect(result.plan.columns[0]?.strategy).not.toBe(input.columns[0]?.strategy);
  });

  it('accepts an empty plan', () => {
    expect(validateMaskPlan({ columns: [], detectors: [] })).toEqual({ ok: true, plan: { columns: [], detectors: [] } });
  });

  it.each([
    [null, ['plan: expected an object']],
    [[], ['plan: expected an object']],
    [{}, ['columns: expected an array', 'detectors: expected an array']],
    [{ columns: [], detectors: [], extra: 1 }, ['plan: unexpected property (allowed: columns, detectors)']],
    [{ columns: [42], detectors: [] }, ['columns[0]: expected an object']],
    [{ columns: [{ pattern: 1, strategy: { kind: 'redact' } }], detectors: [] }, ['columns[0].pattern: expected a string']],
    [{ columns: [{ pattern: 'a..b', strategy: { kind: 'redact' } }], detectors: [] }, ['columns[0].pattern: empty name segment']],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'scramble' } }], detectors: [] },
      ['columns[0].strategy.kind: expected one of redact, partial, hash, null'],
    ],
    [{ columns: [{ pattern: 'email' }], detectors: [] }, ['columns[0].strategy: expected an object']],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'partial' } }], detectors: [] },
      ['columns[0].strategy.keepLast: expected an integer from 0 to 16'],
    ],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'partial', keepLast: -1 } }], detectors: [] },
      ['columns[0].strategy.keepLast: expected an integer from 0 to 16'],
    ],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'partial', keepLast: 2.5 } }], detectors: [] },
      ['columns[0].strategy.keepLast: expected an integer from 0 to 16'],
    ],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'partial', keepLast: '4' } }], detectors: [] },
      ['columns[0].strategy.keepLast: expected an integer from 0 to 16'],
    ],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'redact', keepLast: 4 } }], detectors: [] },
      ['columns[0].strategy: unexpected property (allowed: kind)'],
    ],
    [
      { columns: [{ pattern: 'email', strategy: { kind: 'redact' }, note: 'x' }], detectors: [] },
      ['columns[0]: unexpected property (allowed: pattern, strategy)'],
    ],
    [
      { columns: [], detectors: [{ detector: 'passport', strategy: { kind: 'redact' } }] },
      ['detectors[0].detector: expected one of email, card, iban, ssn, phone, jwt, cloud-key, private-key, secret'],
    ],
  ])('rejects %j', (input, errors) => {
    expect(errorsOf(input)).toEqual(errors);
  });

  it('treats a JSON __proto__ key as an unexpected property, not as a prototype', () => {
    const input: unknown = JSON.parse('{"columns":[],"detectors":[],"__proto__":{"columns":[{"pattern":"email"}]}}');
    expect(errorsOf(input)).toEqual(['plan: unexpected property (allowed: columns, detectors)']);
  });

  it('reports holes in a sparse array instead of skipping them', () => {
    const columns: unknown[] = [];
    columns[1] = { pattern: 'email', strategy: { kind: 'redact' } };
    expect(errorsOf({ columns, detectors: [] })).toEqual(['columns[0]: expected an object']);
  });

  it('enforces the size limits', () => {
    const rule = { pattern: 'email', strategy: { kind: 'redact' } };
    expect(errorsOf({ columns: Array<unknown>(MASK_PLAN_LIMITS.maxColumnRules + 1).fill(rule), detectors: [] })).toEqual([
      'columns: at most 1000 rules',
    ]);
    expect(errorsOf({ columns: [{ ...rule, pattern: 'a'.repeat(257) }], detectors: [] })).toEqual([
      'columns[0].pattern: at most 256 characters',
    ]);
    const detector = { detector: 'email', strategy: { kind: 'redact' } };
    expect(errorsOf({ columns: [], detectors: Array<unknown>(65).fill(detector) })).toEqual(['detectors: at most 64 rules']);
  });

  it('caps the number of reported errors', () => {
    expect(errorsOf({ columns: Array<unknown>(500).fill(1), detectors: [] })).toHaveLength(20);
  });

  it('never echoes the offending values or keys in its errors', () => {
    const secret = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
    const errors = errorsOf({
      [secret]: 1,
      columns: [{ pattern: `${secret}..x`, strategy: { kind: secret, [secret]: 1 } }],
      detectors: [{ detector: secret, strategy: { kind: 'partial', keepLast: secret } }],
    });
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).not.toContain(secret);
  });

  it('throws MaskPlanError with the errors from parseMaskPlan', () => {
    expect(() => parseMaskPlan({ columns: 'email', detectors: [] })).toThrow(MaskPlanError);
    try {
      parseMaskPlan({ columns: 'email', detectors: [] });
    } catch (error) {
      expect((error as MaskPlanError).errors).toEqual(['columns: expected an array']);
    }
    expect(parseMaskPlan({ columns: [], detectors: [] })).toEqual({ columns: [], detectors: [] });
  });
});
