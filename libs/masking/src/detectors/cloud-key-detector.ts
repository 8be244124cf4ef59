import { NO_SPANS, isAsciiAlnum, isDigit, isUpper, type Span } from './span.js';

/**
 * Provider credentials with a fixed, documented prefix (prefix lists as in gitleaks' rule set):
 *
 * | provider | shape |
 * |---|---|
 * | AWS access key id | `AKIA` / `ASIA` + 16 of `[A-Z0-9]` |
 * | GitHub | `ghp_` `gho_` `ghu_` `ghs_` `ghr_` + ≥ 36 of `[A-Za-z0-9]`; `github_pat_` + ≥ 22 of `[A-Za-z0-9_]` |
 * | Slack | `xoxa-` `xoxb-` `xoxp-` `xoxr-` `xoxs-` + ≥ 10 of `[A-Za-z0-9-]` |
 * | Stripe | `sk_live_` `rk_live_` `sk_test_` `rk_test_` + ≥ 16 of `[A-Za-z0-9]` (test keys still read test data) |
 * | Google API key | `AIza` + exactly 35 of `[A-Za-z0-9_-]` |
 * | Azure storage | the value after `AccountKey=` (any case): ≥ 20 of `[A-Za-z0-9+/=]` |
 *
 * The prefixes are found by one alternation of literals (no quantifiers: constant work per
 * position); the tail is checked by hand. A key glued to a preceding letter or digit is not matched.
 */
export function findCloudKeys(text: string): readonly Span[] {
  if (text.length < MIN_LENGTH || !mayContainKey(text)) return NO_SPANS;
  let spans: Span[] | undefined;
  const prefixes = new RegExp(PREFIXES.source, 'g');
  for (let m = prefixes.exec(text); m !== null; m = prefixes.exec(text)) {
    const start = m.index;
    const end = isWordChar(text.charCodeAt(start - 1)) ? -1 : tailEnd(text, start, m[0]);
    if (end > 0) {
      (spans ??= []).push({ start, end });
      prefixes.lastIndex = end;
    }
  }
  const accountKey = new RegExp(ACCOUNT_KEY.source, 'gi');
  for (let m = accountKey.exec(text); m !== null; m = accountKey.exec(text)) {
    const start = m.index + m[0].length;
    let end = start;
    while (isBase64Char(text.charCodeAt(end))) end++;
    if (end - start >= MIN_ACCOUNT_KEY) {
      (spans ??= []).push({ start, end });
      accountKey.lastIndex = end;
    }
  }
  return spans === undefined ? NO_SPANS : inOrderWithoutOverlaps(spans);
}

/** The two passes can overlap (`AccountKey=AKIA…`): sort and merge so findings never overlap. */
function inOrderWithoutOverlaps(spans: Span[]): readonly Span[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && span.start < last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, span.end) };
    else merged.push(span);
  }
  return merged;
}

/** Cheap pre-check (native substring searches) before any regular expression runs. */
function mayContainKey(text: string): boolean {
  return (
    text.includes('AKIA') ||
    text.includes('ASIA') ||
    text.includes('gh') ||
    text.includes('xox') ||
    text.includes('k_live_') ||
    text.includes('k_test_') ||
    text.includes('AIza') ||
    ACCOUNT_KEY_ANY_CASE.test(text)
  );
}

const ACCOUNT_KEY_ANY_CASE = /accountkey=/i;
const PREFIXES = /AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-|[sr]k_live_|[sr]k_test_|AIza/;
const ACCOUNT_KEY = /AccountKey=/;
const MIN_LENGTH = 15;
const MIN_ACCOUNT_KEY = 20;

const isWordChar = (c: number): boolean => isAsciiAlnum(c) || c === 0x5f;
const isBase64Char = (c: number): boolean => isAsciiAlnum(c) || c === 0x2b || c === 0x2f || c === 0x3d;
const isDashed = (c: number): boolean => isAsciiAlnum(c) || c === 0x2d;
const isUrlSafe = (c: number): boolean => isAsciiAlnum(c) || c === 0x2d || c === 0x5f;
const isAwsChar = (c: number): boolean => isUpper(c) || isDigit(c);

/** End of the key whose prefix `prefix` starts at `start`, or -1. */
function tailEnd(text: string, start: number, prefix: string): number {
  const from = start + prefix.length;
  switch (prefix) {
    case 'AKIA':
    case 'ASIA':
      return exactRun(text, from, 16, isAwsChar, isAsciiAlnum);
    case 'AIza':
      return exactRun(text, from, 35, isUrlSafe, isUrlSafe);
    case 'github_pat_':
      return minRun(text, from, 22, isWordChar);
    default:
      if (prefix.startsWith('gh')) return minRun(text, from, 36, isAsciiAlnum, isWordChar);
      if (prefix.startsWith('xox')) return minRun(text, from, 10, isDashed);
      return minRun(text, from, 16, isAsciiAlnum, isWordChar); // Stripe
  }
}

/** Exactly `count` characters of `accept`, then none of `stop`. */
function exactRun(text: string, from: number, count: number, accept: (c: number) => boolean, stop: (c: number) => boolean): number {
  for (let i = from; i < from + count; i++) if (!accept(text.charCodeAt(i))) return -1;
  return stop(text.charCodeAt(from + count)) ? -1 : from + count;
}

/** At least `min` characters of `accept`, the run not followed by one of `stop` (default: `accept`). */
function minRun(text: string, from: number, min: number, accept: (c: number) => boolean, stop: (c: number) => boolean = accept): number {
  let end = from;
  while (accept(text.charCodeAt(end))) end++;
  return end - from >= min && !stop(text.charCodeAt(end)) ? end : -1;
}
