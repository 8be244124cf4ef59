import { parseColumnPattern } from './column-pattern.js';
import {
  DETECTOR_NAMES,
  MASK_PLAN_LIMITS,
  type ColumnMaskRule,
  type DetectorMaskRule,
  type DetectorName,
  type MaskPlan,
  type MaskStrategy,
} from './mask-plan.js';

/**
 * Hand-written validation of a mask plan received as JSON (zod is not a dependency of this lib).
 *
 * Strict on purpose: unknown keys and unknown strategy kinds are errors, not ignored, because an
 * agent that silently dropped a field a newer control plane relies on would mask *less* than asked.
 * Error texts name the path and what was expected and never echo the offending value.
 */
export type MaskPlanValidation =
  { readonly ok: true; readonly plan: MaskPlan } | { readonly ok: false; readonly errors: readonly string[] };

export class MaskPlanError extends Error {
  override readonly name = 'MaskPlanError';
  constructor(readonly errors: readonly string[]) {
    super(`invalid mask plan: ${errors.join('; ')}`);
  }
}

/** Stop collecting after this many errors: a hostile plan must not produce a huge message. */
const MAX_REPORTED_ERRORS = 20;

const STRATEGY_KINDS = ['redact', 'partial', 'hash', 'null'] as const;

export function validateMaskPlan(input: unknown): MaskPlanValidation {
  const errors: string[] = [];
  const report = (path: string, message: string): void => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push(`${path}: ${message}`);
  };
  if (!isRecord(input)) return { ok: false, errors: ['plan: expected an object'] };
  checkKeys(input, ['columns', 'detectors'], 'plan', report);

  const columns: ColumnMaskRule[] = [];
  const rawColumns = input['columns'];
  if (!Array.isArray(rawColumns)) report('columns', 'expected an array');
  else if (rawColumns.length > MASK_PLAN_LIMITS.maxColumnRules) report('columns', `at most ${MASK_PLAN_LIMITS.maxColumnRules} rules`);
  else
    for (let index = 0; index < rawColumns.length; index++) {
      // Indexed, not forEach: a sparse array's holes must be reported, not skipped.
      const raw: unknown = rawColumns[index];
      const path = `columns[${index}]`;
      if (!isRecord(raw)) {
        report(path, 'expected an object');
        continue;
      }
      checkKeys(raw, ['pattern', 'strategy'], path, report);
      const pattern = raw['pattern'];
      let patternOk = false;
      if (typeof pattern !== 'string') report(`${path}.pattern`, 'expected a string');
      else if (pattern.length > MASK_PLAN_LIMITS.maxPatternLength)
        report(`${path}.pattern`, `at most ${MASK_PLAN_LIMITS.maxPatternLength} characters`);
      else {
        const parsed = parseColumnPattern(pattern);
        if (parsed.ok) patternOk = true;
        else report(`${path}.pattern`, parsed.error);
      }
      const strategy = checkStrategy(raw['strategy'], `${path}.strategy`, report);
      if (patternOk && typeof pattern === 'string' && strategy) columns.push({ pattern, strategy });
    }

  const detectors: DetectorMaskRule[] = [];
  const rawDetectors = input['detectors'];
  if (!Array.isArray(rawDetectors)) report('detectors', 'expected an array');
  else if (rawDetectors.length > MASK_PLAN_LIMITS.maxDetectorRules)
    report('detectors', `at most ${MASK_PLAN_LIMITS.maxDetectorRules} rules`);
  else
    for (let index = 0; index < rawDetectors.length; index++) {
      const raw: unknown = rawDetectors[index];
      const path = `detectors[${index}]`;
      if (!isRecord(raw)) {
        report(path, 'expected an object');
        continue;
      }
      checkKeys(raw, ['detector', 'strategy'], path, report);
      const detector = raw['detector'];
      const detectorOk = isDetectorName(detector);
      if (!detectorOk) report(`${path}.detector`, `expected one of ${DETECTOR_NAMES.join(', ')}`);
      const strategy = checkStrategy(raw['strategy'], `${path}.strategy`, report);
      if (detectorOk && strategy) detectors.push({ detector, strategy });
    }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, plan: { columns, detectors } };
}

/** `validateMaskPlan` for callers that want an exception (`MaskPlanError`) instead of a result. */
export function parseMaskPlan(input: unknown): MaskPlan {
  const result = validateMaskPlan(input);
  if (!result.ok) throw new MaskPlanError(result.errors);
  return result.plan;
}

export function isDetectorName(value: unknown): value is DetectorName {
  return typeof value === 'string' && (DETECTOR_NAMES as readonly string[]).includes(value);
}

/** Returns a fresh strategy object holding only the known fields, or undefined after reporting. */
function checkStrategy(raw: unknown, path: string, report: (path: string, message: string) => void): MaskStrategy | undefined {
  if (!isRecord(raw)) {
    report(path, 'expected an object');
    return undefined;
  }
  const kind = raw['kind'];
  switch (kind) {
    case 'redact':
    case 'hash':
    case 'null':
      checkKeys(raw, ['kind'], path, report);
      return { kind };
    case 'partial': {
      checkKeys(raw, ['kind', 'keepLast'], path, report);
      const keepLast = raw['keepLast'];
      if (typeof keepLast !== 'number' || !Number.isInteger(keepLast) || keepLast < 0 || keepLast > MASK_PLAN_LIMITS.maxKeepLast) {
        report(`${path}.keepLast`, `expected an integer from 0 to ${MASK_PLAN_LIMITS.maxKeepLast}`);
        return undefined;
      }
      return { kind, keepLast };
    }
    default:
      report(`${path}.kind`, `expected one of ${STRATEGY_KINDS.join(', ')}`);
      return undefined;
  }
}

function checkKeys(
  record: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  report: (path: string, message: string) => void,
): void {
  for (const key of Object.keys(record)) {
    // The key is not echoed: it is attacker-controlled text of any length.
    if (!allowed.includes(key)) report(path, `unexpected property (allowed: ${allowed.join(', ')})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
