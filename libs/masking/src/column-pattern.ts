/**
 * Column name patterns of a mask plan: `email`, `*.email`, `customers.email`,
 * `public.customers.email`, `*.card_*`, `"CamelCase"."Table.With.Dots".email`.
 *
 * - A pattern has one to three dot-separated segments; missing leading segments mean "any", so
 *   `email` ≡ `*.email` ≡ `*.*.email`.
 * - Unquoted segments match case-insensitively: PostgreSQL folds unquoted identifiers to lower case
 *   and MySQL column names are case-insensitive, so a plan author writing `Email` means `email`.
 * - `"Quoted"` segments match exactly, case-sensitively, with `""` for a literal quote; `*` inside
 *   quotes is a literal star.
 * - `*` in an unquoted segment is a glob within that segment (never crosses a dot). A segment that is
 *   exactly `*` also matches an *unknown* schema or table (a computed column has none): masking
 *   more is the safe direction.
 */

export interface ColumnRef {
  readonly schema?: string | undefined;
  readonly table?: string | undefined;
  readonly column: string;
}

type SegmentMatcher =
  | { readonly kind: 'any' }
  /** Unquoted, no star: compared with the lower-cased name. */
  | { readonly kind: 'folded'; readonly text: string }
  /** Quoted: compared with the name as stored. */
  | { readonly kind: 'exact'; readonly text: string }
  /** Unquoted with stars: globbed against the lower-cased name. */
  | { readonly kind: 'glob'; readonly text: string };

export interface ColumnPattern {
  readonly schema: SegmentMatcher;
  readonly table: SegmentMatcher;
  readonly column: SegmentMatcher;
  /** Equal for patterns that match exactly the same columns; used to merge plans. */
  readonly key: string;
}

export type ColumnPatternParse = { readonly ok: true; readonly pattern: ColumnPattern } | { readonly ok: false; readonly error: string };

const ANY: SegmentMatcher = { kind: 'any' };
const QUOTE = 0x22;
const DOT = 0x2e;
const STAR = '*';

/** Parses one pattern; the error text never repeats the pattern (it may be long or odd). */
export function parseColumnPattern(source: string): ColumnPatternParse {
  if (source.length === 0) return { ok: false, error: 'must not be empty' };
  const segments: SegmentMatcher[] = [];
  let i = 0;
  for (;;) {
    if (source.charCodeAt(i) === QUOTE) {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) return { ok: false, error: 'unterminated quoted name' };
        if (source.charCodeAt(j) === QUOTE) {
          if (source.charCodeAt(j + 1) !== QUOTE) break;
          text += '"';
          j += 2;
          continue;
        }
        text += source.charAt(j);
        j++;
      }
      if (text.length === 0) return { ok: false, error: 'quoted name must not be empty' };
      if (hasControlCharacter(text)) return { ok: false, error: 'names must not contain control characters' };
      segments.push({ kind: 'exact', text });
      i = j + 1;
    } else {
      let j = i;
      while (j < source.length && source.charCodeAt(j) !== DOT && source.charCodeAt(j) !== QUOTE) j++;
      const text = source.slice(i, j);
      if (text.length === 0) return { ok: false, error: 'empty name segment' };
      if (/\s/u.test(text) || hasControlCharacter(text)) {
        return { ok: false, error: 'unquoted names must not contain spaces or control characters (quote them)' };
      }
      segments.push(unquotedSegment(text));
      i = j;
    }
    if (i === source.length) break;
    if (source.charCodeAt(i) !== DOT) return { ok: false, error: 'quotes must enclose a whole name segment' };
    i++;
    if (i === source.length) return { ok: false, error: 'empty name segment' };
  }
  if (segments.length > 3) return { ok: false, error: 'at most three segments (schema.table.column)' };
  while (segments.length < 3) segments.unshift(ANY);
  const [schema = ANY, table = ANY, column = ANY] = segments;
  return { ok: true, pattern: { schema, table, column, key: [schema, table, column].map(segmentKey).join('\u0000') } };
}

function unquotedSegment(text: string): SegmentMatcher {
  if (text === STAR || /^\*+$/u.test(text)) return ANY;
  const folded = text.toLowerCase();
  return text.includes(STAR) ? { kind: 'glob', text: folded } : { kind: 'folded', text: folded };
}

function segmentKey(segment: SegmentMatcher): string {
  switch (segment.kind) {
    case 'any':
      return '*';
    case 'folded':
      return `u:${segment.text}`;
    case 'exact':
      return `q:${segment.text}`;
    case 'glob':
      return `g:${segment.text}`;
  }
}

function hasControlCharacter(text: string): boolean {
  return /\p{Cc}/u.test(text);
}

/**
 * A column reference with its names lower-cased once, so that checking it against many patterns does
 * not fold the same names again for every rule.
 */
export interface FoldedColumnRef {
  readonly ref: ColumnRef;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string;
}

export function foldColumnRef(ref: ColumnRef): FoldedColumnRef {
  return { ref, schema: ref.schema?.toLowerCase(), table: ref.table?.toLowerCase(), column: ref.column.toLowerCase() };
}

export function matchesColumn(pattern: ColumnPattern, folded: FoldedColumnRef): boolean {
  return (
    matchesSegment(pattern.column, folded.ref.column, folded.column) &&
    matchesSegment(pattern.table, folded.ref.table, folded.table) &&
    matchesSegment(pattern.schema, folded.ref.schema, folded.schema)
  );
}

/** Whether the pattern names a column of this table: it has a table part, and table and schema match. */
export function matchesTable(pattern: ColumnPattern, folded: FoldedColumnRef): boolean {
  return (
    pattern.table.kind !== 'any' &&
    matchesSegment(pattern.table, folded.ref.table, folded.table) &&
    matchesSegment(pattern.schema, folded.ref.schema, folded.schema)
  );
}

function matchesSegment(segment: SegmentMatcher, name: string | undefined, foldedName: string | undefined): boolean {
  switch (segment.kind) {
    case 'any':
      return true;
    case 'folded':
      return foldedName === segment.text;
    case 'exact':
      return name === segment.text;
    case 'glob':
      return foldedName !== undefined && globMatch(segment.text, foldedName);
  }
}

/**
 * `*`-only glob, iterative with one backtrack point: O(pattern × name) in the worst case and no
 * regular expression, so a pattern like `*a*a*a*b` cannot backtrack exponentially.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === STAR) {
      star = p++;
      resume = n;
    } else if (pc !== undefined && pc === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === STAR) p++;
  return p === pattern.length;
}
