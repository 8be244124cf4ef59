import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldColumnRef, globMatch, matchesColumn, parseColumnPattern, type ColumnRef } from './column-pattern.js';

function matches(pattern: string, ref: ColumnRef): boolean {
  const parsed = parseColumnPattern(pattern);
  if (!parsed.ok) throw new Error(parsed.error);
  return matchesColumn(parsed.pattern, foldColumnRef(ref));
}

const customersEmail: ColumnRef = { schema: 'public', table: 'customers', column: 'email' };

describe('column patterns', () => {
  it.each([
    ['email', customersEmail, true],
    ['email', { column: 'email' }, true],
    ['email', { schema: 'public', table: 'customers', column: 'email_verified' }, false],
    ['*.email', customersEmail, true],
    ['*.email', { column: 'email' }, true],
    ['customers.email', customersEmail, true],
    ['customers.email', { schema: 'sales', table: 'customers', column: 'email' }, true],
    ['customers.email', { table: 'orders', column: 'email' }, false],
    ['customers.email', { column: 'email' }, false],
    ['public.customers.email', customersEmail, true],
    ['public.customers.email', { schema: 'audit', table: 'customers', column: 'email' }, false],
    ['public.customers.email', { table: 'customers', column: 'email' }, false],
    ['*.card_*', { table: 'payments', column: 'card_number' }, true],
    ['*.card_*', { table: 'payments', column: 'card_' }, true],
    ['*.card_*', { table: 'payments', column: 'discard_reason' }, false],
    ['*.card_*', { column: 'card_number' }, true],
    ['cust*.email', customersEmail, true],
    ['cust*.email', { column: 'email' }, false],
    ['public.*.ssn', { schema: 'public', table: 'anything', column: 'ssn' }, true],
  ])('%s matches %j: %s', (pattern, ref, expected) => {
    expect(matches(pattern, ref)).toBe(expected);
  });

  it('matches unquoted names case-insensitively, in both directions', () => {
    expect(matches('Email', { column: 'email' })).toBe(true);
    expect(matches('email', { column: 'EMAIL' })).toBe(true);
    expect(matches('PUBLIC.Customers.EMAIL', customersEmail)).toBe(true);
    expect(matches('*.CARD_*', { table: 't', column: 'Card_Number' })).toBe(true);
  });

  it('matches quoted names exactly, with "" for a quote and literal dots and stars', () => {
    expect(matches('"Email"', { column: 'Email' })).toBe(true);
    expect(matches('"Email"', { column: 'email' })).toBe(false);
    expect(matches('"my.schema"."Odd""Table".email', { schema: 'my.schema', table: 'Odd"Table', column: 'email' })).toBe(true);
    expect(matches('"card_*"', { column: 'card_number' })).toBe(false);
    expect(matches('"card_*"', { column: 'card_*' })).toBe(true);
  });

  it('never lets a glob cross a dot', () => {
    // With a dotted table name an unquoted `*` still matches one segment only.
    expect(matches('public*email', { schema: 'public', table: 'x', column: 'email' })).toBe(false);
    expect(matches('a*.email', { table: 'a.b', column: 'email' })).toBe(true); // the table's own name contains the dot
  });

  it('gives equivalent patterns the same key', () => {
    const key = (pattern: string): string => {
      const parsed = parseColumnPattern(pattern);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.pattern.key;
    };
    expect(key('email')).toBe(key('*.email'));
    expect(key('email')).toBe(key('*.*.EMAIL'));
    expect(key('email')).not.toBe(key('"email"'));
    expect(key('customers.email')).not.toBe(key('email'));
  });

  it.each([
    ['', 'must not be empty'],
    ['a..b', 'empty name segment'],
    ['.email', 'empty name segment'],
    ['email.', 'empty name segment'],
    ['a.b.c.d', 'at most three segments (schema.table.column)'],
    ['"unterminated', 'unterminated quoted name'],
    ['""', 'quoted name must not be empty'],
    ['"a"b', 'quotes must enclose a whole name segment'],
    ['a"b"', 'quotes must enclose a whole name segment'],
    ['first name', 'unquoted names must not contain spaces or control characters (quote them)'],
    ['"a\u0000b"', 'names must not contain control characters'],
  ])('rejects %j: %s', (pattern, error) => {
    expect(parseColumnPattern(pattern)).toEqual({ ok: false, error });
  });
});

describe('globMatch', () => {
  it('agrees with a regular-expression reference on small inputs', () => {
    const chars = fc.constantFrom('a', 'b', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 6 }),
        fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 8 }),
        (pattern, name) => {
          const reference = new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(name);
          expect(globMatch(pattern, name)).toBe(reference);
        },
      ),
    );
  });

  it('handles a backtracking-hostile pattern', () => {
    expect(globMatch('*a*a*a*a*a*a*a*b', 'a'.repeat(63))).toBe(false);
  });
});
