import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeMaskPlans, type MaskPlan, type MaskStrategy } from './mask-plan.js';

const strategyArb: fc.Arbitrary<MaskStrategy> = fc.oneof(
  fc.constant({ kind: 'redact' as const }),
  fc.constant({ kind: 'hash' as const }),
  fc.constant({ kind: 'null' as const }),
  fc.integer({ min: 0, max: 32 }).map((keepLast) => ({ kind: 'partial' as const, keepLast })),
);

describe('mergeMaskPlans', () => {
  it('keeps the stronger strategy: null > redact > hash > partial (fewer kept characters is stronger)', () => {
    const plan = (strategy: MaskStrategy): MaskPlan => ({ columns: [{ pattern: 'c', strategy }], detectors: [] });
    const strongest = (a: MaskStrategy, b: MaskStrategy) => mergeMaskPlans([plan(a), plan(b)]).columns[0]?.strategy;
    expect(strongest({ kind: 'redact' }, { kind: 'null' })).toEqual({ kind: 'null' });
    expect(strongest({ kind: 'hash' }, { kind: 'redact' })).toEqual({ kind: 'redact' });
    expect(strongest({ kind: 'partial', keepLast: 0 }, { kind: 'hash' })).toEqual({ kind: 'hash' });
    expect(strongest({ kind: 'partial', keepLast: 4 }, { kind: 'partial', keepLast: 2 })).toEqual({ kind: 'partial', keepLast: 2 });
  });

  it('is order-independent in what it decides per column', () => {
    fc.assert(
      fc.property(fc.array(strategyArb, { minLength: 1, maxLength: 5 }), (strategies) => {
        const plans = strategies.map((strategy) => ({
          columns: [{ pattern: 'email', strategy }],
          detectors: [{ detector: 'card' as const, strategy }],
        }));
        const forward = mergeMaskPlans(plans);
        const backward = mergeMaskPlans([...plans].reverse());
        expect(forward).toEqual(backward);
        expect(forward.columns).toHaveLength(1);
      }),
    );
  });
});
