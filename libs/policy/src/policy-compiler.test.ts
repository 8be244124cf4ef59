import { describe, expect, it } from 'vitest';
import { compilePolicy, formatPolicyPath, parsePolicy, type PolicyLoadResult } from './policy-compiler.js';
import type { PolicyError } from './policy-error.js';
import { MAX_POLICY_TEXT_LENGTH, MAX_RULES } from './policy-limits.js';

function errorsOf(result: PolicyLoadResult): readonly PolicyError[] {
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}

function errorsFor(document: unknown): readonly PolicyError[] {
  return errorsOf(compilePolicy(document));
}

const allowAll = { id: 'allow-all', effect: 'allow' };

describe('parsePolicy', () => {
  const yaml = `
rules:
  - id: deny-drop-prod
    description: Never drop in production
    match:
      principal: { groups: [ai-agents] }
      connection: { tags: { env: prod } }
      commands: [sql.ddl.drop]
    effect:
      deny: { message: DROP is not allowed in production }
  - id: review-unbounded-writes
    match: { commands: [sql.dml.delete, sql.dml.update] }
    when: "has(command.hasWhere) && !command.hasWhere"
    effect:
      review: { approverGroups: [dba] }
  - id: mask-pii
    effect:
      mask:
        columns: [{ pattern: email, strategy: redact }]
        detectors: [{ detector: card, strategy: { kind: partial, keepLast: 4 } }]
  - id: allow-rest
    effect: allow
`;

  it('parses YAML, fills defaults and compiles every rule', () => {
    const result = parsePolicy(yaml, 'yaml', { version: '7' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.policy.version).toBe('7');
    expect(result.policy.rules.map((rule) => rule.id)).toEqual(['deny-drop-prod', 'review-unbounded-writes', 'mask-pii', 'allow-rest']);
    expect(result.policy.rules[1]?.effect).toEqual({
      kind: 'review',
      review: { approverGroups: ['dba'], timeoutSeconds: 900, minApprovals: 1 },
    });
    expect(result.policy.rules[2]?.effect).toEqual({
      kind: 'mask',
      mask: {
        columns: [{ pattern: 'email', strategy: { kind: 'redact' } }],
        detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 4 } }],
      },
    });
    expect(result.policy.document.rules[3]?.effect).toEqual({ allow: {} });
    expect(Object.isFrozen(result.policy.rules)).toBe(true);
  });

  it('parses the same policy as JSON', () => {
    const json = JSON.stringify({ rules: [{ id: 'a', match: { commands: ['session.open'] }, effect: { allow: {} } }] });
    const result = parsePolicy(json, 'json');
    expect(result.ok).toBe(true);
  });

  it('reports malformed text at the root', () => {
    expect(errorsOf(parsePolicy('{"rules": [', 'json'))[0]).toMatchObject({
      path: '(root)',
      message: expect.stringMatching(/invalid JSON/) as string,
    });
    expect(errorsOf(parsePolicy('rules: [\n', 'yaml'))[0]).toMatchObject({
      path: '(root)',
      message: expect.stringMatching(/invalid YAML/) as string,
    });
  });

  it('refuses duplicate YAML keys (the second would silently win)', () => {
    const text = 'rules:\n  - id: a\n    effect: allow\n    effect: { deny: {} }\n';
    expect(errorsOf(parsePolicy(text, 'yaml'))[0]?.message).toMatch(/invalid YAML/);
  });

  it('refuses an alias bomb', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('rules: []');
    expect(errorsOf(parsePolicy(lines.join('\n'), 'yaml'))[0]?.message).toMatch(/invalid YAML/);
  });

  it('refuses oversized text before parsing it', () => {
    expect(errorsOf(parsePolicy(' '.repeat(MAX_POLICY_TEXT_LENGTH + 1), 'json'))[0]?.message).toMatch(/longer than/);
  });

  it('survives absurdly nested JSON', () => {
    const deep = `{"rules": [{"id": "a", "effect": "allow", "match": {"tables": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}]}`;
    expect(errorsOf(parsePolicy(deep, 'json'))[0]?.path).toBe('rules[0].match.tables[0]');
  });

  it('reads YAML 1.2: `no` is a string, so a tag value stays what it says', () => {
    const text = 'rules:\n  - id: a\n    match: { connection: { tags: { replica: no } } }\n    effect: allow\n';
    const result = parsePolicy(text, 'yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.policy.document.rules[0]?.match?.connection?.tags).toEqual({ replica: 'no' });
  });
});

