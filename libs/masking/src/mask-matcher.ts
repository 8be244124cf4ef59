import { foldColumnRef, matchesColumn, matchesTable, parseColumnPattern, type ColumnPattern, type ColumnRef } from './column-pattern.js';
import { DETECTORS, type Detector } from './detectors/detector-registry.js';
import { compareStrictness, type MaskPlan, type MaskStrategy } from './mask-plan.js';
import { mergeMaskPlans } from './mask-plan-merge.js';
import {
  compileStrategy,
  compileTextStrategy,
  importHashKey,
  maskPartial,
  type MaskFunction,
  type TextMaskFunction,
} from './mask-strategy.js';

export interface CompileMaskPlanOptions {
  /** HMAC-SHA256 key of the `hash` strategy, at least 16 bytes (32 random bytes recommended). */
  readonly hashKey: Uint8Array;
}

/** A mask plan compiled for the hot path: build once per decision, use per column and per value. */
export interface MaskMatcher {
  /**
   * The mask for a result column, or `undefined` when no column rule names it. When several
   * patterns match, the strictest strategy wins. Call once per column; the function runs per value.
   */
  forColumn(ref: ColumnRef): MaskFunction | undefined;
  /**
   * The strictest column rule that names any of `refs` (several names of one column's values: a
   * view column and its base column, a partition and its parent), or undefined.
   */
  forAnyColumn(refs: readonly ColumnRef[]): MaskFunction | undefined;
  /**
   * The strictest column rule whose pattern names a table among `tables` (only the schema and
   * table of each ref are read), or undefined. For values computed from those tables' columns.
   */
  forTables(tables: readonly ColumnRef[]): MaskFunction | undefined;
  /**
   * The text with every detector finding replaced (the same string when nothing is found). Used for
   * columns of unknown provenance (`upper(email)`) and JSON string values. A `null` strategy
   * redacts the finding: part of a text cannot be NULL.
   */
  scanText(value: string): string;
  /** False when the plan has no detector rules, so callers can skip `scanText` altogether. */
  readonly scansText: boolean;
}

interface CompiledColumnRule {
  readonly pattern: ColumnPattern;
  readonly strategy: MaskStrategy;
  readonly mask: MaskFunction;
}

interface CompiledDetectorRule {
  readonly detector: Detector;
  readonly strategy: MaskStrategy;
  readonly mask: TextMaskFunction;
}

interface Hit {
  readonly start: number;
  readonly end: number;
  readonly rule: CompiledDetectorRule;
}

/**
 * Validates (throws `MaskPlanError`), de-duplicates and compiles a plan. Strategy functions are built
 * once and shared, so `forColumn` allocates nothing but a folded copy of the names.
 */
export function compileMaskPlan(plan: MaskPlan, options: CompileMaskPlanOptions): MaskMatcher {
  const key = importHashKey(options.hashKey);
  const { columns, detectors } = mergeMaskPlans([plan]);

  // Strictest first, so the first matching rule is the one to apply.
  const columnRules: CompiledColumnRule[] = columns
    .map((rule) => {
      const parsed = parseColumnPattern(rule.pattern);
      if (!parsed.ok) throw new Error('unreachable: pattern validated by mergeMaskPlans');
      return { pattern: parsed.pattern, strategy: rule.strategy, mask: compileStrategy(rule.strategy, key) };
    })
    .sort((a, b) => compareStrictness(b.strategy, a.strategy));

  const detectorRules: CompiledDetectorRule[] = detectors.map((rule) => ({
    detector: DETECTORS[rule.detector],
    strategy: rule.strategy,
    mask: compileTextStrategy(rule.strategy, key),
  }));
  const minLength = Math.min(...detectorRules.map((rule) => rule.detector.minLength));

  return {
    scansText: detectorRules.length > 0,
    forColumn(ref) {
      if (columnRules.length === 0) return undefined;
      const folded = foldColumnRef(ref);
      for (const rule of columnRules) if (matchesColumn(rule.pattern, folded)) return rule.mask;
      return undefined;
    },
    forTables(tables) {
      if (columnRules.length === 0 || tables.length === 0) return undefined;
      const folded = tables.map(foldColumnRef);
      for (const rule of columnRules) if (folded.some((table) => matchesTable(rule.pattern, table))) return rule.mask;
      return undefined;
    },
    forAnyColumn(refs) {
      if (columnRules.length === 0 || refs.length === 0) return undefined;
      const folded = refs.map(foldColumnRef);
      // Rules are sorted strictest first: the first that names any of the names wins.
      for (const rule of columnRules) if (folded.some((ref) => matchesColumn(rule.pattern, ref))) return rule.mask;
      return undefined;
    },
    scanText(value) {
      if (value.length < minLength) return value;
      let hits: Hit[] | undefined;
      for (const rule of detectorRules) {
        if (value.length < rule.detector.minLength) continue;
        for (const span of rule.detector.find(value)) (hits ??= []).push({ start: span.start, end: span.end, rule });
      }
      return hits === undefined ? value : rewrite(value, hits);
    },
  };
}

/**
 * Replaces the hits left to right. Overlapping hits (a JWT that is also a high-entropy secret) are
 * merged into one range masked with the strictest of their strategies, so no part of either leaks.
 * A `partial` over hits of *different* ranges keeps nothing: its kept tail could otherwise be all of
 * a short finding that ends where the merged range ends.
 */
function rewrite(value: string, hits: Hit[]): string {
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let cursor = 0;
  let k = 0;
  while (k < hits.length) {
    const first = hits[k++];
    if (first === undefined) break;
    let end = first.end;
    let rule = first.rule;
    let sameRange = true;
    for (let next = hits[k]; next !== undefined && next.start < end; next = hits[++k]) {
      end = Math.max(end, next.end);
      sameRange &&= next.start === first.start && next.end === first.end;
      if (compareStrictness(next.rule.strategy, rule.strategy) > 0) rule = next.rule;
    }
    const found = value.slice(first.start, end);
    out += value.slice(cursor, first.start) + (sameRange || rule.strategy.kind !== 'partial' ? rule.mask(found) : maskPartial(found, 0));
    cursor = end;
  }
  return out + value.slice(cursor);
}
