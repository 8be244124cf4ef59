import { NO_SPANS, isAsciiAlnum, isAsciiLetter, isDigit, type Span } from './span.js';

/**
 * Email addresses, RFC 5322 "addr-spec"-ish: `local@domain.tld`.
 *
 * Anchored on each '@' and scanned outwards by hand. The left scan stops at the previous '@' or the
 * previous finding and the right scan never crosses an '@', so every character is visited a bounded
 * number of times (linear, even for a text made only of '@').
 *
 * - Local part: letters, digits and `. _ % + -` (the set real addresses use; exotic atext such as
 *   `/ = ? & '` is left out so URLs and query strings around an address are not swallowed). Leading
 *   dots are dropped. Non-ASCII letters count (internationalised addresses).
 * - Domain: two or more dot-separated labels of letters, digits and '-', a label not starting or
 *   ending with '-' and at most 63 long; the last label (TLD) is letters only (≥ 2) or punycode
 *   `xn--…`. A trailing '.' (end of a sentence) is not part of the address; trailing labels that are
 *   not a valid TLD are dropped (`a@b.com.123` → `a@b.com`).
 * - Not an email: `user@host` (no TLD), `@mention`, image asset names like `icon@2x.png`
 *   (a host `<digits>x` with an image extension as the TLD); `bob@2x.com` is still an email.
 */
export function findEmails(text: string): readonly Span[] {
  let at = text.indexOf('@');
  if (at < 0) return NO_SPANS;
  let spans: Span[] | undefined;
  let floor = 0;
  while (at >= 0) {
    let start = at;
    while (start > floor && isLocalChar(text.charCodeAt(start - 1))) start--;
    while (start < at && text.charCodeAt(start) === DOT) start++;
    const end = start < at ? domainEnd(text, at + 1) : -1;
    if (end > 0) {
      (spans ??= []).push({ start, end });
      floor = end;
      at = text.indexOf('@', end);
    } else {
      at = text.indexOf('@', at + 1);
    }
  }
  return spans ?? NO_SPANS;
}

const DOT = 0x2e;
const DASH = 0x2d;
const MAX_LABEL = 63;

function isLocalChar(c: number): boolean {
  return (
    isAsciiAlnum(c) || c === DOT || c === 0x5f /* _ */ || c === 0x25 /* % */ || c === 0x2b /* + */ || c === DASH || isNonAsciiLetter(c)
  );
}

function isLabelChar(c: number): boolean {
  return isAsciiAlnum(c) || c === DASH || isNonAsciiLetter(c);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function isNonAsciiLetter(c: number): boolean {
  // Surrogate halves are not letters on their own; astral-plane addresses are too rare to matter.
  return c >= 0x80 && LETTER_OR_DIGIT.test(String.fromCharCode(c));
}

/** End of the longest valid domain starting at `from`, or -1. */
function domainEnd(text: string, from: number): number {
  let best = -1;
  let labels = 0;
  let firstLabelEnd = from;
  let i = from;
  for (;;) {
    const labelStart = i;
    while (isLabelChar(text.charCodeAt(i))) i++;
    const length = i - labelStart;
    if (length === 0 || length > MAX_LABEL) break;
    if (text.charCodeAt(labelStart) === DASH || text.charCodeAt(i - 1) === DASH) break;
    if (labels === 0) firstLabelEnd = i;
    labels++;
    if (labels >= 2 && isTld(text, labelStart, i)) best = i;
    if (text.charCodeAt(i) !== DOT || !isLabelChar(text.charCodeAt(i + 1))) break;
    i++;
  }
  return best > 0 && isImageAsset(text, from, firstLabelEnd, best) ? -1 : best;
}

function isTld(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  if (text.startsWith('xn--', start) || text.startsWith('XN--', start)) return end - start > 4;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isAsciiLetter(c) && !isNonAsciiLetter(c)) return false;
  }
  return true;
}

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'bmp', 'ico', 'tif', 'tiff']);

/** `2x.png`, `3X.svg`: a density suffix and an image extension (`icon@2x.png`), not a host name. */
function isImageAsset(text: string, from: number, firstLabelEnd: number, end: number): boolean {
  const last = text.charCodeAt(firstLabelEnd - 1);
  if (firstLabelEnd - from < 2 || (last !== 0x78 && last !== 0x58)) return false;
  for (let i = from; i < firstLabelEnd - 1; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return IMAGE_EXTENSIONS.has(text.slice(firstLabelEnd + 1, end).toLowerCase());
}