describe('compilePolicy validation', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 42, '(root)', /expected object/],
    ['no rules', {}, 'rules', /expected array/],
    ['unknown top-level field', { rules: [], version: 2 }, 'version', /unknown field/],
    ['bad id', { rules: [{ id: 'Deny Drop', effect: 'allow' }] }, 'rules[0].id', /slug/],
    ['missing effect', { rules: [{ id: 'a' }] }, 'rules[0].effect', /expected object/],
    [
      'misspelt match (would match everything)',
      { rules: [{ id: 'a', mathc: { commands: ['x'] }, effect: 'allow' }] },
      'rules[0].mathc',
      /unknown field/,
    ],
    [
      'misspelt match field',
      { rules: [{ id: 'a', match: { command: ['x'] }, effect: 'allow' }] },
      'rules[0].match.command',
      /unknown field/,
    ],
    ['two effects', { rules: [{ id: 'a', effect: { allow: {}, deny: {} } }] }, 'rules[0].effect', /exactly one of/],
    ['no effect key', { rules: [{ id: 'a', effect: {} }] }, 'rules[0].effect', /exactly one of/],
    ['unknown effect', { rules: [{ id: 'a', effect: 'permit' }] }, 'rules[0].effect', /expected object/],
    [
      'review timeout out of range',
      { rules: [{ id: 'a', effect: { review: { approverGroups: ['dba'], timeoutSeconds: 0 } } }] },
      'rules[0].effect.review.timeoutSeconds',
      /too small/i,
    ],
    [
      'review timeout not an integer',
      { rules: [{ id: 'a', effect: { review: { approverGroups: ['dba'], timeoutSeconds: 1.5 } } }] },
      'rules[0].effect.review.timeoutSeconds',
      /int/i,
    ],
    [
      'review without approvers',
      { rules: [{ id: 'a', effect: { review: { approverGroups: [] } } }] },
      'rules[0].effect.review.approverGroups',
      /at least one/,
    ],
    ['empty mask', { rules: [{ id: 'a', effect: { mask: {} } }] }, 'rules[0].effect.mask', /at least one column or detector/],
    [
      'unknown detector',
      { rules: [{ id: 'a', effect: { mask: { detectors: [{ detector: 'dna', strategy: 'redact' }] } } }] },
      'rules[0].effect.mask.detectors[0].detector',
      /invalid option/i,
    ],
    [
      'partial without keepLast',
      { rules: [{ id: 'a', effect: { mask: { columns: [{ pattern: 'email', strategy: { kind: 'partial' } }] } } }] },
      'rules[0].effect.mask.columns[0].strategy.keepLast',
      /expected int|expected number/,
    ],
    [
      'empty list',
      { rules: [{ id: 'a', match: { principal: { groups: [] } }, effect: 'allow' }] },
      'rules[0].match.principal.groups',
      /at least one/,
    ],
    [
      'unknown protocol',
      { rules: [{ id: 'a', match: { connection: { protocols: ['ftp'] } }, effect: 'allow' }] },
      'rules[0].match.connection.protocols[0]',
      /invalid option/i,
    ],
    [
      'reserved tag key',
      { rules: [{ id: 'a', match: { connection: { tags: { constructor: 'x' } } }, effect: 'allow' }] },
      'rules[0].match.connection.tags.constructor',
      /reserved/,
    ],
    [
      'bad command pattern',
      { rules: [{ id: 'a', match: { commands: ['sql.ddl.*', 'sql.d*'] }, effect: 'allow' }] },
      'rules[0].match.commands[1]',
      /exactly '\*'/,
    ],
    [
      'pattern too long',
      { rules: [{ id: 'a', match: { tables: ['t'.repeat(300)] }, effect: 'allow' }] },
      'rules[0].match.tables[0]',
      /at most 256/,
    ],
    [
      'bad path pattern',
      { rules: [{ id: 'a', match: { paths: ['admin/**'] }, effect: 'allow' }] },
      'rules[0].match.paths[0]',
      /must start with/,
    ],
    [
      'CEL type error',
      { rules: [allowAll, { id: 'b', when: "principal.groups == 'x'", effect: 'deny' }] },
      'rules[1].when',
      /cannot compare/,
    ],
    [
      'CEL unknown field',
      { rules: [{ id: 'b', when: "principal.mail == 'x'", effect: 'deny' }] },
      'rules[0].when',
      /unknown field 'principal\.mail'/,
    ],
    ['CEL non-bool', { rules: [{ id: 'b', when: 'principal.id', effect: 'deny' }] }, 'rules[0].when', /must evaluate to a bool/],
    [
      'duplicate id',
      { rules: [allowAll, { id: 'x', effect: 'deny' }, allowAll] },
      'rules[2].id',
      /duplicate rule id 'allow-all' \(already used by rules\[0\]\)/,
    ],
  ])('%s', (_what, document, path, message) => {
    const errors = errorsFor(document);
    const error = errors.find((candidate) => candidate.path === path);
    expect(error, JSON.stringify(errors)).toBeDefined();
    expect(error?.message).toMatch(message);
  });

  it('reports every problem, not just the first', () => {
    const errors = errorsFor({
      rules: [
        { id: 'a', when: 'nope', effect: 'allow' },
        { id: 'b', match: { commands: ['x..y'] }, effect: 'allow' },
        { id: 'a', effect: 'deny' },
      ],
    });
    expect(errors.map((error) => error.path).sort()).toEqual(['rules[0].when', 'rules[1].match.commands[0]', 'rules[2].id']);
  });

  it(`limits a policy to ${MAX_RULES} rules`, () => {
    const rules = Array.from({ length: MAX_RULES + 1 }, (_, i) => ({ id: `r-${i}`, effect: 'allow' }));
    expect(errorsFor({ rules })[0]).toMatchObject({ path: 'rules', message: expect.stringMatching(/at most 1000 rules/) as string });
    expect(compilePolicy({ rules: rules.slice(0, MAX_RULES) }).ok).toBe(true);
  });

  it('runs an extra mask-plan check and reports it at the mask', () => {
    const document = { rules: [{ id: 'm', effect: { mask: { columns: [{ pattern: 'a"b', strategy: 'hash' }] } } }] };
    const result = compilePolicy(document, {
      checkMaskPlan: (plan) => (plan.columns.some((c) => c.pattern.includes('"')) ? ['columns[0].pattern: bad quoting'] : []),
    });
    expect(errorsOf(result)).toEqual([{ path: 'rules[0].effect.mask', message: 'columns[0].pattern: bad quoting' }]);
  });

  it('accepts shorthand strategies and effects', () => {
    const result = compilePolicy({
      rules: [
        { id: 'd', effect: 'deny' },
        { id: 'm', effect: { mask: { detectors: [{ detector: 'ssn', strategy: 'null' }] } } },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.policy.rules.map((rule) => rule.effect)).toEqual([
      { kind: 'deny' },
      { kind: 'mask', mask: { columns: [], detectors: [{ detector: 'ssn', strategy: { kind: 'null' } }] } },
    ]);
  });

  it('does not let a __proto__ key change the shape of a rule', () => {
    const document = JSON.parse('{"rules":[{"id":"a","effect":"allow","__proto__":{"when":"false"}}]}') as unknown;
    expect(errorsFor(document).map((error) => error.path)).toContain('rules[0].__proto__');
  });
});

describe('formatPolicyPath', () => {
  it('formats indices, identifiers and odd keys', () => {
    expect(formatPolicyPath(['rules', 3, 'when'])).toBe('rules[3].when');
    expect(formatPolicyPath(['rules', 0, 'match', 'connection', 'tags', 'team/name'])).toBe('rules[0].match.connection.tags["team/name"]');
    expect(formatPolicyPath([])).toBe('(root)');
  });
});
