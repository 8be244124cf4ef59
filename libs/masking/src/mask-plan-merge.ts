import { parseColumnPattern } from './column-pattern.js';
import {
  compareStrictness,
  type ColumnMaskRule,
  type DetectorMaskRule,
  type DetectorName,
  type MaskPlan,
  type MaskStrategy,
} from './mask-plan.js';
import { MaskPlanError, validateMaskPlan } from './mask-plan-validator.js';

/**
 * Union of several plans (e.g. one per matching policy rule). When two rules name the same column
 * — patterns that match exactly the same columns, so `email`, `*.email` and `EMAIL` are one — or the
 * same detector, the stricter strategy wins: null > redact > hash > partial (smaller keepLast first).
 * Overlapping but different patterns (`email` and `public.users.email`) are both kept; the compiled
 * plan applies the strictest rule that matches a column.
 *
 * Every input is validated first; an invalid one throws `MaskPlanError` (paths prefixed `plans[i].`).
 * Rules keep the order in which they were first seen, with the first-seen pattern text.
 */
export function mergeMaskPlans(plans: readonly unknown[]): MaskPlan {
  const columns = new Map<string, ColumnMaskRule>();
  const detectors = new Map<DetectorName, DetectorMaskRule>();
  const errors: string[] = [];
  plans.forEach((input, index) => {
    const result = validateMaskPlan(input);
    if (!result.ok) {
      errors.push(...result.errors.map((error) => `plans[${index}].${error}`));
      return;
    }
    for (const rule of result.plan.columns) {
      const parsed = parseColumnPattern(rule.pattern);
      if (!parsed.ok) continue; // unreachable: validation parsed it already
      const existing = columns.get(parsed.pattern.key);
      columns.set(parsed.pattern.key, {
        pattern: existing?.pattern ?? rule.pattern,
        strategy: stricter(existing?.strategy, rule.strategy),
      });
    }
    for (const rule of result.plan.detectors) {
      detectors.set(rule.detector, { detector: rule.detector, strategy: stricter(detectors.get(rule.detector)?.strategy, rule.strategy) });
    }
  });
  if (errors.length > 0) throw new MaskPlanError(errors);
  return { columns: [...columns.values()], detectors: [...detectors.values()] };
}

function stricter(current: MaskStrategy | undefined, candidate: MaskStrategy): MaskStrategy {
  return current === undefined || compareStrictness(candidate, current) > 0 ? candidate : current;
}
