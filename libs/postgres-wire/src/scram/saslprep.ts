// SASLprep (RFC 4013, a profile of stringprep RFC 3454) as PostgreSQL applies it to SCRAM passwords.
// The server computed the stored verifier with the same function (src/common/saslprep.c), so the
// client must reproduce it exactly, quirks included, or correct passwords fail with 28P01.

import { L_CAT, MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT, UNASSIGNED } from './saslprep-tables.js';

/**
 * Normalizes a password the way PostgreSQL's `pg_saslprep` does, falling back to the password
 * unchanged where PostgreSQL does:
 * - pure ASCII is used as is (no further checks, even for control characters);
 * - text that is not well-formed (lone UTF-16 surrogates, PostgreSQL's "invalid UTF-8") is used as is;
 * - if the result would be empty or breaks the prohibition or bidi rules, the raw password is used
 *   (PostgreSQL: "If the password isn't valid UTF-8, or it contains prohibited characters, we use
 *   the raw password as is").
 *
 * Steps otherwise: map non-ASCII spaces (C.1.2) to U+0020 and drop B.1 characters, NFKC.
 * Like PostgreSQL, the prohibited-output (C.*, A.1) and bidi (D.1/D.2) checks look at the mapped
 * text before normalization.
 */
export function saslprep(password: string): string {
  if (isAscii(password)) return password;
  const mapped: number[] = [];
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = password.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return password;
      cp = (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return password;
    }
    if (inTable(NON_ASCII_SPACE, cp)) mapped.push(0x20);
    else if (!inTable(MAPPED_TO_NOTHING, cp)) mapped.push(cp);
  }
  if (mapped.length === 0) return password;
  for (const cp of mapped) {
    if (inTable(PROHIBITED, cp) || inTable(UNASSIGNED, cp)) return password;
  }
  if (!bidiAllowed(mapped)) return password;
  let text = '';
  for (const cp of mapped) text += String.fromCodePoint(cp);
  return text.normalize('NFKC');
}

/** RFC 3454 §6: with any RandALCat character, no LCat character, and RandALCat first and last. */
function bidiAllowed(cps: readonly number[]): boolean {
  if (!cps.some((cp) => inTable(RAND_AL_CAT, cp))) return true;
  if (cps.some((cp) => inTable(L_CAT, cp))) return false;
  return inTable(RAND_AL_CAT, cps[0] ?? 0) && inTable(RAND_AL_CAT, cps[cps.length - 1] ?? 0);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Binary search in a sorted flat list of inclusive [first, last] pairs. */
function inTable(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const first = table[mid * 2] ?? 0;
    const last = table[mid * 2 + 1] ?? 0;
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return true;
  }
  return false;
}
