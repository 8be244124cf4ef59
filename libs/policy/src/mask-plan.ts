// The mask plan a `mask` decision carries to the agent. This shape is shared with @sluice/masking
// (DESIGN.md "Masking"): keep it field for field.

export const MASK_DETECTORS = ['email', 'card', 'iban', 'ssn', 'phone', 'jwt', 'cloud-key', 'private-key', 'secret'] as const;
export type MaskDetector = (typeof MASK_DETECTORS)[number];

export type MaskStrategy =
  | { readonly kind: 'redact' }
  | { readonly kind: 'partial'; readonly keepLast: number }
  | { readonly kind: 'hash' }
  | { readonly kind: 'null' };

export interface MaskColumnRule {
  /** Column name pattern, e.g. `email`, `*.customers.card_number` (interpreted by @sluice/masking). */
  readonly pattern: string;
  readonly strategy: MaskStrategy;
}

export interface MaskDetectorRule {
  readonly detector: MaskDetector;
  readonly strategy: MaskStrategy;
}

export interface MaskPlan {
  readonly columns: readonly MaskColumnRule[];
  readonly detectors: readonly MaskDetectorRule[];
}

/**
 * How much of a value a strategy lets through; higher is stronger. `null` and `redact` reveal
 * nothing of the value, `hash` reveals equality, `partial` reveals its last characters (fewer is
 * stronger).
 */
function strategyStrength(strategy: MaskStrategy): number {
  switch (strategy.kind) {
    case 'null':
      return 1_000_003;
    case 'redact':
      return 1_000_002;
    case 'hash':
      return 1_000_001;
    case 'partial':
      return 1_000_000 - strategy.keepLast;
  }
}

function stronger(a: MaskStrategy, b: MaskStrategy): MaskStrategy {
  return strategyStrength(b) > strategyStrength(a) ? b : a;
}

/**
 * Union of several plans. When two rules mask the same column pattern (exact text) or the same
 * detector with different strategies, the stronger strategy wins, so adding a mask rule can never
 * reveal more. Order: first appearance.
 */
export function mergeMaskPlans(plans: readonly MaskPlan[]): MaskPlan {
  const columns = new Map<string, MaskColumnRule>();
  const detectors = new Map<MaskDetector, MaskDetectorRule>();
  for (const plan of plans) {
    for (const column of plan.columns) {
      const seen = columns.get(column.pattern);
      columns.set(column.pattern, seen ? { pattern: column.pattern, strategy: stronger(seen.strategy, column.strategy) } : column);
    }
    for (const rule of plan.detectors) {
      const seen = detectors.get(rule.detector);
      detectors.set(rule.detector, seen ? { detector: rule.detector, strategy: stronger(seen.strategy, rule.strategy) } : rule);
    }
  }
  return { columns: [...columns.values()], detectors: [...detectors.values()] };
}
