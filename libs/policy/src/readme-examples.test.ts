import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type CompiledPolicy } from './policy-compiler.js';
import { evaluate } from './policy-evaluator.js';
import type { PolicyCommand, PolicyInput } from './policy-input.js';

// The README's examples are real policies: they must load and do what the text says.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```yaml\n(rules:[\s\S]*?)```/g)].map((match) => match[1] ?? '');

function load(index: number): CompiledPolicy {
  const result = parsePolicy(examples[index] ?? '', 'yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

function input(command: PolicyCommand, env = 'prod'): PolicyInput {
  return {
    principal: { id: 'p', kind: 'workload', subject: 's', issuer: 'i', groups: ['ai-agents'], roles: [], scopes: [], groupOverage: false },
    connection: { name: 'db', protocol: 'postgres', tags: { env } },
    command,
    now: new Date('2026-01-01T00:00:00Z'),
  };
}

describe('README examples', () => {
  it('has the three examples', () => {
    expect(examples).toHaveLength(3);
  });

  it('denies DROP in production for AI agents', () => {
    const policy = load(0);
    expect(evaluate(policy, input({ classes: ['sql.ddl.drop'] }))).toMatchObject({ effect: 'deny', ruleIds: ['deny-drop-prod-agents'] });
    expect(evaluate(policy, input({ classes: ['sql.ddl.drop'] }, 'dev')).effect).toBe('allow');
  });

  it('holds DELETE/UPDATE without WHERE for review', () => {
    const policy = load(1);
    expect(evaluate(policy, input({ classes: ['sql.dml.update'], hasWhere: false }))).toMatchObject({
      effect: 'review',
      review: { approverGroups: ['dba', 'data-owners'], timeoutSeconds: 600, minApprovals: 1 },
    });
    expect(evaluate(policy, input({ classes: ['sql.dml.delete'], hasWhere: true })).effect).toBe('allow');
  });

  it('masks email, card and SSN for AI agents', () => {
    const decision = evaluate(load(2), input({ classes: ['sql.dml.select'], tables: ['public.customers'] }));
    expect(decision.effect).toBe('mask');
    expect(decision.mask?.detectors.map((rule) => rule.detector)).toEqual(['email', 'card', 'ssn']);
    expect(evaluate(load(2), input({ classes: ['sql.dml.delete'] })).effect).toBe('deny');
  });
});
