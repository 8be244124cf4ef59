import { NO_SPANS, hasDigit, isAsciiAlnum, isAsciiLetter, isDigit, isLower, type Span } from './span.js';

/**
 * International Bank Account Numbers (ISO 13616): two-letter country code, two check digits, then
 * the country's BBAN, to exactly the registered length for that country, passing the ISO 7064
 * mod-97-10 check (remainder 1) with check digits 02–98.
 *
 * Accepted forms: electronic (`DE89370400440532013000`) and print (`DE89 3704 0044 0532 0130 00`:
 * groups of four separated by single spaces). Letters may be upper or lower case. Other separators
 * (dashes, dots) are not recognised. The exact length, country table and mod-97 (1 in 97 for random
 * input) keep false positives rare.
 */
export function findIbans(text: string): readonly Span[] {
  if (text.length < MIN_LENGTH || !hasDigit(text)) return NO_SPANS;
  let spans: Span[] | undefined;
  const limit = text.length - MIN_LENGTH;
  let i = 0;
  while (i <= limit) {
    const end = isAnchor(text, i) ? matchIbanAt(text, i) : -1;
    if (end > 0) {
      (spans ??= []).push({ start: i, end });
      i = end;
    } else {
      i++;
    }
  }
  return spans ?? NO_SPANS;
}

const SPACE = 0x20;

/** IBAN lengths by country (SWIFT IBAN registry), as `CCnn` pairs to keep the table on a few lines. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 ' +
    'FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 ' +
    'LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 ' +
    'RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))] as const),
);
const MIN_LENGTH = 15;

/** Two letters and two digits, not glued to a preceding letter or digit. */
function isAnchor(text: string, i: number): boolean {
  return (
    isAsciiLetter(text.charCodeAt(i)) &&
    isAsciiLetter(text.charCodeAt(i + 1)) &&
    isDigit(text.charCodeAt(i + 2)) &&
    isDigit(text.charCodeAt(i + 3)) &&
    !isAsciiAlnum(text.charCodeAt(i - 1))
  );
}

/** End of the IBAN starting at `start`, or -1. Looks at most ~40 characters ahead. */
function matchIbanAt(text: string, start: number): number {
  const length = IBAN_LENGTHS.get(text.slice(start, start + 2).toUpperCase());
  if (length === undefined) return -1;
  const check = (text.charCodeAt(start + 2) - 0x30) * 10 + (text.charCodeAt(start + 3) - 0x30);
  if (check < 2 || check > 98) return -1;
  const spaced = text.charCodeAt(start + 4) === SPACE;
  let count = 0;
  let i = start;
  while (count < length) {
    if (spaced && count > 0 && count % 4 === 0) {
      if (text.charCodeAt(i) !== SPACE) return -1;
      i++;
    }
    if (!isAsciiAlnum(text.charCodeAt(i))) return -1;
    count++;
    i++;
  }
  if (isAsciiAlnum(text.charCodeAt(i))) return -1;
  return mod97(text, start, i) === 1 ? i : -1;
}

/** ISO 7064 mod 97-10 over the rearranged IBAN (BBAN, then country code and check digits). */
function mod97(text: string, start: number, end: number): number {
  let remainder = 0;
  const add = (c: number): void => {
    if (isDigit(c)) remainder = (remainder * 10 + (c - 0x30)) % 97;
    else if (isAsciiAlnum(c)) remainder = (remainder * 100 + ((isLower(c) ? c - 0x61 : c - 0x41) + 10)) % 97;
  };
  for (let i = start + 4; i < end; i++) add(text.charCodeAt(i));
  for (let i = start; i < start + 4; i++) add(text.charCodeAt(i));
  return remainder;
}
