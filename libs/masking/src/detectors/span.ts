/**
 * Shared pieces of the hand-written detectors. Every detector is a single forward pass (or a pass
 * per anchor whose look-around is bounded), so detection is linear in the text length: no regular
 * expression with a quantifier is run from every position of attacker-controlled text.
 */

/** A half-open range of UTF-16 code units, `text.slice(start, end)`. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Returned when nothing was found, so the common case allocates nothing. */
export const NO_SPANS: readonly Span[] = Object.freeze([]);

// charCodeAt() past either end is NaN, which every comparison below treats as "no such character".
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
export const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
export const isAsciiLetter = (c: number): boolean => isUpper(c) || isLower(c);
export const isAsciiAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);

const DOT = 0x2e;
const DASH = 0x2d;
const SLASH = 0x2f;
const COLON = 0x3a;

/** Punctuation that, between digits, continues a number, date, version or address. */
const isNumberJoiner = (c: number): boolean => c === DOT || c === DASH || c === SLASH || c === COLON;

/**
 * True when a number-like finding may start at `start`: the previous character is not a letter or
 * digit, nor a joiner glued to a digit ('1.', '2026-', '10:'), so we never match inside a longer
 * number, date, version or IP address.
 */
export function numberStartsAt(text: string, start: number): boolean {
  const c = text.charCodeAt(start - 1);
  if (isAsciiAlnum(c)) return false;
  return !(isNumberJoiner(c) && isDigit(text.charCodeAt(start - 2)));
}

/** The mirror of `numberStartsAt` for the character at `end` (exclusive end of a finding). */
export function numberEndsAt(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  if (isAsciiAlnum(c)) return false;
  return !(isNumberJoiner(c) && isDigit(text.charCodeAt(end + 1)));
}

/** Native scan; lets digit-based detectors skip digit-free text at memchr-like speed. */
export function hasDigit(text: string): boolean {
  return /\d/.test(text);
}
