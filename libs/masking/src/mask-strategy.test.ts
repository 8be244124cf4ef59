import { createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charFrom } from '../test/sensitive-values.js';
import { REDACTED_MARKER } from './mask-plan.js';
import { compileStrategy, compileTextStrategy, importHashKey, maskPartial } from './mask-strategy.js';

const key = importHashKey(Buffer.alloc(32, 7));

describe('redact', () => {
  it('replaces any value with the fixed marker', () => {
    const redact = compileStrategy({ kind: 'redact' }, key);
    expect(redact('4111 1111 1111 1111')).toBe('[redacted]');
    expect(redact('')).toBe(REDACTED_MARKER);
    expect(redact(REDACTED_MARKER)).toBe(REDACTED_MARKER);
  });
});

describe('null', () => {
  it('returns SQL NULL for a column value', () => {
    expect(compileStrategy({ kind: 'null' }, key)('anything')).toBeNull();
  });

  it('redacts inside free text, where NULL is impossible', () => {
    expect(compileTextStrategy({ kind: 'null' }, key)('anything')).toBe(REDACTED_MARKER);
  });
});

describe('partial', () => {
  it.each([
    ['4111111111111111', 4, '************1111'],
    ['4111 1111 1111 1111', 4, '**** **** **** 1111'],
    ['123-45-6789', 4, '***-**-6789'],
    ['+1 (415) 555-0100', 4, '+* (***) ***-0100'],
    ['john.doe@example.com', 3, '****.***@*******.com'],
    ['DE89 3704 0044 0532 0130 00', 0, '**** **** **** **** **** **'],
    ['DE89 3704 0044 0532 0130 00', 4, '**** **** **** **** **** 00'], // last group only
    ['xxxxxxxxa@b.co', 4, '*********@*.co'], // the kept tail never re-forms an email
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 8, '**_****_****************T1zdp7dc'],
    ['Bob', 4, '**b'], // never more than half
    ['ab', 4, '*b'],
    ['a', 4, '*'],
    ['---', 4, '---'], // nothing to mask
    ['', 4, ''],
    ['Jürgen Müller', 3, '****** ***ler'], // non-ASCII letters are letters
    ['𝟘𝟙𝟚𝟛𝟜𝟝𝟞𝟟', 2, '******𝟞𝟟'], // astral digits: one star per code point
  ])('maskPartial(%j, %i) = %j', (value, keepLast, expected) => {
    expect(maskPartial(value, keepLast)).toBe(expected);
  });

  it('keeps length and separators, and masks at least one letter or digit', () => {
    fc.assert(
      fc.property(fc.string({ unit: charFrom('ab12-. @') }), fc.integer({ min: 0, max: 16 }), (value, keepLast) => {
        const masked = maskPartial(value, keepLast);
        expect(masked).toHaveLength(value.length);
        expect(masked.replace(/[a-z0-9*]/g, '')).toBe(value.replace(/[a-z0-9]/g, ''));
        if (/[a-z0-9]/.test(value)) expect(masked).not.toBe(value);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 16 }), (value, keepLast) => {
        const once = maskPartial(value, keepLast);
        expect(maskPartial(once, keepLast)).toBe(once);
      }),
    );
  });
});

describe('hash', () => {
  const hash = compileTextStrategy({ kind: 'hash' }, key);

  it("is 'h:' and 16 hex digits", () => {
    expect(hash('alice@example.com')).toMatch(/^h:[0-9a-f]{16}$/);
  });

  it('is equal for equal inputs (joinable) and different for different inputs', () => {
    expect(hash('alice@example.com')).toBe(hash('alice@example.com'));
    expect(hash('alice@example.com')).not.toBe(hash('alice@example.org'));
    expect(hash('')).not.toBe(hash(' '));
  });

  it('depends on the key', () => {
    const other = compileTextStrategy({ kind: 'hash' }, importHashKey(Buffer.alloc(32, 8)));
    expect(other('alice@example.com')).not.toBe(hash('alice@example.com'));
  });

  it('is a keyed HMAC-SHA256, not a bare digest', () => {
    const value = '123-45-6789';
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update(value).digest('hex').slice(0, 16);
    expect(hash(value)).toBe(`h:${expected}`);
    expect(hash(value)).not.toBe(`h:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`);
  });

  it('never contains the input', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 3 }), (value) => {
        fc.pre(!/^[0-9a-fh:]*$/.test(value));
        expect(hash(value)).not.toContain(value);
      }),
    );
  });
});

describe('importHashKey', () => {
  it('refuses keys shorter than 16 bytes without echoing them', () => {
    const short = Buffer.from('0123456789abcde');
    expect(() => importHashKey(short)).toThrow(new RangeError('hashKey must be at least 16 bytes'));
    expect(() => importHashKey(new Uint8Array(0))).toThrow(RangeError);
  });

  it('copies the key, so later changes to the buffer do not change hashes', () => {
    const bytes = randomBytes(32);
    const hash = compileTextStrategy({ kind: 'hash' }, importHashKey(bytes));
    const before = hash('value');
    bytes.fill(0);
    expect(hash('value')).toBe(before);
  });
});
