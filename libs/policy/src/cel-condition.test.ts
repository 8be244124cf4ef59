import { describe, expect, it } from 'vitest';
import { buildCelBindings } from './cel-context.js';
import { compileCelCondition, evaluateCelCondition, type CelCondition, type CelEvaluation } from './cel-condition.js';
import type { PolicyInput } from './policy-input.js';
import { MAX_CEL_COMMAND_TEXT_LENGTH, MAX_CEL_SOURCE_LENGTH } from './policy-limits.js';

const INPUT: PolicyInput = {
  principal: {
    id: 'p-1',
    kind: 'workload',
    subject: 'oid-1',
    issuer: 'https://login.microsoftonline.com/t/v2.0',
    appId: 'app-1',
    groups: ['ai-agents'],
    roles: ['Sluice.Read'],
    scopes: [],
    groupOverage: false,
  },
  connection: { name: 'prod-db', protocol: 'postgres', tags: { env: 'prod' } },
  command: {
    classes: ['sql.dml.delete', 'sql.cte.modifying'],
    tables: ['public.customers'],
    hasWhere: false,
    text: 'WITH d AS (DELETE FROM customers RETURNING *) SELECT 1',
    http: { method: 'GET', path: '/x', query: { q: '1' } },
  },
  now: new Date('2026-03-04T22:30:00Z'),
  grants: ['grant-7'],
};

function compile(source: string): CelCondition {
  const result = compileCelCondition(source);
  if (!result.ok) throw new Error(result.message);
  return result.condition;
}

function run(source: string, input: PolicyInput = INPUT): CelEvaluation {
  return evaluateCelCondition(compile(source), buildCelBindings(input));
}

function compileError(source: string): string {
  const result = compileCelCondition(source);
  if (result.ok) throw new Error(`expected ${source} to be rejected`);
  return result.message;
}

describe('CEL conditions: evaluation over the declared context', () => {
  it.each([
    ["'ai-agents' in principal.groups", true],
    ["'admins' in principal.groups", false],
    ["principal.kind == 'workload' && principal.appId == 'app-1'", true],
    ["connection.tags['env'] == 'prod'", true],
    ["'env' in connection.tags && connection.protocol == 'postgres'", true],
    ["command.classes.exists(c, c.startsWith('sql.dml.'))", true],
    ['command.classes.all(c, c.startsWith("sql."))', true],
    ["command.classes.exists_one(c, c.endsWith('.delete'))", true],
    ["command.tables.filter(t, t.startsWith('public.')).size() == 1", true],
    ["command.tables.map(t, t + '!')[0] == 'public.customers!'", true],
    ['has(command.hasWhere) && !command.hasWhere', true],
    ['has(command.k8s)', false],
    ['has(principal.tenantId)', false],
    ['now.getHours() >= 22 || now.getHours() < 6', true],
    ["now.getHours('Europe/Paris') == 23", true],
    ["now > timestamp('2026-01-01T00:00:00Z') && now - timestamp('2026-03-04T00:00:00Z') > duration('22h')", true],
    ['now.getDayOfWeek() == 3', true],
    ["'grant-7' in grants", true],
    ["command.http.query['q'] == '1'", true],
    ['size(command.classes) == 2 && command.classes.size() == 2', true],
    ['1 + 2 * 3 == 7 && 7 / 2 == 3 && 7 % 2 == 1 && -1 < 0 && 2.5 > 1', true],
    ["(principal.kind == 'user' ? 'u' : 'w') == 'w'", true],
    ["{'a': 1}['a'] == 1 && [1, 2, 3][1] == 2 && 1 in [1, 2]", true],
    ["int('42') == 42 && string(42) == '42' && double(1) == 1.0", true],
    // two levels of macros are allowed (a third is a compile error, below)
    ["command.classes.exists(c, command.tables.exists(t, c == 'sql.dml.delete' && t.startsWith('public.')))", true],
  ])('%s → %s', (source, expected) => {
    expect(run(source)).toEqual({ kind: 'value', value: expected });
  });

  it('regex goes through RE2 via matches()', () => {
    expect(run("command.text.matches('(?i)^with\\\\s+d\\\\s+as')")).toEqual({ kind: 'value', value: true });
    expect(run("principal.subject.matches('^oid-[0-9]+$')")).toEqual({ kind: 'value', value: true });
  });

  it('a pathological regex on a long text returns instead of hanging (RE2 is linear time)', () => {
    // (a+)+$ backtracks exponentially in JS RegExp on "aaaa…b"; RE2 never backtracks.
    const input = { ...INPUT, command: { ...INPUT.command, text: `${'a'.repeat(50_000)}b` } };
    expect(run("command.text.matches('(a+)+$')", input)).toEqual({ kind: 'value', value: false });
    expect(run("command.text.matches('(a|aa)+$')", input)).toEqual({ kind: 'value', value: false });
  });

  it('a missing optional field is an evaluation error, never a silent false', () => {
    const result = run("principal.tenantId == 'contoso'");
    expect(result.kind).toBe('error');
    expect(run("command.k8s.namespace == 'kube-system'").kind).toBe('error');
  });

  it('runtime errors come back as errors, not exceptions', () => {
    expect(run('command.tables.size() / 0 == 1').kind).toBe('error');
    expect(run('now.getHours(principal.subject) == 1').kind).toBe('error');
    expect(run('int(principal.subject) == 1').kind).toBe('error');
  });

  it('statement text beyond the limit is not handed to CEL: conditions reading it error', () => {
    const input = { ...INPUT, command: { ...INPUT.command, text: 'x'.repeat(MAX_CEL_COMMAND_TEXT_LENGTH + 1) } };
    const result = run("command.text.contains('DROP')", input);
    expect(result).toMatchObject({ kind: 'error' });
    expect(run('!has(command.text) || command.text.size() > 0', input).kind).toBe('error');
    // a condition that does not read the text is unaffected
    expect(run("'ai-agents' in principal.groups", input)).toEqual({ kind: 'value', value: true });
  });

  it('an invalid clock fails conditions that read now', () => {
    const input = { ...INPUT, now: new Date(Number.NaN) };
    expect(run('now.getHours() > 1', input).kind).toBe('error');
  });

  it('bindings expose no prototype properties', () => {
    const input = { ...INPUT, connection: { ...INPUT.connection, tags: { env: 'prod' } } };
    expect(run("'constructor' in connection.tags", input)).toEqual({ kind: 'value', value: false });
    expect(run("'toString' in connection.tags", input)).toEqual({ kind: 'value', value: false });
  });
});

