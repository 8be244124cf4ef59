// Globs for tables, HTTP paths, connection names and namespaces (README "Match"). No JS RegExp: the
// matchers below are the classic two-pointer wildcard algorithm, O(pattern × subject) at worst, so a
// pattern full of `*` cannot make matching explode.

import type { PatternResult } from './command-class-pattern.js';
import { MAX_PATTERN_LENGTH } from './policy-limits.js';

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `*` matches any run of characters (possibly empty). Both sides must already be lower-cased. */
export function wildcardMatches(pattern: string, subject: string): boolean {
  return twoPointerMatch(
    pattern.length,
    subject.length,
    (p) => pattern[p] === '*',
    (p, s) => pattern[p] === subject[s],
  );
}

/**
 * Matches two sequences where a "star" element of the pattern consumes zero or more subject
 * elements and every other pattern element consumes exactly one subject element it `fits`.
 */
function twoPointerMatch(
  patternLength: number,
  subjectLength: number,
  isStar: (p: number) => boolean,
  fits: (p: number, s: number) => boolean,
): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < subjectLength) {
    if (p < patternLength && isStar(p)) {
      starP = p++;
      starS = s;
    } else if (p < patternLength && fits(p, s)) {
      p++;
      s++;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (p < patternLength && isStar(p)) p++;
  return p === patternLength;
}

function checkPatternText(kind: string, source: string): string | undefined {
  if (source.length === 0) return `${kind} pattern is empty`;
  if (source.length > MAX_PATTERN_LENGTH) return `${kind} pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (CONTROL.test(source)) return `${kind} pattern contains a control character`;
  return undefined;
}

/** A single-segment glob: connection names, namespaces. Case-insensitive. */
export interface NameGlob {
  readonly source: string;
  readonly lower: string;
}

export function parseNameGlob(kind: string, source: string): PatternResult<NameGlob> {
  const problem = checkPatternText(kind, source);
  return problem === undefined ? { ok: true, pattern: { source, lower: source.toLowerCase() } } : { ok: false, message: problem };
}

export function nameGlobMatches(glob: NameGlob, subject: string): boolean {
  return wildcardMatches(glob.lower, subject.toLowerCase());
}

/**
 * A table glob on qualified names, segment by segment (`public.*`, `*.customers`). A pattern with
 * no dot matches the table name in any schema, so `customers` also catches `public.customers`.
 */
export interface TableGlob {
  readonly source: string;
  readonly segments: readonly string[];
}

export function parseTableGlob(source: string): PatternResult<TableGlob> {
  const problem = checkPatternText('table', source);
  if (problem !== undefined) return { ok: false, message: problem };
  const segments = source.toLowerCase().split('.');
  if (segments.some((segment) => segment.length === 0)) return { ok: false, message: `table pattern '${source}' has an empty segment` };
  return { ok: true, pattern: { source, segments } };
}

export function tableGlobMatches(glob: TableGlob, table: string): boolean {
  return tableGlobSegmentsMatch(glob, splitTableName(table));
}

/** Lower-cased dot-segments of a qualified table name. */
export function splitTableName(table: string): readonly string[] {
  return table.toLowerCase().split('.');
}

export function tableGlobSegmentsMatch(glob: TableGlob, parts: readonly string[]): boolean {
  if (glob.segments.length === 1) {
    const last = parts.at(-1);
    return last !== undefined && wildcardMatches(glob.segments[0] ?? '', last);
  }
  if (parts.length !== glob.segments.length) return false;
  return glob.segments.every((segment, i) => wildcardMatches(segment, parts[i] ?? ''));
}

/**
 * An HTTP path glob: `*` within one segment, `**` as a whole segment for zero or more segments
 * (`/admin/**` matches `/admin` and everything below). Case-insensitive.
 */
export interface PathGlob {
  readonly source: string;
  readonly segments: readonly string[];
}

export function parsePathGlob(source: string): PatternResult<PathGlob> {
  const problem = checkPatternText('path', source);
  if (problem !== undefined) return { ok: false, message: problem };
  if (!source.startsWith('/')) return { ok: false, message: `path pattern '${source}' must start with '/'` };
  if (/[?#]/.test(source)) return { ok: false, message: `path pattern '${source}' must not contain '?' or '#': match the path only` };
  const segments = splitPath(source.toLowerCase());
  if (segments.some((segment) => segment.length === 0)) return { ok: false, message: `path pattern '${source}' has an empty segment` };
  return { ok: true, pattern: { source, segments } };
}

function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '/' ? [] : trimmed.slice(1).split('/');
}

export function pathGlobMatches(glob: PathGlob, canonicalSegments: readonly string[]): boolean {
  const pattern = glob.segments;
  return twoPointerMatch(
    pattern.length,
    canonicalSegments.length,
    (p) => pattern[p] === '**',
    (p, s) => wildcardMatches(pattern[p] ?? '', canonicalSegments[s] ?? ''),
  );
}

export type CanonicalPath = { readonly ok: true; readonly segments: readonly string[] } | { readonly ok: false; readonly why: string };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Brings a request path to the one form policy globs are matched against, or says why it cannot.
 * Servers disagree on `..`, `//`, `;params`, `\` and encoded separators; rather than guess how the
 * upstream will read them, such paths are "not canonical" and a `paths` criterion on them is
 * unsettled (deny/review rules apply, allow rules do not). Percent-encoded unreserved characters
 * are decoded first (RFC 3986 §6.2.2.2), so `/adm%69n` is `/admin`.
 */
export function canonicalizePath(path: string): CanonicalPath {
  if (!path.startsWith('/')) return { ok: false, why: 'the request path does not start with "/"' };
  if (CONTROL.test(path) || /[\\;?#]/.test(path))
    return { ok: false, why: 'the request path contains "\\", ";", "?", "#" or a control character' };
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const char = path[i] ?? '';
    if (char !== '%') {
      decoded += char;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, why: 'the request path has a malformed percent-encoding' };
    const byte = String.fromCharCode(parseInt(hex, 16));
    if (UNRESERVED.test(byte)) {
      decoded += byte;
    } else if (byte === '/' || byte === '\\' || byte === '%' || byte === ';' || byte.charCodeAt(0) < 0x20) {
      return { ok: false, why: 'the request path encodes a separator, "%", ";" or a control character' };
    } else {
      decoded += `%${hex.toUpperCase()}`;
    }
    i += 2;
  }
  const segments = splitPath(decoded.toLowerCase());
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return { ok: false, why: 'the request path has an empty, "." or ".." segment' };
  }
  return { ok: true, segments };
}
