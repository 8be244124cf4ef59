// Generators of valid sensitive values for the masking tests (test code only, never built).
import fc from 'fast-check';

/** One character of an ASCII alphabet. */
export const charFrom = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...Array.from(alphabet));

/** Appends the Luhn check digit to `body` (digits only). */
export function withLuhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** A valid IBAN (electronic format) for `country` and `bban` (upper-case letters and digits). */
export function ibanFor(country: string, bban: string): string {
  const numeric = Array.from(`${bban}${country}00`)
    .map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55)))
    .join('');
  let remainder = 0;
  for (const c of numeric) remainder = (remainder * 10 + Number(c)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

/** `DE89370400440532013000` → `DE89 3704 0044 0532 0130 00`. */
export function printIban(iban: string): string {
  return iban.replace(/(.{4})(?=.)/g, '$1 ');
}

const digits = (length: number): fc.Arbitrary<string> => fc.string({ unit: charFrom('0123456789'), minLength: length, maxLength: length });

/** Luhn-valid numbers of the major networks, unformatted. */
export const cardNumberArb: fc.Arbitrary<string> = fc.oneof(
  digits(14).map((d) => withLuhnCheckDigit(`4${d}`)), // Visa 16
  fc.tuple(fc.integer({ min: 51, max: 55 }), digits(13)).map(([p, d]) => withLuhnCheckDigit(`${p}${d}`)), // Mastercard 16
  fc.tuple(fc.constantFrom('34', '37'), digits(12)).map(([p, d]) => withLuhnCheckDigit(`${p}${d}`)), // Amex 15
  digits(11).map((d) => withLuhnCheckDigit(`6011${d}`)), // Discover 16
);

/** A card number as people write it: compact, or grouped with spaces or dashes. */
export const formattedCardArb: fc.Arbitrary<string> = fc
  .tuple(cardNumberArb, fc.constantFrom('', ' ', '-'))
  .map(([pan, sep]) => (pan.length === 15 ? [pan.slice(0, 4), pan.slice(4, 10), pan.slice(10)] : (pan.match(/.{1,4}/g) ?? [])).join(sep));

export const ibanArb: fc.Arbitrary<string> = fc.oneof(
  digits(18).map((bban) => ibanFor('DE', bban)),
  fc.tuple(fc.constantFrom('WEST', 'NWBK', 'BARC'), digits(14)).map(([bank, rest]) => ibanFor('GB', bank + rest)),
  digits(23).map((bban) => ibanFor('FR', bban)),
);

export const ssnArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
  )
  .map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`);

const lowerAlnum = fc.string({ unit: charFrom('abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 12 });
const letters = fc.string({ unit: charFrom('abcdefghijklmnopqrstuvwxyz'), minLength: 2, maxLength: 6 });

export const emailArb: fc.Arbitrary<string> = fc
  .tuple(lowerAlnum, fc.option(lowerAlnum, { nil: undefined }), lowerAlnum, letters)
  // `icon@2x.png` is an image asset name, which the detector skips by design.
  .filter(([, , host, tld]) => !(/^\d+x$/.test(host) && /^(png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)$/.test(tld)))
  .map(([local, tag, host, tld]) => `${local}${tag === undefined ? '' : `.${tag}`}@${host}.${tld}`);

export const phoneArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 200, max: 999 }), digits(3), digits(4)).map(([a, e, l]) => `(${a}) ${e}-${l}`),
  fc.tuple(fc.integer({ min: 200, max: 999 }), digits(3), digits(4)).map(([a, e, l]) => `+1-${a}-${e}-${l}`),
  fc.tuple(fc.integer({ min: 1, max: 99 }), digits(9)).map(([cc, rest]) => `+${cc} ${rest.slice(0, 3)} ${rest.slice(3)}`),
);

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export const jwtArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('HS256', 'RS256', 'ES256'),
    fc.uint8Array({ minLength: 1, maxLength: 40 }),
    fc.uint8Array({ minLength: 16, maxLength: 64 }),
  )
  .map(
    ([alg, payload, signature]) =>
      `${base64url(Buffer.from(JSON.stringify({ alg, typ: 'JWT' })))}.${base64url(payload)}.${base64url(signature)}`,
  );

const upperAlnum = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: charFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), minLength: length, maxLength: length });
const alnum = (length: number): fc.Arbitrary<string> =>
  fc.string({
    unit: charFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
    minLength: length,
    maxLength: length,
  });

export const cloudKeyArb: fc.Arbitrary<string> = fc.oneof(
  upperAlnum(16).map((tail) => `AKIA${tail}`),
  alnum(36).map((tail) => `ghp_${tail}`),
  alnum(24).map((tail) => `sk_live_${tail}`),
  alnum(35).map((tail) => `AIza${tail}`),
);

/** Random tokens as APIs issue them: base64url of 24–48 random bytes. */
export const randomTokenArb: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 24, maxLength: 48 })
  .map(base64url)
  .filter((token) => /[a-z]/.test(token) && /[A-Z]/.test(token) && /\d/.test(token));

/** Lower-case words and spaces: text in which no detector finds anything. */
export const plainWordsArb: fc.Arbitrary<string> = fc
  .array(fc.string({ unit: charFrom('abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 10 }), { maxLength: 6 })
  .map((words) => words.join(' '));