describe('CEL conditions: compile errors', () => {
  it.each([
    ['unknown identifier', 'user.name == "x"', /undeclared reference to 'user'/],
    ['unknown field', "principal.email == 'x'", /unknown field 'principal\.email'/],
    ['unknown nested field', "command.http.body == 'x'", /unknown field 'command\.http\.body'/],
    ['unknown field under has()', 'has(principal.password)', /unknown field 'principal\.password'/],
    ['non-bool result', 'principal.groups', /must evaluate to a bool, not list\(string\)/],
    ['string result', 'principal.id', /must evaluate to a bool, not string/],
    ['type error in comparison', 'principal.groups == 1', /cannot compare/],
    ['type error in arithmetic', "principal.id + 1 == 'x'", /no operator \+/],
    ['mixed numeric arithmetic', '1 + 2.0 == 3.0', /no operator \+/],
    ['bad operand of &&', 'principal.id && true', /must be a bool/],
    ['unknown function', "principal.id.lowerAscii() == 'x'", /unknown function 'lowerAscii'/],
    ['unknown global function', "exec('rm') == 'x'", /unknown function 'exec'/],
    ['field on a string', 'principal.id.length == 1', /cannot select field 'length'/],
    ['index on a record', "principal['id'] == 'x'", /use field selection/],
    ['iterate a string', "principal.id.exists(c, c == 'a')", /cannot iterate over string/],
    ['dynamic regex', 'command.text.matches(principal.id)', /must be a string literal/],
    ['function-style matches', "matches(command.text, 'a')", /as a method/],
    ['invalid regex', "command.text.matches('[')", /invalid RE2 regex/],
    ['unsupported regex feature (backreference)', "command.text.matches('(a)\\\\1')", /invalid RE2 regex/],
    ['regex too long', `command.text.matches('${'a'.repeat(300)}')`, /regex is longer/],
    ['invalid timestamp literal', "now > timestamp('yesterday')", /invalid timestamp/],
    ['invalid duration literal', "duration('forever') > duration('1s')", /invalid duration/],
    ['invalid time zone', "now.getHours('Mars/Olympus') == 1", /invalid time zone/],
    ['message construction', 'google.protobuf.Timestamp{seconds: 1} < now', /message construction/],
    ['syntax error', "principal.id == 'x", /syntax error/],
    ['empty', '   ', /empty/],
    [
      'nested macros beyond the limit',
      'principal.groups.exists(a, principal.roles.exists(b, principal.scopes.exists(c, a == b && b == c)))',
      /nested deeper/,
    ],
  ])('%s: %s', (_what, source, message) => {
    expect(compileError(source)).toMatch(message);
  });

  it('bounds the expression size and depth', () => {
    expect(compileError('true || '.repeat(300) + 'true')).toMatch(/longer than|more than \d+ nodes/);
    // parentheses add no nodes: harmless
    expect(compileCelCondition(`${'('.repeat(100)}true${')'.repeat(100)}`).ok).toBe(true);
    expect(compileError(`${'['.repeat(60)}${']'.repeat(60)} == []`)).toMatch(/nested deeper/);
    expect(compileError(`'${'a'.repeat(MAX_CEL_SOURCE_LENGTH)}' == 'a'`)).toMatch(/longer than/);
  });

  it('absurd nesting is a compile error, not a crash', () => {
    expect(compileCelCondition(`${'['.repeat(1000)}${']'.repeat(1000)} == []`).ok).toBe(false);
    expect(() => compileCelCondition(`${'('.repeat(1020)}true${')'.repeat(1020)}`)).not.toThrow();
  });

  it('reports the offset of the problem', () => {
    expect(compileError("principal.id == 'x' && principal.nope == 'y'")).toMatch(/at offset \d+/);
  });
});

describe('CEL conditions: what a condition reads', () => {
  it.each([
    ["'a' in principal.groups", false, true],
    ["principal.kind == 'user'", false, false],
    ['now.getHours() > 20', true, false],
    ["command.text.contains('x')", true, false],
    ['has(command.text)', true, false],
    ["command.http.query['q'] == '1'", true, false],
    ["command.http.method == 'GET'", false, false],
    ["'g' in grants", true, false],
    // reading a parent reads everything below it
    ['[command].size() == 1', true, false],
    ['[principal].size() == 1', false, true],
    ["command.classes.exists(c, c == 'x')", false, false],
  ])('%s → volatile %s, reads groups %s', (source, volatile, readsGroups) => {
    const condition = compile(source);
    expect(condition.volatile).toBe(volatile);
    expect(condition.readsGroups).toBe(readsGroups);
  });

  it('a macro variable named like a context variable shadows it', () => {
    const condition = compile("command.classes.exists(now, now == 'x')");
    expect(condition.volatile).toBe(false);
    expect(condition.paths).toEqual(['command.classes']);
  });
});
