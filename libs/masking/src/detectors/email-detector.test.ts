import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emailArb } from '../../test/sensitive-values.js';
import { findEmails } from './email-detector.js';

const found = (text: string): string[] => findEmails(text).map(({ start, end }) => text.slice(start, end));

describe('findEmails', () => {
  it.each([
    ['write to john.doe@example.com today', ['john.doe@example.com']],
    ['<Jane_Roe+tag%x-1@mail.example.co.uk>', ['Jane_Roe+tag%x-1@mail.example.co.uk']],
    ['"a@b.co","c@d.io"', ['a@b.co', 'c@d.io']],
    ['end of sentence a@example.org.', ['a@example.org']],
    ['trailing numeric label a@b.com.123', ['a@b.com']],
    ['punycode x@xn--80ak6aa92e.xn--p1ai', ['x@xn--80ak6aa92e.xn--p1ai']],
    ['unicode josé@exämple.de', ['josé@exämple.de']],
    ['a real host that looks like a density suffix bob@2x.com', ['bob@2x.com']],
    ['leading dots ..ann@example.com', ['ann@example.com']],
    ['https://example.com/?user=bob@example.org', ['bob@example.org']],
  ])('finds the address in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['no at sign at all'],
    ['user@localhost'],
    ['@mention in a chat'],
    ['icon@2x.png and logo@3X.SVG and hero@10x.webp'],
    ['a@-bad-.com'],
    ['a@b.c'],
    ['trailing @ sign@'],
    ['numeric tld a@b.123'],
    ['@@@@'],
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds generated addresses embedded in text', () => {
    fc.assert(
      fc.property(emailArb, (email) => {
        expect(found(`contact: ${email}, thanks`)).toEqual([email]);
      }),
    );
  });

  it('does not let one address absorb the next one', () => {
    expect(found('a@b.com@c.org x@y.io')).toEqual(['a@b.com', 'x@y.io']);
  });
});
