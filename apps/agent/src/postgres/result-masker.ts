import {
  DETECTOR_NAMES,
  compileMaskPlan,
  mergeMaskPlans,
  type ColumnRef,
  type MaskFunction,
  type MaskMatcher,
  type MaskPlan,
} from '@sluice/masking';
import { decodeBackendMessage, encodeBackendMessage, type BackendFrame, type ColumnDescription } from '@sluice/postgres-wire';
import type { ColumnOrigin } from './column-origin.js';

/**
 * Types whose text and binary wire formats are both the plain UTF-8 string, so a masked string can
 * be written back in either format (text, varchar, bpchar, name, "char", unknown).
 */
const STRING_TYPES: ReadonlySet<number> = new Set([25, 1043, 1042, 19, 18, 705]);
/** json and jsonb: in text format a masked value is written as a JSON string, so drivers still parse it. */
const JSON_TYPES: ReadonlySet<number> = new Set([114, 3802]);
/** Types whose text format is a string a masked string can replace. */
const TEXT_FORMAT_STRING_TYPES: ReadonlySet<number> = new Set([...STRING_TYPES, ...JSON_TYPES]);

/**
 * Scalar types a computed column may have without carrying a masked string whole (numbers, booleans,
 * times, uuids). A computed column of any other type — text, json, arrays, records — over tables with
 * column rules gets the strictest of those rules.
 */
const SCALAR_TYPES: ReadonlySet<number> = new Set([16, 20, 21, 23, 26, 700, 701, 1700, 790, 1082, 1083, 1114, 1184, 1186, 1266, 2950]);

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

  /**
   * `tables`: what the statement reads and writes (`schema.table` as the classifier renders them): a
   * computed column (`secret || ''`, a UNION, a whole row, a scalar subquery) may carry any of their
   * values, so one of a non-scalar type gets the strictest column rule on those tables.
   */
  static forColumns(
    columns: readonly ColumnDescription[],
    origins: readonly (ColumnOrigin | undefined)[],
    mask: CompiledMask,
    tables: readonly string[] = [],
  ): ResultMasker {
    const computed = mask.matcher.forTables(tables.map(tableRef));
    return new ResultMasker(columns.map((column, i) => maskFor(column, origins[i], mask, computed)));
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

function maskFor(
  column: ColumnDescription,
  origin: ColumnOrigin | undefined,
  mask: CompiledMask,
  computed: MaskFunction | undefined,
): ValueMask | undefined {
  const binary = column.format === 1;
  const isString = binary ? STRING_TYPES.has(column.typeOid) : TEXT_FORMAT_STRING_TYPES.has(column.typeOid);
  const json = !binary && JSON_TYPES.has(column.typeOid);
  if (column.tableOid === 0) {
    if (computed && !SCALAR_TYPES.has(column.typeOid)) return applying(computed, isString, json);
    return scanning(mask.unknownProvenance, isString, json);
  }
  // A table column whose origin could not be resolved (catalog lookup failed): nothing is known of it.
  if (origin === undefined) return () => null;
  const named = namedMaskFor(origin, mask.matcher);
  if (named) return applying(named, isString, json);
  if (origin.unknownProvenance) return scanning(mask.unknownProvenance, isString, json);
  return mask.matcher.scansText ? scanning(mask.matcher, isString, json) : undefined;
}

/** A rule's strategy on a value; a type whose value cannot be rewritten as a string becomes NULL. */
function applying(named: MaskFunction, isString: boolean, json: boolean): ValueMask {
  if (!isString) return () => null;
  return (value) => {
    const masked = named(value.toString('utf8'));
    if (masked === null) return null;
    return Buffer.from(json ? JSON.stringify(masked) : masked, 'utf8');
  };
}

/** `schema.table` or `table` as the classifier renders it (quoted parts keep dots and quotes) → a ref. */
export function tableRef(name: string): ColumnRef {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const char = name.charAt(i);
    if (char === '"') {
      if (quoted && name[i + 1] === '"') {
        current += '"';
        i += 1;
      } else quoted = !quoted;
    } else if (char === '.' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  const table = parts.at(-1) ?? '';
  const schema = parts.length >= 2 ? parts.at(-2) : undefined;
  return { ...(schema !== undefined ? { schema } : {}), table, column: '' };
}

/** Detector scan of a value; a non-string type cannot be partly rewritten, so any finding nulls it. */
function scanning(matcher: MaskMatcher, isString: boolean, json = false): ValueMask {
  return (value) => {
    const text = value.toString('utf8');
    const scanned = matcher.scanText(text);
    if (scanned === text) return value;
    if (!isString || (json && !isJson(scanned))) return null;
    return Buffer.from(scanned, 'utf8');
  };
}

/** A finding outside a JSON string (a card number as a JSON number) leaves no valid JSON: NULL then. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
