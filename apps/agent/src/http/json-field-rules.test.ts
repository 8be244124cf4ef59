import { importHashKey } from '@sluice/masking';
import { describe, expect, it } from 'vitest';
import { compileFieldRules, matchesPath, parseFieldPattern, strictestRule, type FieldMatcher } from './json-field-rules.js';

function matcher(pattern: string): FieldMatcher {
  const parsed = parseFieldPattern(pattern);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.matcher;
}

describe('JSON field patterns', () => {
  it('reads a key name as "this key anywhere", case-insensitively, with array levels transparent', () => {
    const email = matcher('email');
    expect(matchesPath(email, ['email'])).toBe(true);
    expect(matchesPath(email, ['users', 3, 'Email'])).toBe(true);
    expect(matchesPath(email, ['users', 3, 'emails'])).toBe(false);
    // The value of an array element is not a member named `email`.
    expect(matchesPath(email, ['email', 0])).toBe(false);
  });

  it('reads dotted names as a suffix of the key path, with globs and quoted exact names', () => {
    expect(matchesPath(matcher('customer.email'), ['orders', 0, 'customer', 'email'])).toBe(true);
    expect(matchesPath(matcher('customer.email'), ['vendor', 'email'])).toBe(false);
    expect(matchesPath(matcher('*.card_*'), ['payment', 'card_number'])).toBe(true);
    expect(matchesPath(matcher('*.card_*'), ['card_number'])).toBe(false);
    expect(matchesPath(matcher('"Email"'), ['Email'])).toBe(true);
    expect(matchesPath(matcher('"Email"'), ['email'])).toBe(false);
    expect(matchesPath(matcher('"odd.key"'), ['odd.key'])).toBe(true);
  });

  it('reads $-patterns as anchored JSONPath (RFC 9535 subset)', () => {
    expect(matchesPath(matcher('$.users[*].email'), ['users', 2, 'email'])).toBe(true);
    expect(matchesPath(matcher('$.users[*].email'), ['admins', 2, 'email'])).toBe(false);
    expect(matchesPath(matcher('$.users[*].email'), ['users', 2, 'profile', 'email'])).toBe(false);
    expect(matchesPath(matcher('$.users[1].email'), ['users', 1, 'email'])).toBe(true);
    expect(matchesPath(matcher('$.users[1].email'), ['users', 0, 'email'])).toBe(false);
    expect(matchesPath(matcher('$[\'a.b\']["c"]'), ['a.b', 'c'])).toBe(true);
    expect(matchesPath(matcher('$.*.token'), ['x', 'token'])).toBe(true);
    expect(matchesPath(matcher('$.*.token'), ['token'])).toBe(false);
    // JSONPath names are exact.
    expect(matchesPath(matcher('$.Email'), ['email'])).toBe(false);
  });

  it('supports descendant search `..`, also written as a quoted segment for policies', () => {
    for (const pattern of ['$..password', '"$..password"']) {
      const m = matcher(pattern);
      expect(matchesPath(m, ['password'])).toBe(true);
      expect(matchesPath(m, ['a', 0, 'b', 'password'])).toBe(true);
      expect(matchesPath(m, ['a', 'passwords'])).toBe(false);
    }
    expect(matchesPath(matcher('$..data.*'), ['items', 0, 'data', 'key'])).toBe(true);
    expect(matchesPath(matcher('$..data.*'), ['items', 0, 'data'])).toBe(false);
    expect(matchesPath(matcher('$..[0]'), ['a', 'b', 0])).toBe(true);
  });

  it('matches many `..` against a deep path without exponential backtracking', () => {
    // A naive backtracker explores ~C(200, 15) ways here; the DP is linear in selectors × depth.
    const m = matcher(`$${'..a'.repeat(15)}..b`);
    expect(
      matchesPath(
        m,
        Array.from({ length: 200 }, () => 'a'),
      ),
    ).toBe(false);
    expect(matchesPath(m, [...Array.from({ length: 200 }, () => 'a'), 'b'])).toBe(true);
  });

  it('rejects what it cannot read, without echoing the pattern', () => {
    for (const bad of ['', '$.', '$..', '$.a[', '$[x]', "$['a]", '$.a b', 'a..b', '"unterminated', '$[-1]']) {
      const parsed = parseFieldPattern(bad);
      expect(parsed.ok, bad).toBe(false);
    }
    const long = parseFieldPattern(`$${'.a'.repeat(40)}`);
    expect(long.ok).toBe(false);
  });

  it('compiles plan columns with their strategies and picks the strictest match', () => {
    const rules = compileFieldRules(
      {
        columns: [
          { pattern: 'email', strategy: { kind: 'partial', keepLast: 4 } },
          { pattern: '$.admin.email', strategy: { kind: 'null' } },
        ],
        detectors: [],
      },
      importHashKey(Buffer.alloc(16, 1)),
    );
    if ('error' in rules) throw new Error(rules.error);
    expect(strictestRule(rules, ['user', 'email'], undefined)?.strategy.kind).toBe('partial');
    expect(strictestRule(rules, ['admin', 'email'], undefined)?.strategy.kind).toBe('null');
    expect(strictestRule(rules, ['admin', 'name'], undefined)).toBeUndefined();
    const bad = compileFieldRules(
      { columns: [{ pattern: '$.[', strategy: { kind: 'redact' } }], detectors: [] },
      importHashKey(Buffer.alloc(16)),
    );
    expect(bad).toEqual({ error: expect.stringContaining('columns[0].pattern') as string });
  });
});
