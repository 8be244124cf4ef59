import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalizePath,
  nameGlobMatches,
  parseNameGlob,
  parsePathGlob,
  parseTableGlob,
  pathGlobMatches,
  tableGlobMatches,
  wildcardMatches,
} from './glob-pattern.js';

function unwrap<T>(result: { ok: true; pattern: T } | { ok: false; message: string }): T {
  if (!result.ok) throw new Error(result.message);
  return result.pattern;
}

function pathMatches(pattern: string, path: string): boolean | 'unsettled' {
  const canonical = canonicalizePath(path);
  if (!canonical.ok) return 'unsettled';
  return pathGlobMatches(unwrap(parsePathGlob(pattern)), canonical.segments);
}

describe('wildcardMatches', () => {
  it.each([
    ['*', '', true],
    ['a*', 'abc', true],
    ['*c', 'abc', true],
    ['a*c', 'ac', true],
    ['a*c', 'ab', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxcyyb', false],
    ['abc', 'abcd', false],
  ])('%s against %s → %s', (pattern, subject, expected) => {
    expect(wildcardMatches(pattern, subject)).toBe(expected);
  });

  it('agrees with an anchored regular expression on random inputs', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*]{0,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (pattern, subject) => {
        const regex = new RegExp(`^${pattern.replaceAll('*', '.*')}$`);
        expect(wildcardMatches(pattern, subject)).toBe(regex.test(subject));
      }),
    );
  });

  it('handles a pattern full of stars against a long subject without backtracking blow-up', () => {
    // Would be exponential for a naive recursive matcher; the two-pointer algorithm answers at once.
    expect(wildcardMatches('*a'.repeat(100) + 'b', 'a'.repeat(5000))).toBe(false);
  });
});

describe('table globs', () => {
  const matches = (pattern: string, table: string) => tableGlobMatches(unwrap(parseTableGlob(pattern)), table);

  it.each([
    ['public.customers', 'public.customers', true],
    ['public.customers', 'PUBLIC.Customers', true],
    ['public.*', 'public.orders', true],
    ['public.*', 'sales.orders', false],
    ['*.customers', 'sales.customers', true],
    // an unqualified pattern matches the table in any schema: schema qualification cannot evade it
    ['customers', 'public.customers', true],
    ['customers', 'customers', true],
    ['customers', 'customers_archive', false],
    ['cust*', 'public.customers', true],
    ['public.customers', 'customers', false],
    ['public.customers', 'db.public.customers', false],
  ])('%s against %s → %s', (pattern, table, expected) => {
    expect(matches(pattern, table)).toBe(expected);
  });

  it('rejects empty segments and control characters', () => {
    expect(parseTableGlob('public.').ok).toBe(false);
    expect(parseTableGlob('a\u0000b').ok).toBe(false);
  });
});

describe('name globs', () => {
  it('match case-insensitively with wildcards', () => {
    const glob = unwrap(parseNameGlob('connection name', 'prod-*'));
    expect(nameGlobMatches(glob, 'PROD-db')).toBe(true);
    expect(nameGlobMatches(glob, 'staging-prod-db')).toBe(false);
  });
});

describe('path globs', () => {
  it.each([
    ['/admin/**', '/admin', true],
    ['/admin/**', '/admin/', true],
    ['/admin/**', '/admin/users/1', true],
    ['/admin/**', '/administrator', false],
    ['/admin', '/admin/', true],
    ['/admin', '/ADMIN', true],
    ['/api/*/items', '/api/v1/items', true],
    ['/api/*/items', '/api/v1/v2/items', false],
    ['/api/**/items', '/api/items', true],
    ['/api/**/items', '/api/a/b/items', true],
    ['/**', '/', true],
    ['/', '/', true],
    ['/', '/x', false],
    // percent-encoded unreserved characters are the same path
    ['/admin/**', '/adm%69n/x', true],
    ['/files/a%20b', '/files/a%20b', true],
  ])('%s against %s → %s', (pattern, path, expected) => {
    expect(pathMatches(pattern, path)).toBe(expected);
  });

  it.each([
    '/admin/../x',
    '/x/..',
    '/./admin',
    '//admin',
    '/admin%2fusers',
    '/admin%2Fusers',
    '/admin%5cusers',
    '/admin%252fusers',
    '/admin;jsessionid=1',
    '/admin\\users',
    'admin',
    '/admin%zz',
    '/admin%00',
    '/admin?x=1',
  ])('refuses to settle the non-canonical path %j', (path) => {
    expect(pathMatches('/admin/**', path)).toBe('unsettled');
  });

  it('rejects bad patterns', () => {
    expect(parsePathGlob('admin').ok).toBe(false);
    expect(parsePathGlob('/a//b').ok).toBe(false);
    expect(parsePathGlob('/a?x=1').ok).toBe(false);
  });
});
