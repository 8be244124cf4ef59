import { DETECTOR_NAMES, compileMaskPlan, mergeMaskPlans, type MaskFunction, type MaskMatcher, type MaskPlan } from '@sluice/masking';
import { decodeBackendMessage, encodeBackendMessage, type BackendFrame, type ColumnDescription } from '@sluice/postgres-wire';
import type { ColumnOrigin } from './column-origin.js';

/**
 * Types whose text and binary wire formats are both the plain UTF-8 string, so a masked string can
 * be written back in either format (text, varchar, bpchar, name, "char", unknown).
 */
const STRING_TYPES: ReadonlySet<number> = new Set([25, 1043, 1042, 19, 18, 705]);
/** Types whose text format is a string a masked string can replace (json keeps its type only in text). */
const TEXT_FORMAT_STRING_TYPES: ReadonlySet<number> = new Set([...STRING_TYPES, 114]);

type ValueMask = (value: Buffer) => Buffer | null;

/** Every detector, redacting: applied to columns whose origin PostgreSQL cannot tell us (`upper(email)`). */
const UNKNOWN_PROVENANCE_PLAN: MaskPlan = {
  columns: [],
  detectors: DETECTOR_NAMES.map((detector) => ({ detector, strategy: { kind: 'redact' } })),
};

/** A mask plan compiled once per decision, for the agent's hash key. */
export interface CompiledMask {
  readonly matcher: MaskMatcher;
  /** The plan's detectors plus every detector: for computed columns. */
  readonly unknownProvenance: MaskMatcher;
}

export function compileMask(plan: MaskPlan, hashKey: Uint8Array): CompiledMask {
  return {
    matcher: compileMaskPlan(plan, { hashKey }),
    unknownProvenance: compileMaskPlan(mergeMaskPlans([plan, UNKNOWN_PROVENANCE_PLAN]), { hashKey }),
  };
}

/**
 * How to rewrite the DataRows of one result set. Built from its RowDescription once the column
 * origins are resolved; an `undefined` origin means "origin unknown" and gets every detector.
 *
 * Rules (fail closed):
 * - a column a rule names — under any of its origin's candidate names (a partition's parent, a view
 *   column's base column), or, for a computed view column, any base column the view reads — is
 *   masked with that rule's strategy; if its type is not a string type, or it is sent in binary for a
 *   type whose binary form is not the string, the value becomes NULL;
 * - a column of a known user table that no rule names is scanned with the plan's detectors;
 * - a computed column (table OID 0), one whose table could not be resolved, a system catalog column
 *   (`pg_stat_activity.query`) and a computed view column are scanned with every detector, so
 *   `upper(email)`, `email || ''` or another session's statement text do not slip through;
 * - NULL stays NULL.
 */
export class ResultMasker {
  private constructor(private readonly masks: readonly (ValueMask | undefined)[] | 'all-null') {}

  static forColumns(
    columns: readonly ColumnDescription[],
    origins: readonly (ColumnOrigin | undefined)[],
    mask: CompiledMask,
  ): ResultMasker {
    return new ResultMasker(columns.map((column, i) => maskFor(column, origins[i], mask)));
  }

  /** For rows whose columns are unknown: every value becomes NULL (fail closed). */
  static redactAll(): ResultMasker {
    return new ResultMasker('all-null');
  }

  rewrite(frame: BackendFrame): Buffer {
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'DataRow') return frame.raw;
    const masks = this.masks;
    const values =
      masks === 'all-null'
        ? message.values.map(() => null)
        : message.values.map((value, i) => {
            const mask = masks[i];
            return value === null || mask === undefined ? value : mask(value);
          });
    return encodeBackendMessage({ kind: 'DataRow', values });
  }
}

/**
 * The column rule for a column of this origin: the strictest rule naming any of its candidates
 * (so `customers.ssn` partial cannot win over `vip.ssn` redact for a vip row read through
 * `customers`), else (a computed view column) the strictest naming a base column it may be derived
 * from. Matching is the matcher's (case-insensitive for unquoted patterns).
 */
export function namedMaskFor(origin: ColumnOrigin, matcher: MaskMatcher): MaskFunction | undefined {
  return matcher.forAnyColumn(origin.candidates) ?? matcher.forAnyColumn(origin.dependencies);
}

function maskFor(column: ColumnDescription, origin: ColumnOrigin | undefined, mask: CompiledMask): ValueMask | undefined {
  const binary = column.format === 1;
  const isString = binary ? STRING_TYPES.has(column.typeOid) : TEXT_FORMAT_STRING_TYPES.has(column.typeOid);
  if (column.tableOid === 0 || origin === undefined) return scanning(mask.unknownProvenance, isString);
  const named = namedMaskFor(origin, mask.matcher);
  if (named) {
    if (!isString) return () => null;
    return (value) => {
      const masked = named(value.toString('utf8'));
      return masked === null ? null : Buffer.from(masked, 'utf8');
    };
  }
  if (origin.unknownProvenance) return scanning(mask.unknownProvenance, isString);
  return mask.matcher.scansText ? scanning(mask.matcher, isString) : undefined;
}

/** Detector scan of a value; a non-string type cannot be partly rewritten, so any finding nulls it. */
function scanning(matcher: MaskMatcher, isString: boolean): ValueMask {
  return (value) => {
    const text = value.toString('utf8');
    const scanned = matcher.scanText(text);
    if (scanned === text) return value;
    return isString ? Buffer.from(scanned, 'utf8') : null;
  };
}
