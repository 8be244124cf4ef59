import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formattedCardArb, withLuhnCheckDigit } from '../../test/sensitive-values.js';
import { findCards, luhnValid } from './card-detector.js';

const found = (text: string): string[] => findCards(text).map(({ start, end }) => text.slice(start, end));

describe('findCards', () => {
  it.each([
    ['visa 4111111111111111.', ['4111111111111111']],
    ['4111 1111 1111 1111', ['4111 1111 1111 1111']],
    ['4111-1111-1111-1111', ['4111-1111-1111-1111']],
    ['mastercard 5500 0000 0000 0004', ['5500 0000 0000 0004']],
    ['mastercard 2-series 2221000000000009', ['2221000000000009']],
    ['amex 3782 822463 10005', ['3782 822463 10005']],
    ['amex 378282246310005', ['378282246310005']],
    ['diners 3056 930902 5904', ['3056 930902 5904']],
    ['discover 6011 1111 1111 1117', ['6011 1111 1111 1117']],
    ['jcb 3530111333300000', ['3530111333300000']],
    ['visa 13 4222222222222', ['4222222222222']],
    ['two in a row: 4111 1111 1111 1111 5500 0000 0000 0004', ['4111 1111 1111 1111', '5500 0000 0000 0004']],
    ['card then cvv 4111 1111 1111 1111 123', ['4111 1111 1111 1111']],
    ['{"pan":"4111111111111111"}', ['4111111111111111']],
  ])('finds the card in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['Luhn fails: 4111 1111 1111 1112'],
    ['Luhn fails: 4111111111111121'],
    ['unknown issuer (Luhn-valid): 1234567812345670'],
    ['unknown issuer (Luhn-valid): 9999999999999995'],
    ['wrong length for Visa (15, Luhn-valid): 411111111111116'],
    ['mixed separators: 4111 1111-1111 1111'],
    ['double space: 4111  1111  1111  1111'],
    ['part of a longer number: 41111111111111110'],
    ['glued to letters: id4111111111111111'],
    ['decimal: 0.4111111111111111'],
    ['date 2026-11-26 and time 10:15:30'],
    ['odd grouping 41 1111 1111 1111 11'],
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds every generated Luhn-valid card in its usual formats', () => {
    fc.assert(
      fc.property(formattedCardArb, (card) => {
        expect(found(`paid with ${card} yesterday`)).toEqual([card]);
      }),
    );
  });

  it('rejects every single-digit corruption of a valid card (Luhn catches them all)', () => {
    const card = withLuhnCheckDigit('411111111111111');
    for (let i = 0; i < card.length; i++) {
      for (let d = 0; d <= 9; d++) {
        const corrupted = card.slice(0, i) + String(d) + card.slice(i + 1);
        if (corrupted !== card) expect(found(corrupted)).toEqual([]);
      }
    }
  });

  it('checks Luhn over digits only, skipping separators', () => {
    const text = '4111-1111-1111-1111';
    expect(luhnValid(text, 0, text.length)).toBe(true);
    expect(luhnValid('4111-1111-1111-1112', 0, text.length)).toBe(false);
  });
});
