import { NO_SPANS, isDigit, isLower, isUpper, type Span } from './span.js';

/**
 * Generic high-entropy tokens: API keys, session tokens, passwords that look random. Conservative —
 * a miss here is covered by column rules and the specific detectors; a false positive corrupts data.
 *
 * A candidate is a maximal run of base64/base64url characters `[A-Za-z0-9+/_-]` (plus up to two
 * trailing `=`), 24 to 1024 characters long. Longer runs are encoded data (images, certificates),
 * not tokens. It is a secret when it is either
 * - **hex**: only `[0-9a-f]` or only `[0-9A-F]`, with both digits and letters, and Shannon entropy
 *   ≥ 3.0 bits/char (random hex of 24+ chars: ~3.5; the 1st percentile is ~3.0), or
 * - **base64-like**: lower case, upper case and digits all present, entropy ≥ 3.5 bits/char
 *   (random base64 of 24+ chars: ~4.2; 1st percentile ~3.9), and at most half of its characters in
 *   word-like letter runs (`abcd`, `ABCD`, `Abcd` — four or more letters of one case, or a capital
 *   and three lower-case letters). Identifiers and paths such as `getUserAccountSettingsById2` or
 *   `/home/User1/Documents/Report2026` are 60–100 % word-like; random base64 is ~20 %.
 *
 * Not secrets by this rule (decided, and pinned by tests): UUIDs (hex with dashes, one case only),
 * long decimal numbers (no letters), dates and timestamps (broken by ':' and '.'), snake/kebab/camel
 * identifiers, file paths, and hex without digits. Commit hashes and hex digests *are* masked: they
 * are indistinguishable from hex API keys and session ids.
 */
export function findSecrets(text: string): readonly Span[] {
  if (text.length < MIN_LENGTH) return NO_SPANS;
  let spans: Span[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i;
    while (isTokenChar(text.charCodeAt(end))) end++;
    const runEnd = end;
    for (let pad = 0; pad < 2 && text.charCodeAt(end) === EQUALS; pad++) end++;
    if (runEnd - i >= MIN_LENGTH && runEnd - i <= MAX_LENGTH && !isTokenChar(text.charCodeAt(end)) && looksRandom(text, i, runEnd)) {
      (spans ??= []).push({ start: i, end });
    }
    i = end;
  }
  return spans ?? NO_SPANS;
}

export const SECRET_MIN_LENGTH = 24;
const MIN_LENGTH = SECRET_MIN_LENGTH;
const MAX_LENGTH = 1024;
const HEX_MIN_ENTROPY = 3.0;
const BASE64_MIN_ENTROPY = 3.5;
const MAX_WORDLIKE_SHARE = 0.5;
const EQUALS = 0x3d;

function isTokenChar(c: number): boolean {
  return isDigit(c) || isUpper(c) || isLower(c) || c === 0x2b || c === 0x2f || c === 0x5f || c === 0x2d;
}

const isHexLower = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66);
const isHexUpper = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46);

function looksRandom(text: string, start: number, end: number): boolean {
  let lower = false;
  let upper = false;
  let digit = false;
  let hexLower = true;
  let hexUpper = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isLower(c)) lower = true;
    else if (isUpper(c)) upper = true;
    else if (isDigit(c)) digit = true;
    if (!isHexLower(c)) hexLower = false;
    if (!isHexUpper(c)) hexUpper = false;
  }
  if (hexLower || hexUpper) return digit && (lower || upper) && entropy(text, start, end) >= HEX_MIN_ENTROPY;
  return (
    lower && upper && digit && entropy(text, start, end) >= BASE64_MIN_ENTROPY && wordLikeShare(text, start, end) <= MAX_WORDLIKE_SHARE
  );
}

/** Shannon entropy in bits per character over [start, end), which holds ASCII token characters only. */
export function entropy(text: string, start: number, end: number): number {
  const counts = new Uint16Array(128);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts[c] = (counts[c] ?? 0) + 1;
  }
  const length = end - start;
  let sum = 0;
  for (const count of counts) if (count > 0) sum += count * Math.log2(count);
  return Math.log2(length) - sum / length;
}

/** Share of characters in word-like letter runs: four or more of one case, or `Xxxx`. */
function wordLikeShare(text: string, start: number, end: number): number {
  let wordLike = 0;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    const sameCase = isLower(c) ? isLower : isUpper(c) ? isUpper : undefined;
    if (sameCase === undefined) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < end && sameCase(text.charCodeAt(j))) j++;
    const run = j - i;
    if (run >= 4) wordLike += run;
    else if (sameCase === isLower && run >= 3 && i > start && isUpper(text.charCodeAt(i - 1))) wordLike += run + 1;
    i = j;
  }
  return wordLike / (end - start);
}
