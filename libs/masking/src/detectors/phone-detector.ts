import { NO_SPANS, hasDigit, isAsciiAlnum, isDigit, numberEndsAt, numberStartsAt, type Span } from './span.js';

/**
 * Telephone numbers in two unambiguous shapes; everything else (bare digit runs, local numbers
 * without a country code) is left alone because it is indistinguishable from ids and amounts.
 *
 * - International (E.164 as written): '+', a non-zero first digit, 8–15 digits in all, in groups
 *   separated by single spaces, dashes or dots, a group optionally in parentheses
 *   (`+44 (0)20 7946 0958`, `+1-415-555-0100`, `+4915112345678`). The '+' must not follow a letter,
 *   digit or ')' (so `UTC+05:30`, `2026-11-26T10:00:00+01:00` and `1+2` are not phones). If the
 *   groups run past 15 digits the finding stops at the last group within 15.
 * - NANP: `(NXX) XXX-XXXX`, `NXX-XXX-XXXX`, `NXX.XXX.XXXX`, optionally prefixed `1-`, `1.` or `1 `;
 *   area code N = 2–9; the exchange is any three digits, so fictional `555-010-0199` counts. Without
 *   parentheses the two separators must match; spaces alone (`415 555 0100`) are not enough.
 * - Never inside a longer number, date, version or IP address: ISO dates (4-2-2), times, dotted
 *   quads and `1.2.3` versions have the wrong group lengths or touch another digit group.
 */
export function findPhones(text: string): readonly Span[] {
  if (text.length < MIN_LENGTH || !hasDigit(text)) return NO_SPANS;
  let spans: Span[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let end = -1;
    if (c === PLUS) end = matchInternational(text, i);
    else if ((isDigit(c) || c === OPEN) && numberStartsAt(text, i)) end = matchNanp(text, i);
    if (end > 0) {
      (spans ??= []).push({ start: i, end });
      i = end;
    } else {
      i++;
    }
  }
  return spans ?? NO_SPANS;
}

const PLUS = 0x2b;
const OPEN = 0x28;
const CLOSE = 0x29;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;
const MIN_LENGTH = 9;
const MIN_E164_DIGITS = 8;
const MAX_E164_DIGITS = 15;
const MAX_PAREN_DIGITS = 4;

const isSeparator = (c: number): boolean => c === SPACE || c === DASH || c === DOT;

function matchInternational(text: string, plus: number): number {
  const before = text.charCodeAt(plus - 1);
  if (isAsciiAlnum(before) || before === CLOSE || before === PLUS) return -1;
  const first = text.charCodeAt(plus + 1);
  if (!(isDigit(first) && first !== 0x30) && first !== OPEN) return -1;
  let digits = 0;
  let goodEnd = -1;
  let j = plus + 1;
  for (;;) {
    // One group: digits, or (digits).
    let groupDigits: number;
    if (text.charCodeAt(j) === OPEN) {
      let k = j + 1;
      while (isDigit(text.charCodeAt(k)) && k - j <= MAX_PAREN_DIGITS) k++;
      if (k === j + 1 || text.charCodeAt(k) !== CLOSE) break;
      groupDigits = k - j - 1;
      j = k + 1;
    } else {
      const groupStart = j;
      while (isDigit(text.charCodeAt(j)) && j - groupStart <= MAX_E164_DIGITS) j++;
      groupDigits = j - groupStart;
      if (groupDigits === 0) break;
    }
    if (digits + groupDigits > MAX_E164_DIGITS) {
      if (goodEnd < 0) return -1; // a single over-long group: not a phone number
      break;
    }
    digits += groupDigits;
    goodEnd = j;
    // Next group: after a separator, or straight after a ')'.
    const next = text.charCodeAt(j);
    if (isSeparator(next) && (isDigit(text.charCodeAt(j + 1)) || text.charCodeAt(j + 1) === OPEN)) j++;
    else if (!(text.charCodeAt(j - 1) === CLOSE && isDigit(next)) && next !== OPEN) break;
  }
  if (digits < MIN_E164_DIGITS || isAsciiAlnum(text.charCodeAt(goodEnd))) return -1;
  return goodEnd;
}

function matchNanp(text: string, start: number): number {
  let j = start;
  let prefixed = false;
  if (text.charCodeAt(j) === 0x31 /* 1 */ && isSeparator(text.charCodeAt(j + 1))) {
    const after = text.charCodeAt(j + 2);
    if (isDigit(after) || after === OPEN) {
      j += 2;
      prefixed = true;
    }
  }
  let sep: number;
  let parenthesised = false;
  if (text.charCodeAt(j) === OPEN) {
    if (!threeDigits(text, j + 1) || text.charCodeAt(j + 4) !== CLOSE) return -1;
    if (!isAreaDigit(text.charCodeAt(j + 1))) return -1;
    j += 5;
    if (text.charCodeAt(j) === SPACE) j++;
    parenthesised = true;
    sep = -1;
  } else {
    if (!threeDigits(text, j) || !isAreaDigit(text.charCodeAt(j))) return -1;
    sep = text.charCodeAt(j + 3);
    if (!(sep === DASH || sep === DOT || (prefixed && sep === SPACE))) return -1;
    j += 4;
  }
  if (!threeDigits(text, j)) return -1;
  const sep2 = text.charCodeAt(j + 3);
  if (parenthesised ? !isSeparator(sep2) : sep2 !== sep) return -1;
  j += 4;
  for (let k = j; k < j + 4; k++) if (!isDigit(text.charCodeAt(k))) return -1;
  const end = j + 4;
  return isDigit(text.charCodeAt(end)) || !numberEndsAt(text, end) ? -1 : end;
}

/** Exactly three digits at `from`. */
function threeDigits(text: string, from: number): boolean {
  return (
    isDigit(text.charCodeAt(from)) &&
    isDigit(text.charCodeAt(from + 1)) &&
    isDigit(text.charCodeAt(from + 2)) &&
    !isDigit(text.charCodeAt(from + 3))
  );
}

const isAreaDigit = (c: number): boolean => c >= 0x32 && c <= 0x39;
