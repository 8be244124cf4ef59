import { NO_SPANS, hasDigit, isDigit, numberEndsAt, numberStartsAt, type Span } from './span.js';

/**
 * US Social Security numbers.
 *
 * - `AAA-GG-SSSS`, or with single spaces (`AAA GG SSSS`), one separator kind per number.
 * - Nine bare digits only when *labelled*: "ssn", "ss#" or "social security [number|no|#]" directly
 *   before them, separated only by a few spaces or `: = # " ' . -` (`SSN: 123456789`,
 *   `{"ssn":"123456789"}`, `ssn=123456789`). Unlabelled nine-digit numbers
 *   are too often order numbers, ZIP+4 codes or routing numbers; a column known to hold SSNs should
 *   be masked by name instead.
 * - SSA validity: area ≠ 000, 666 or 900–999; group ≠ 00; serial ≠ 0000.
 * - Not inside a longer number, date or version (see `numberStartsAt`/`numberEndsAt`).
 */
export function findSsns(text: string): readonly Span[] {
  if (text.length < 9 || !hasDigit(text)) return NO_SPANS;
  let spans: Span[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let runEnd = i;
    while (isDigit(text.charCodeAt(runEnd))) runEnd++;
    const end = numberStartsAt(text, i) ? matchSsnAt(text, i, runEnd) : -1;
    if (end > 0) {
      (spans ??= []).push({ start: i, end });
      i = end;
    } else {
      i = runEnd;
    }
  }
  return spans ?? NO_SPANS;
}

const DASH = 0x2d;
const SPACE = 0x20;
const LABEL_WINDOW = 40;
/** A label directly before the number, separated only by a few of `: = # " ' . -` and spaces. */
const LABEL = /(?:^|[^a-z0-9])(?:ssn|ss#|social security(?: number| no| #)?)[\s:=#"'.-]{0,8}$/i;

function matchSsnAt(text: string, start: number, runEnd: number): number {
  if (runEnd - start === 3) {
    const sep = text.charCodeAt(start + 3);
    if (sep !== DASH && sep !== SPACE) return -1;
    if (!digitsAt(text, start + 4, 2) || text.charCodeAt(start + 6) !== sep || !digitsAt(text, start + 7, 4)) return -1;
    const end = start + 11;
    if (isDigit(text.charCodeAt(end)) || !numberEndsAt(text, end)) return -1;
    return validParts(text, start, start + 4, start + 7) ? end : -1;
  }
  if (runEnd - start === 9 && numberEndsAt(text, runEnd) && hasLabelBefore(text, start)) {
    return validParts(text, start, start + 3, start + 5) ? runEnd : -1;
  }
  return -1;
}

/** Exactly `count` digits at `from`, not followed by another digit. */
function digitsAt(text: string, from: number, count: number): boolean {
  for (let i = from; i < from + count; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return !isDigit(text.charCodeAt(from + count));
}

function hasLabelBefore(text: string, start: number): boolean {
  // A bounded window: the regex runs on at most 40 characters, whatever the text length.
  return LABEL.test(text.slice(Math.max(0, start - LABEL_WINDOW), start));
}

function validParts(text: string, area: number, group: number, serial: number): boolean {
  const a = Number(text.slice(area, area + 3));
  const g = Number(text.slice(group, group + 2));
  const s = Number(text.slice(serial, serial + 4));
  return a !== 0 && a !== 666 && a < 900 && g !== 0 && s !== 0;
}
