import { NO_SPANS, hasDigit, isDigit, numberEndsAt, numberStartsAt, type Span } from './span.js';

/**
 * Payment card numbers (PANs): 13–19 digits that pass the Luhn check and start with a known issuer
 * prefix (IIN) at a length that issuer uses.
 *
 * Written as digit groups with optional single spaces or dashes, in the groupings cards are printed
 * with: one unbroken group; groups of four with a shorter last group (4-4-4-4, 4-4-4-4-3, 4-4-4-1);
 * Amex 4-6-5; Diners 4-6-4; and 4-4-5. One card uses one kind of separator.
 *
 * The scanner reads each maximal run of digit groups once, then tries a card at each group boundary,
 * longest shape first (so `4111 1111 1111 1111 5500 0000 0000 0004` yields two cards). A run glued
 * to a letter, or part of a decimal/date/version, is not a card at that end. With random digits,
 * Luhn passes 1 in 10 and the IIN table rejects most of the rest.
 */
export function findCards(text: string): readonly Span[] {
  if (text.length < MIN_DIGITS || !hasDigit(text)) return NO_SPANS;
  let spans: Span[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    // A run: groups of digits separated by a single space or dash. Most runs in text are short
    // numbers, so measure first and only record the groups of a run long enough to hold a card.
    const runEnd = digitRunEnd(text, i);
    if (runEnd - i < MIN_DIGITS) {
      i = runEnd;
      continue;
    }
    const starts: number[] = [];
    const ends: number[] = [];
    for (let j = i; j < runEnd; j++) {
      starts.push(j);
      while (isDigit(text.charCodeAt(j))) j++;
      ends.push(j);
    }
    const openLeft = numberStartsAt(text, i);
    const openRight = numberEndsAt(text, runEnd);
    let g = openLeft ? 0 : 1;
    while (g < starts.length) {
      const groups = matchCardAt(text, starts, ends, g, openRight);
      if (groups > 0) {
        const last = g + groups - 1;
        (spans ??= []).push({ start: starts[g] ?? 0, end: ends[last] ?? 0 });
        g += groups;
      } else {
        g++;
      }
    }
    i = runEnd;
  }
  return spans ?? NO_SPANS;
}

function digitRunEnd(text: string, from: number): number {
  let j = from;
  for (;;) {
    while (isDigit(text.charCodeAt(j))) j++;
    const sep = text.charCodeAt(j);
    if ((sep === SPACE || sep === DASH) && isDigit(text.charCodeAt(j + 1))) j++;
    else return j;
  }
}

const SPACE = 0x20;
const DASH = 0x2d;
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/** Group-length shapes tried at each group, longest first; `0` is "1 to 4 digits". */
const SHAPES: readonly (readonly number[])[] = [
  [4, 4, 4, 4, 0],
  [4, 4, 4, 0],
  [4, 6, 5],
  [4, 6, 4],
  [4, 4, 5],
];

/** Number of groups forming a valid card starting at group `g`, or 0. */
function matchCardAt(text: string, starts: readonly number[], ends: readonly number[], g: number, openRight: boolean): number {
  const lengthOf = (k: number): number => (ends[k] ?? 0) - (starts[k] ?? 0);
  const endsCleanly = (k: number): boolean => k < starts.length - 1 || openRight;

  const single = lengthOf(g);
  if (single >= MIN_DIGITS && single <= MAX_DIGITS) {
    return endsCleanly(g) && isValidCard(text, starts[g] ?? 0, ends[g] ?? 0) ? 1 : 0;
  }
  for (const shape of SHAPES) {
    const last = g + shape.length - 1;
    if (last >= starts.length || !endsCleanly(last)) continue;
    let fits = true;
    for (let k = 0; k < shape.length && fits; k++) {
      const want = shape[k] ?? 0;
      const have = lengthOf(g + k);
      fits = want === 0 ? have >= 1 && have <= 4 : have === want;
      // One card, one separator kind.
      if (fits && k > 0) fits = text.charCodeAt((starts[g + k] ?? 0) - 1) === text.charCodeAt((starts[g + 1] ?? 0) - 1);
    }
    if (fits && isValidCard(text, starts[g] ?? 0, ends[last] ?? 0)) return shape.length;
  }
  return 0;
}

/** Luhn and issuer prefix over the digits in [start, end), skipping separators. */
function isValidCard(text: string, start: number, end: number): boolean {
  let count = 0;
  let prefix = 0; // first six digits
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    if (count < 6) prefix = prefix * 10 + (c - 0x30);
    count++;
  }
  if (count < MIN_DIGITS || count > MAX_DIGITS) return false;
  return luhnValid(text, start, end) && knownIssuer(prefix, count);
}

export function luhnValid(text: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    let d = c - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes (ISO/IEC 7812 IIN ranges as published by the networks) and the lengths each issues.
 * Numbers starting 1, 7, 8 or 9 (airlines, telecoms, health) are not payment cards for our purpose.
 */
function knownIssuer(prefix6: number, length: number): boolean {
  const p1 = Math.floor(prefix6 / 100_000);
  const p2 = Math.floor(prefix6 / 10_000);
  const p3 = Math.floor(prefix6 / 1000);
  const p4 = Math.floor(prefix6 / 100);
  const from16to19 = length >= 16 && length <= 19;
  if (p1 === 4) return length === 13 || length === 16 || length === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return length === 16; // Mastercard
  if (p4 >= 2200 && p4 <= 2204) return from16to19; // Mir
  if (p2 === 34 || p2 === 37) return length === 15; // American Express
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return length >= 14 && length <= 19; // Diners
  if (p4 >= 3528 && p4 <= 3589) return from16to19; // JCB
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return from16to19; // Discover
  if (p2 === 62) return from16to19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return length >= 13; // Maestro and other 5x/6x debit
  return false;
}
