import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_POLICY_DOCUMENT } from './default-policy.js';
import { parsePolicy } from './policy-compiler.js';
import { evaluate } from './policy-evaluator.js';
import type { PolicyInput } from './policy-input.js';

function input(classes: string[]): PolicyInput {
  return {
    principal: { id: 'p', kind: 'user', subject: 's', issuer: 'i', groups: [], roles: [], scopes: [], groupOverage: false },
    connection: { name: 'db', protocol: 'postgres', tags: {} },
    command: { classes },
    now: new Date('2026-01-01T00:00:00Z'),
  };
}

describe('the default policy', () => {
  it.each([['sql.ddl.drop'], ['sql.ddl.truncate']])('denies %s with a message', (cls) => {
    const decision = evaluate(DEFAULT_POLICY, input([cls]));
    expect(decision.effect).toBe('deny');
    expect(decision.reason).toMatch(/not allowed by the default policy/);
    expect(decision.policyVersion).toBe('default');
  });

  it('denies a DROP hidden among other classes', () => {
    expect(evaluate(DEFAULT_POLICY, input(['sql.dml.select', 'sql.ddl.drop'])).effect).toBe('deny');
  });

  it('allows session.open by its own rule', () => {
    expect(evaluate(DEFAULT_POLICY, input(['session.open']))).toMatchObject({
      effect: 'allow',
      ruleIds: ['default-allow-session-open', 'default-allow-all'],
      cacheable: true,
    });
  });

  it.each([['sql.dml.select'], ['sql.dml.delete'], ['sql.ddl.create'], ['http.POST'], ['k8s.exec']])('allows %s', (cls) => {
    expect(evaluate(DEFAULT_POLICY, input([cls])).effect).toBe('allow');
  });

  it('round-trips through JSON text', () => {
    const result = parsePolicy(JSON.stringify(DEFAULT_POLICY_DOCUMENT), 'json');
    expect(result.ok).toBe(true);
  });
});
