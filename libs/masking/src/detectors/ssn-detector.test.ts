import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ssnArb } from '../../test/sensitive-values.js';
import { findSsns } from './ssn-detector.js';

const found = (text: string): string[] => findSsns(text).map(({ start, end }) => text.slice(start, end));

describe('findSsns', () => {
  it.each([
    ['ssn 123-45-6789.', ['123-45-6789']],
    ['123 45 6789', ['123 45 6789']],
    ['{"ssn":"078-05-1120"}', ['078-05-1120']],
    ['SSN: 123456789', ['123456789']],
    ['{"ssn":"123456789"}', ['123456789']],
    ['social security number 123456789', ['123456789']],
    ['ss# 123456789', ['123456789']],
    ['highest valid area 899-99-9999', ['899-99-9999']],
  ])('finds the SSN in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['area 000: 000-12-3456'],
    ['area 666: 666-12-3456'],
    ['area 9xx: 900-12-3456 and 999-12-3456'],
    ['group 00: 123-00-4567'],
    ['serial 0000: 123-45-0000'],
    ['mixed separators 123-45 6789'],
    ['unlabelled nine digits: order 123456789'],
    ['label is a word part: business number 123456789'],
    ['inside a longer number 1123-45-6789 and 123-45-67890'],
    ['phone shape 415-555-0100'],
    ['date 2026-11-26'],
    ['version 1.123-45-6789'],
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds only the labelled one of two nine-digit numbers', () => {
    expect(found('SSN: 123456789 id 987654321')).toEqual(['123456789']);
  });

  it('finds every generated valid SSN', () => {
    fc.assert(
      fc.property(ssnArb, (ssn) => {
        expect(found(`employee ${ssn} on file`)).toEqual([ssn]);
      }),
    );
  });

  it('never reports an SSN that breaks the SSA rules', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 }), (a, g, s) => {
        const ssn = `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`;
        const valid = a !== 0 && a !== 666 && a < 900 && g !== 0 && s !== 0;
        expect(found(ssn)).toEqual(valid ? [ssn] : []);
      }),
    );
  });
});
