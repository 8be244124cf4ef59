// Which JSON values a mask plan's field rules name (docs/http.md, "Field patterns"). A mask plan's
// `columns` patterns are read here as JSON field patterns: either key names matched at the end of
// a value's key path (the column-pattern grammar of libs/masking, applied to JSON keys), or
// anchored JSONPath expressions (a subset of RFC 9535) starting with `$`. Pure.
import { compareStrictness, compileStrategy, type MaskFunction, type MaskPlan, type MaskStrategy } from '@sluice/masking';
import type { KeyObject } from 'node:crypto';

/** One step of a value's location: an object key or an array index. */
export type PathStep = string | number;

type KeyMatcher =
  /** Unquoted name without `*`: compared case-insensitively. */
  | { readonly kind: 'folded'; readonly text: string }
  /** Quoted name: exact. */
  | { readonly kind: 'exact'; readonly text: string }
  /** Unquoted name with `*`: a glob within the key, case-insensitive. */
  | { readonly kind: 'glob'; readonly text: string }
  | { readonly kind: 'any' };

type Selector =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  /** `*` / `[*]`: any member of an object or element of an array (RFC 9535 §2.3.2). */
  | { readonly kind: 'wildcard' }
  /** `..`: zero or more levels (RFC 9535 §2.5.2), followed by the next selector. */
  | { readonly kind: 'descend' };

export type FieldMatcher =
  | { readonly kind: 'key-suffix'; readonly segments: readonly KeyMatcher[] }
  | { readonly kind: 'json-path'; readonly selectors: readonly Selector[] };

export interface FieldRule {
  readonly matcher: FieldMatcher;
  readonly strategy: MaskStrategy;
  /** The replacement; `null` is JSON null. */
  readonly apply: MaskFunction;
  /** False when the replacement does not depend on the value (redact, null): the value is never buffered. */
  readonly needsValue: boolean;
}

export const MAX_JSON_PATH_SELECTORS = 32;

export type FieldPatternParse = { readonly ok: true; readonly matcher: FieldMatcher } | { readonly ok: false; readonly error: string };

/**
 * `email`, `customer.email`, `*.card_*`, `"Email"` → key-suffix patterns;
 * `$.users[*].email`, `$..password`, `$['odd.key'][0]` → JSONPath. A JSONPath with more than three
 * dot-separated parts, or with `..`, must be written as one quoted segment in a policy
 * (`'"$..password"'`), because the control plane validates every pattern with the column grammar.
 */
export function parseFieldPattern(source: string): FieldPatternParse {
  if (source.length === 0) return { ok: false, error: 'must not be empty' };
  const unquoted = singleQuotedSegment(source);
  if (unquoted?.startsWith('$')) return parseJsonPath(unquoted);
  if (source.startsWith('$')) return parseJsonPath(source);
  return parseKeySuffix(source);
}

function singleQuotedSegment(source: string): string | undefined {
  if (!source.startsWith('"') || !source.endsWith('"') || source.length < 2) return undefined;
  const inner = source.slice(1, -1);
  // Every quote inside must be doubled for this to be one segment.
  if (inner.replace(/""/g, '').includes('"')) return undefined;
  return inner.replace(/""/g, '"');
}

function parseKeySuffix(source: string): FieldPatternParse {
  const segments: KeyMatcher[] = [];
  let i = 0;
  for (;;) {
    if (source[i] === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) return { ok: false, error: 'unterminated quoted name' };
        if (source[j] === '"') {
          if (source[j + 1] !== '"') break;
          text += '"';
          j += 2;
          continue;
        }
        text += source.charAt(j);
        j++;
      }
      if (text === '') return { ok: false, error: 'quoted name must not be empty' };
      segments.push({ kind: 'exact', text });
      i = j + 1;
    } else {
      let j = i;
      while (j < source.length && source[j] !== '.' && source[j] !== '"') j++;
      const text = source.slice(i, j);
      if (text === '') return { ok: false, error: 'empty name segment' };
      segments.push(/^\*+$/.test(text) ? { kind: 'any' } : { kind: text.includes('*') ? 'glob' : 'folded', text: text.toLowerCase() });
      i = j;
    }
    if (i === source.length) break;
    if (source[i] !== '.') return { ok: false, error: 'quotes must enclose a whole name segment' };
    i++;
    if (i === source.length) return { ok: false, error: 'empty name segment' };
  }
  if (segments.length > MAX_JSON_PATH_SELECTORS) return { ok: false, error: `at most ${MAX_JSON_PATH_SELECTORS} segments` };
  return { ok: true, matcher: { kind: 'key-suffix', segments } };
}

const NAME_CHAR = /[A-Za-z0-9_\-$@:\u0080-\uffff]/;

function parseJsonPath(source: string): FieldPatternParse {
  const selectors: Selector[] = [];
  let i = 1; // after '$'
  const fail = (error: string): FieldPatternParse => ({ ok: false, error });
  while (i < source.length) {
    const c = source[i];
    if (c === '.') {
      if (source[i + 1] === '.') {
        selectors.push({ kind: 'descend' });
        i += 2;
        if (source[i] === '[') continue;
      } else i += 1;
      if (source[i] === '*') {
        selectors.push({ kind: 'wildcard' });
        i += 1;
        continue;
      }
      let j = i;
      while (j < source.length && NAME_CHAR.test(source[j] ?? '')) j++;
      if (j === i) return fail(`expected a member name at offset ${i}`);
      selectors.push({ kind: 'key', name: source.slice(i, j) });
      i = j;
    } else if (c === '[') {
      const close = readBracket(source, i);
      if (typeof close === 'string') return fail(close);
      selectors.push(close.selector);
      i = close.end;
    } else return fail(`unexpected character at offset ${i}`);
    if (selectors.length > MAX_JSON_PATH_SELECTORS) return fail(`at most ${MAX_JSON_PATH_SELECTORS} selectors`);
  }
  if (selectors.at(-1)?.kind === 'descend') return fail('`..` must be followed by a selector');
  return { ok: true, matcher: { kind: 'json-path', selectors } };
}

