import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ibanArb, ibanFor, printIban } from '../../test/sensitive-values.js';
import { findIbans } from './iban-detector.js';

const found = (text: string): string[] => findIbans(text).map(({ start, end }) => text.slice(start, end));

describe('findIbans', () => {
  it.each([
    ['DE89370400440532013000', ['DE89370400440532013000']],
    ['pay to DE89 3704 0044 0532 0130 00 today', ['DE89 3704 0044 0532 0130 00']],
    ['GB82WEST12345698765432', ['GB82WEST12345698765432']],
    ['GB82 WEST 1234 5698 7654 32', ['GB82 WEST 1234 5698 7654 32']],
    ['NO9386011117947', ['NO9386011117947']],
    ['lower case de89370400440532013000', ['de89370400440532013000']],
    ['"iban":"FR1420041010050500013M02606"', ['FR1420041010050500013M02606']],
  ])('finds the IBAN in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['wrong checksum DE89370400440532013001'],
    ['wrong check digits DE88370400440532013000'],
    ['too short DE8937040044053201300'],
    ['too long DE893704004405320130001'],
    ['unknown country ZZ89370400440532013000'],
    ['glued XDE89370400440532013000'],
    ['bad grouping DE89 370 40044 0532 0130 00'],
    ['dashes DE89-3704-0044-0532-0130-00'],
    ['order ref AB12 and DE12 and some text'],
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('rejects check digits 00, 01 and 99 even when the remainder works out', () => {
    // 01 and 98 are congruent mod 97: a string with "01" can satisfy the remainder test.
    const valid = ibanFor('DE', '370400440532013000');
    expect(valid.slice(2, 4)).toBe('89');
    const bban = findBbanWithCheck98();
    const with01 = `DE01${bban}`;
    expect(found(`DE98${bban}`)).toEqual([`DE98${bban}`]);
    expect(found(with01)).toEqual([]);
  });

  it('finds generated IBANs in electronic and print form', () => {
    fc.assert(
      fc.property(ibanArb, fc.boolean(), (iban, print) => {
        const written = print ? printIban(iban) : iban;
        expect(found(`iban: ${written}.`)).toEqual([written]);
      }),
    );
  });

  it('rejects every single-character corruption of the check digits', () => {
    const iban = 'GB82WEST12345698765432';
    for (let d = 0; d <= 99; d++) {
      const check = String(d).padStart(2, '0');
      if (check !== '82') expect(found(`GB${check}${iban.slice(4)}`)).toEqual([]);
    }
  });
});

/** A German BBAN whose correct check digits are 98. */
function findBbanWithCheck98(): string {
  for (let n = 0; ; n++) {
    const bban = String(n).padStart(18, '0');
    if (ibanFor('DE', bban).slice(2, 4) === '98') return bban;
  }
}
