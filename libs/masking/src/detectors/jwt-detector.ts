import { Buffer } from 'node:buffer';
import { NO_SPANS, isAsciiAlnum, type Span } from './span.js';

/**
 * JSON Web Tokens (RFC 7519) in compact serialisation: `header.payload.signature`, each base64url
 * (RFC 7515 §7.1), where the header decodes to a JSON object with a string `alg`. An empty signature
 * (`alg: none`) still counts — the payload is what we protect. A JWE (RFC 7516 §7.1, five segments,
 * header with `enc`) is matched whole.
 *
 * Anchored on `eyJ` — base64 of `{"` — at a token boundary, so text without it costs one `indexOf`.
 */
export function findJwts(text: string): readonly Span[] {
  let i = text.indexOf(PREFIX);
  if (i < 0) return NO_SPANS;
  let spans: Span[] | undefined;
  while (i >= 0) {
    let next = i + PREFIX.length;
    if (!isSegmentChar(text.charCodeAt(i - 1)) && text.charCodeAt(i - 1) !== DOT) {
      const headerEnd = segmentEnd(text, i);
      const header = decodeHeader(text.slice(i, headerEnd));
      if (header !== undefined) {
        const end = header.enc ? tokenEnd(text, headerEnd, 4, 2) : tokenEnd(text, headerEnd, 2, 0);
        if (end > 0) {
          (spans ??= []).push({ start: i, end });
          next = end;
        }
      }
      // Any `eyJ` inside this segment follows a segment character, so skip past it.
      next = Math.max(next, headerEnd);
    }
    i = text.indexOf(PREFIX, next);
  }
  return spans ?? NO_SPANS;
}

const PREFIX = 'eyJ';
const DOT = 0x2e;
/** Headers are small; a longer first segment is not worth decoding. */
const MAX_HEADER_CHARS = 4096;

function isSegmentChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 0x2d /* - */ || c === 0x5f; /* _ */
}

function segmentEnd(text: string, from: number): number {
  let j = from;
  while (isSegmentChar(text.charCodeAt(j))) j++;
  return j;
}

/**
 * End of the segments after the header, or -1: `.payload.signature` for a JWS (payload required,
 * signature may be empty) or `.key.iv.ciphertext.tag` for a JWE (ciphertext required; the key is
 * empty for direct encryption).
 */
function tokenEnd(text: string, headerEnd: number, moreSegments: number, required: number): number {
  let j = headerEnd;
  for (let k = 0; k < moreSegments; k++) {
    if (text.charCodeAt(j) !== DOT) return -1;
    const end = segmentEnd(text, j + 1);
    if (end === j + 1 && k === required) return -1;
    j = end;
  }
  return j;
}

function decodeHeader(segment: string): { readonly enc: boolean } | undefined {
  if (segment.length > MAX_HEADER_CHARS) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  const fields = header as Record<string, unknown>;
  return typeof fields['alg'] === 'string' ? { enc: typeof fields['enc'] === 'string' } : undefined;
}
