/**
 * The mask plan: what the control plane sends the agent for one decision (DESIGN.md "Masking").
 * It is plain JSON so it can travel inside the agent link unchanged; validate it with
 * `validateMaskPlan` at the boundary, then `compileMaskPlan` it once per decision.
 */

/** Content detectors, in the order they are documented in the README. */
export const DETECTOR_NAMES = ['email', 'card', 'iban', 'ssn', 'phone', 'jwt', 'cloud-key', 'private-key', 'secret'] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * How a value (or a finding inside free text) is rewritten. From strictest to weakest:
 * `null` > `redact` > `hash` > `partial` (a smaller `keepLast` is stricter) — see `compareStrictness`.
 */
export type MaskStrategy =
  /** Replaced by `REDACTED_MARKER` ('[redacted]'). */
  | { readonly kind: 'redact' }
  /**
   * Every letter/digit except the last `keepLast` (at most half of them, from the last group only)
   * becomes '*'; separators stay ('***-**-6789'). See `maskPartial`.
   */
  | { readonly kind: 'partial'; readonly keepLast: number }
  /** 'h:' + 16 hex digits of HMAC-SHA256(hashKey, value): equal inputs stay joinable. */
  | { readonly kind: 'hash' }
  /** SQL NULL for a whole column value; inside free text a finding is redacted instead. */
  | { readonly kind: 'null' };

export type MaskStrategyKind = MaskStrategy['kind'];

export interface ColumnMaskRule {
  /**
   * `column`, `table.column` or `schema.table.column`. Unquoted names match case-insensitively and
   * may use `*` as a glob within one segment; `"Quoted"` names match exactly (and may contain dots).
   */
  readonly pattern: string;
  readonly strategy: MaskStrategy;
}

export interface DetectorMaskRule {
  readonly detector: DetectorName;
  readonly strategy: MaskStrategy;
}

export interface MaskPlan {
  readonly columns: readonly ColumnMaskRule[];
  readonly detectors: readonly DetectorMaskRule[];
}

/** The fixed text that replaces a redacted value or finding. */
export const REDACTED_MARKER = '[redacted]';

/** Limits that keep a hostile or broken plan from costing the agent unbounded work per column. */
export const MASK_PLAN_LIMITS = {
  maxColumnRules: 1000,
  maxDetectorRules: 64,
  maxPatternLength: 256,
  /** Partial masking reveals at most this many characters: a longer tail is not masking. */
  maxKeepLast: 16,
} as const;

const STRICTNESS: Readonly<Record<MaskStrategyKind, number>> = { null: 3, redact: 2, hash: 1, partial: 0 };

/**
 * Positive when `a` reveals less than `b`, negative when it reveals more, 0 when equal:
 * null > redact > hash > partial, and between two partials the smaller `keepLast` wins.
 */
export function compareStrictness(a: MaskStrategy, b: MaskStrategy): number {
  const byKind = STRICTNESS[a.kind] - STRICTNESS[b.kind];
  if (byKind !== 0) return byKind;
  if (a.kind === 'partial' && b.kind === 'partial') return b.keepLast - a.keepLast;
  return 0;
}
