import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { REDACTED_MARKER, type MaskStrategy } from './mask-plan.js';

/** Rewrites one value; `null` means SQL NULL. */
export type MaskFunction = (value: string) => string | null;

/** Rewrites one finding inside free text, where NULL is impossible. */
export type TextMaskFunction = (value: string) => string;

/** HMAC keys shorter than this are refused: a short key makes the hash guessable by brute force. */
export const MIN_HASH_KEY_BYTES = 16;

/** 16 hex digits = 64 bits: short enough to read, long enough that collisions need ~2^32 distinct values. */
const HASH_BYTES = 8;
const HASH_PREFIX = 'h:';
const MASK_CHAR = '*';
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const LETTERS_AND_DIGITS = /[\p{L}\p{N}]/gu;

/** Imports the key once; the KeyObject holds its own copy, so later changes to the buffer don't matter. */
export function importHashKey(hashKey: Uint8Array): KeyObject {
  // The message states the rule, never the key or its bytes.
  if (hashKey.byteLength < MIN_HASH_KEY_BYTES) throw new RangeError(`hashKey must be at least ${MIN_HASH_KEY_BYTES} bytes`);
  return createSecretKey(hashKey);
}

/** Builds the per-value function for a strategy; call once per plan, not per value. */
export function compileStrategy(strategy: MaskStrategy, hashKey: KeyObject): MaskFunction {
  switch (strategy.kind) {
    case 'null':
      return () => null;
    case 'redact':
    case 'partial':
    case 'hash':
      return compileTextStrategy(strategy, hashKey);
  }
}

/** As `compileStrategy`, but `null` becomes a redaction: part of a text cannot be NULL. */
export function compileTextStrategy(strategy: MaskStrategy, hashKey: KeyObject): TextMaskFunction {
  switch (strategy.kind) {
    case 'null':
    case 'redact':
      return () => REDACTED_MARKER;
    case 'partial': {
      const { keepLast } = strategy;
      return (value) => maskPartial(value, keepLast);
    }
    case 'hash':
      return (value) => HASH_PREFIX + createHmac('sha256', hashKey).update(value, 'utf8').digest().toString('hex', 0, HASH_BYTES);
  }
}

/**
 * Replaces every letter and digit (Unicode `\p{L}`/`\p{N}`, one '*' per code point) with '*' except
 * the last `keepLast`, keeping separators and length: '4111 1111 1111 1111' → '**** **** **** 1111',
 * '123-45-6789' → '***-**-6789'.
 *
 * Two limits make it safe to use on findings inside text:
 * - never more than half of the letters and digits are kept, so a short value is not shown whole
 *   ('Bob' with keepLast 4 → '**b');
 * - the kept characters come from the last group only (they never span a separator):
 *   'john.doe@example.com' with keepLast 4 → '****.***@*******.com'. A kept tail is then one plain
 *   run of at most `MASK_PLAN_LIMITS.maxKeepLast` letters and digits, which no detector matches again.
 *
 * A '*' already in the value counts as a masked letter, which makes the function idempotent: a second
 * pass computes the same cut and changes nothing.
 */
export function maskPartial(value: string, keepLast: number): string {
  let total = 0;
  let lastRun = 0;
  let inRun = false;
  for (let i = 0; i < value.length; i += codeUnitWidth(value, i)) {
    if (isMaskableAt(value, i)) {
      total++;
      lastRun = inRun ? lastRun + 1 : 1;
      inRun = true;
    } else {
      inRun = false;
    }
  }
  const keep = Math.min(keepLast, Math.floor(total / 2), lastRun);
  if (keep === total) return value; // no letters or digits at all
  // Find where the kept tail starts: after the (total - keep)th letter or digit.
  let remaining = total - keep;
  let cut = 0;
  while (remaining > 0) {
    if (isMaskableAt(value, cut)) remaining--;
    cut += codeUnitWidth(value, cut);
  }
  return maskPrefix(value, cut) + value.slice(cut);
}

/** `value.slice(0, cut)` with every letter and digit replaced by '*'; a plain loop for ASCII. */
function maskPrefix(value: string, cut: number): string {
  let out = '';
  for (let i = 0; i < cut; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) return value.slice(0, cut).replace(LETTERS_AND_DIGITS, MASK_CHAR);
    out += isMaskableAt(value, i) ? MASK_CHAR : value.charAt(i);
  }
  return out;
}

/** A letter, a digit, or a '*' (an already-masked letter). */
function isMaskableAt(value: string, i: number): boolean {
  const c = value.charCodeAt(i);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2a;
  return LETTER_OR_DIGIT.test(String.fromCodePoint(value.codePointAt(i) ?? c));
}

function codeUnitWidth(value: string, i: number): number {
  const c = value.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && (value.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
}