function readBracket(source: string, start: number): { selector: Selector; end: number } | string {
  const body = source[start + 1];
  if (body === '*') {
    if (source[start + 2] !== ']') return `expected ] at offset ${start + 2}`;
    return { selector: { kind: 'wildcard' }, end: start + 3 };
  }
  if (body === "'" || body === '"') {
    let name = '';
    let j = start + 2;
    for (;;) {
      const ch = source[j];
      if (ch === undefined) return 'unterminated quoted member name';
      if (ch === '\\') {
        const next = source[j + 1];
        if (next !== "'" && next !== '"' && next !== '\\') return `unsupported escape at offset ${j}`;
        name += next;
        j += 2;
        continue;
      }
      if (ch === body) break;
      name += ch;
      j++;
    }
    if (source[j + 1] !== ']') return `expected ] at offset ${j + 1}`;
    return { selector: { kind: 'key', name }, end: j + 2 };
  }
  const match = /^\[(0|[1-9][0-9]{0,8})\]/.exec(source.slice(start));
  if (match?.[1] !== undefined) return { selector: { kind: 'index', index: Number(match[1]) }, end: start + match[0].length };
  return `expected *, an index or a quoted name at offset ${start + 1}`;
}

/** Does `matcher` name the value at `path`? (Values below a named value are masked by the caller.) */
export function matchesPath(matcher: FieldMatcher, path: readonly PathStep[]): boolean {
  switch (matcher.kind) {
    case 'key-suffix':
      return matchesKeySuffix(matcher.segments, path);
    case 'json-path':
      return matchesSelectors(matcher.selectors, path);
  }
}

function matchesKeySuffix(segments: readonly KeyMatcher[], path: readonly PathStep[]): boolean {
  // The value must be an object member: the last step is a key.
  if (typeof path.at(-1) !== 'string') return false;
  let s = segments.length - 1;
  for (let p = path.length - 1; p >= 0 && s >= 0; p--) {
    const step = path[p];
    if (typeof step !== 'string') continue; // array levels are transparent
    const segment = segments[s];
    if (segment === undefined || !matchesKey(segment, step)) return false;
    s--;
  }
  return s < 0;
}

function matchesKey(segment: KeyMatcher, key: string): boolean {
  switch (segment.kind) {
    case 'any':
      return true;
    case 'exact':
      return key === segment.text;
    case 'folded':
      return key.toLowerCase() === segment.text;
    case 'glob':
      return globMatch(segment.text, key.toLowerCase());
  }
}

/** Selectors against a concrete path: a DP over (selector, step) so `..` never backtracks exponentially. */
function matchesSelectors(selectors: readonly Selector[], path: readonly PathStep[]): boolean {
  // reach[p] = the selectors consumed so far can end exactly after path step p-1.
  let reach = new Array<boolean>(path.length + 1).fill(false);
  reach[0] = true;
  for (const selector of selectors) {
    const next = new Array<boolean>(path.length + 1).fill(false);
    if (selector.kind === 'descend') {
      // Zero or more levels: everything at or after the first reachable point.
      let seen = false;
      for (let p = 0; p <= path.length; p++) {
        seen ||= reach[p] === true;
        next[p] = seen;
      }
    } else {
      for (let p = 0; p < path.length; p++) if (reach[p] && stepMatches(selector, path[p])) next[p + 1] = true;
    }
    reach = next;
  }
  return reach[path.length] === true;
}

function stepMatches(selector: Exclude<Selector, { kind: 'descend' }>, step: PathStep | undefined): boolean {
  switch (selector.kind) {
    case 'wildcard':
      return step !== undefined;
    case 'key':
      return step === selector.name;
    case 'index':
      return step === selector.index;
  }
}

/** `*`-only glob, iterative with one backtrack point (no regular expression). */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === '*') {
      star = p++;
      resume = n;
    } else if (pc !== undefined && pc === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The plan's `columns` as JSON field rules. A pattern this module cannot read is an error: the
 * caller refuses the response rather than mask less than the plan asked.
 */
export function compileFieldRules(plan: MaskPlan, hashKey: KeyObject): FieldRule[] | { readonly error: string } {
  const rules: FieldRule[] = [];
  for (const [index, column] of plan.columns.entries()) {
    const parsed = parseFieldPattern(column.pattern);
    if (!parsed.ok) return { error: `columns[${index}].pattern: ${parsed.error}` };
    rules.push({
      matcher: parsed.matcher,
      strategy: column.strategy,
      apply: compileStrategy(column.strategy, hashKey),
      needsValue: column.strategy.kind === 'partial' || column.strategy.kind === 'hash',
    });
  }
  return rules;
}

/** The strictest rule naming `path`, or `inherited` when it is stricter (or none names it). */
export function strictestRule(
  rules: readonly FieldRule[],
  path: readonly PathStep[],
  inherited: FieldRule | undefined,
): FieldRule | undefined {
  let best = inherited;
  for (const rule of rules) {
    if (!matchesPath(rule.matcher, path)) continue;
    if (best === undefined || compareStrictness(rule.strategy, best.strategy) > 0) best = rule;
  }
  return best;
}
