import { NO_SPANS, isDigit, isUpper, type Span } from './span.js';

/**
 * PEM private keys (RFC 7468): from `-----BEGIN <label>-----` to the matching `-----END <label>-----`,
 * where the label ends in `PRIVATE KEY` (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `OPENSSH PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, …) or is `PGP PRIVATE KEY BLOCK`. The markers are matched literally, so a
 * key whose newlines are JSON-escaped (`\n`) is found too.
 *
 * A block without its END marker (a truncated value, a key split across values) is masked to the end
 * of the text: failing closed is worth more than the text after a broken key. Because of that, and
 * because the END search resumes after the last block, the text is scanned once.
 */
export function findPrivateKeys(text: string): readonly Span[] {
  let i = text.indexOf(BEGIN);
  if (i < 0) return NO_SPANS;
  let spans: Span[] | undefined;
  while (i >= 0) {
    const labelStart = i + BEGIN.length;
    let labelEnd = labelStart;
    while (labelEnd - labelStart < MAX_LABEL && isLabelChar(text.charCodeAt(labelEnd))) labelEnd++;
    const label = text.slice(labelStart, labelEnd);
    if (text.startsWith(DASHES, labelEnd) && (label.endsWith('PRIVATE KEY') || label === 'PGP PRIVATE KEY BLOCK')) {
      const endMarker = `${END}${label}${DASHES}`;
      const at = text.indexOf(endMarker, labelEnd + DASHES.length);
      const end = at < 0 ? text.length : at + endMarker.length;
      (spans ??= []).push({ start: i, end });
      i = text.indexOf(BEGIN, end);
    } else {
      i = text.indexOf(BEGIN, i + 1);
    }
  }
  return spans ?? NO_SPANS;
}

const DASHES = '-----';
const BEGIN = '-----BEGIN ';
const END = '-----END ';
const MAX_LABEL = 40;

const isLabelChar = (c: number): boolean => isUpper(c) || isDigit(c) || c === 0x20;
