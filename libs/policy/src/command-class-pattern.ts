// Command-class patterns (`sql.ddl.*`, `sql.dml.delete`, `http.DELETE`, `*`): DESIGN.md "Policy".
// A `*` segment stands for exactly one segment, except as the last segment, where it stands for one
// or more (any depth below): `sql.*` matches `sql.ddl` and `sql.ddl.drop` but not `sql` itself, and
// `sql.ddl.*` never matches `sql.ddlx`. Comparison is case-insensitive, so `http.delete` cannot slip
// past a rule on `http.DELETE`.

import { MAX_PATTERN_LENGTH } from './policy-limits.js';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_SEGMENTS = 16;

export interface CommandClassPattern {
  readonly source: string;
  /** Lower-cased segments; `*` is a wildcard. */
  readonly segments: readonly string[];
  /** The last segment is `*`: it matches one or more trailing segments. */
  readonly anyDepthTail: boolean;
}

export type PatternResult<T> = { readonly ok: true; readonly pattern: T } | { readonly ok: false; readonly message: string };

export function parseCommandClassPattern(source: string): PatternResult<CommandClassPattern> {
  if (source.length === 0) return { ok: false, message: 'command pattern is empty' };
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, message: `command pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  const segments = source.toLowerCase().split('.');
  if (segments.length > MAX_SEGMENTS) return { ok: false, message: `command pattern has more than ${MAX_SEGMENTS} segments` };
  for (const segment of segments) {
    if (segment === '*') continue;
    if (segment.length === 0) return { ok: false, message: `command pattern '${source}' has an empty segment` };
    if (!SEGMENT.test(segment)) {
      return {
        ok: false,
        message: `command pattern '${source}': each dot-segment must be a name (letters, digits, '_', '-') or exactly '*'`,
      };
    }
  }
  return { ok: true, pattern: { source, segments, anyDepthTail: segments.at(-1) === '*' } };
}

export function commandClassMatches(pattern: CommandClassPattern, commandClass: string): boolean {
  return commandClassSegmentsMatch(pattern, splitCommandClass(commandClass));
}

/** Lower-cased dot-segments of a class; split once per evaluation, matched against many patterns. */
export function splitCommandClass(commandClass: string): readonly string[] {
  return commandClass.toLowerCase().split('.');
}

export function commandClassSegmentsMatch(pattern: CommandClassPattern, parts: readonly string[]): boolean {
  const segments = pattern.segments;
  const fixed = pattern.anyDepthTail ? segments.length - 1 : segments.length;
  if (pattern.anyDepthTail ? parts.length < segments.length : parts.length !== segments.length) return false;
  for (let i = 0; i < fixed; i++) {
    const segment = segments[i];
    if (segment !== '*' && segment !== parts[i]) return false;
  }
  return true;
}
