import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phoneArb } from '../../test/sensitive-values.js';
import { findPhones } from './phone-detector.js';

const found = (text: string): string[] => findPhones(text).map(({ start, end }) => text.slice(start, end));

describe('findPhones', () => {
  it.each([
    ['call (555) 010-0199 now', ['(555) 010-0199']],
    ['555-010-0199', ['555-010-0199']],
    ['555.010.0199', ['555.010.0199']],
    ['+1-555-010-0199', ['+1-555-010-0199']],
    ['+1 (415) 555-0100', ['+1 (415) 555-0100']],
    ['1-800-555-0100', ['1-800-555-0100']],
    ['1 (800) 555-0100', ['1 (800) 555-0100']],
    ['+44 20 7946 0958', ['+44 20 7946 0958']],
    ['+44 (0)20 7946 0958', ['+44 (0)20 7946 0958']],
    ['+4915112345678', ['+4915112345678']],
    ['tel:+33123456789;ext=1', ['+33123456789']],
    ['{"phone":"+61 2 9876 5432"}', ['+61 2 9876 5432']],
  ])('finds the phone number in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['ISO date 2026-11-26'],
    ['timestamp 2026-11-26T10:15:30+01:00'],
    ['timezone UTC+05:30 and +0100'],
    ['IPv4 192.168.100.100 and 10.0.0.1'],
    ['versions 1.2.3 and 10.415.555.0100'],
    ['too few digits +1234567'],
    ['too many digits in one group +1234567890123456'],
    ['arithmetic 2+12345678'],
    ['area code starting 1: 123-456-7890'],
    ['area code starting 0: (012) 345-6789'],
    ['unmatched separators 555-010.0199'],
    ['bare digits 5550100199'],
    ['spaces only 415 555 0100'],
    ['SSN shape 123-45-6789'],
    ['part of a longer number 1555-010-01999'],
    ['leading zero country code +0123456789'],
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('stops an international number at 15 digits', () => {
    expect(found('+1 415 555 0100 2026 11 26')).toEqual(['+1 415 555 0100 2026']);
  });

  it('finds generated numbers', () => {
    fc.assert(
      fc.property(phoneArb, (phone) => {
        expect(found(`phone ${phone}, thanks`)).toEqual([phone]);
      }),
    );
  });
});
