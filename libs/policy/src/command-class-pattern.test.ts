import { describe, expect, it } from 'vitest';
import { commandClassMatches, parseCommandClassPattern, type CommandClassPattern } from './command-class-pattern.js';

function pattern(source: string): CommandClassPattern {
  const result = parseCommandClassPattern(source);
  if (!result.ok) throw new Error(result.message);
  return result.pattern;
}

const matches = (source: string, commandClass: string): boolean => commandClassMatches(pattern(source), commandClass);

describe('command class patterns', () => {
  it.each([
    ['sql.ddl.drop', 'sql.ddl.drop', true],
    ['sql.ddl.drop', 'sql.ddl.dropx', false],
    ['sql.ddl.drop', 'sql.ddl', false],
    ['sql.ddl.drop', 'sql.ddl.drop.table', false],
    // a trailing `.*` is "any depth below", never the prefix itself nor a longer sibling
    ['sql.ddl.*', 'sql.ddl.drop', true],
    ['sql.ddl.*', 'sql.ddl.drop.table', true],
    ['sql.ddl.*', 'sql.ddl', false],
    ['sql.ddl.*', 'sql.ddlx', false],
    ['sql.ddl.*', 'sql.ddlx.drop', false],
    ['sql.*', 'sql.dml.delete', true],
    ['sql.*', 'sql', false],
    ['sql.*', 'sqlx.dml', false],
    ['sql.*', 'k8s.exec', false],
    // `*` alone is everything
    ['*', 'session.open', true],
    ['*', 'sql.ddl.drop', true],
    ['*', 'x', true],
    // a `*` that is not last is exactly one segment
    ['sql.*.drop', 'sql.ddl.drop', true],
    ['sql.*.drop', 'sql.ddl.x.drop', false],
    ['*.exec', 'k8s.exec', true],
    ['*.exec', 'k8s.pods.exec', false],
    // case never lets a command slip past a rule
    ['http.DELETE', 'http.delete', true],
    ['http.delete', 'HTTP.DELETE', true],
    ['SQL.DDL.*', 'sql.ddl.drop', true],
    ['http.DELETE', 'http.DELETED', false],
  ])('%s against %s → %s', (source, commandClass, expected) => {
    expect(matches(source, commandClass)).toBe(expected);
  });

  it.each(['', 'sql.', '.sql', 'sql..ddl', 'sql.dd*', 'sql.*x', 'sql ddl', 'sql.ddl?', 'x'.repeat(257)])('rejects %j', (source) => {
    expect(parseCommandClassPattern(source).ok).toBe(false);
  });

  it('rejects patterns with more than 16 segments', () => {
    expect(parseCommandClassPattern(Array(17).fill('a').join('.')).ok).toBe(false);
    expect(parseCommandClassPattern(Array(16).fill('a').join('.')).ok).toBe(true);
  });
});
