import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compilePolicy, type CompiledPolicy } from './policy-compiler.js';
import { evaluate, explain } from './policy-evaluator.js';
import type { PolicyInput } from './policy-input.js';

const GROUPS = ['ai-agents', 'admins', 'readers'];
const CLASSES = ['sql.dml.select', 'sql.dml.delete', 'sql.ddl.drop', 'sql.cte.modifying', 'session.open', 'http.GET', 'k8s.exec'];
const PATTERNS = ['*', 'sql.*', 'sql.dml.*', 'sql.ddl.drop', 'sql.dml.delete', 'session.open', 'http.*', 'k8s.exec'];
const TABLES = ['public.customers', 'public.orders', 'audit.log'];
/** Valid conditions, some of which error at run time, read the clock, or read groups. */
const CONDITIONS = [
  'true',
  'false',
  "'ai-agents' in principal.groups",
  "principal.tenantId == 'contoso'",
  'has(command.hasWhere) && !command.hasWhere',
  'now.getHours() < 12',
  "command.text.contains('DROP')",
  "connection.tags['env'] == 'prod'",
  "command.classes.exists(c, c.startsWith('sql.ddl'))",
];

const inputArb: fc.Arbitrary<PolicyInput> = fc.record({
  principal: fc.record({
    id: fc.constant('p-1'),
    kind: fc.constantFrom('workload' as const, 'user' as const),
    subject: fc.constant('oid-1'),
    issuer: fc.constant('https://issuer.example'),
    groups: fc.subarray(GROUPS),
    roles: fc.constant([]),
    scopes: fc.constant([]),
    groupOverage: fc.boolean(),
  }),
  connection: fc.record({
    name: fc.constantFrom('prod-db', 'dev-db'),
    protocol: fc.constant('postgres' as const),
    tags: fc.constantFrom<Record<string, string>>({ env: 'prod' }, { env: 'dev' }, {}),
  }),
  command: fc.record(
    {
      classes: fc.subarray(CLASSES, { minLength: 1 }),
      tables: fc.subarray(TABLES),
      hasWhere: fc.boolean(),
      text: fc.constantFrom('SELECT 1', 'DROP TABLE t'),
    },
    { requiredKeys: ['classes'] },
  ),
  now: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
});

const matchArb = fc.record(
  {
    principal: fc.record({ groups: fc.subarray(GROUPS, { minLength: 1 }) }),
    connection: fc.record(
      { names: fc.subarray(['prod-db', 'dev-*'], { minLength: 1 }), tags: fc.constantFrom({ env: 'prod' }, { env: '*' }) },
      { requiredKeys: [] },
    ),
    commands: fc.subarray(PATTERNS, { minLength: 1 }),
    tables: fc.subarray(['customers', 'public.*', 'audit.*'], { minLength: 1 }),
  },
  { requiredKeys: [] },
);

const effectArb = fc.constantFrom<unknown>(
  'allow',
  { deny: { message: 'no' } },
  { review: { approverGroups: ['dba'] } },
  { mask: { columns: [{ pattern: 'email', strategy: 'redact' }] } },
);

const ruleBodyArb = fc.record({ match: matchArb, when: fc.constantFrom(...CONDITIONS), effect: effectArb }, { requiredKeys: ['effect'] });

const rulesArb = fc.array(ruleBodyArb, { maxLength: 8 }).map((bodies) => bodies.map((body, i) => ({ id: `r-${i}`, ...body })));

function compile(rules: readonly unknown[]): CompiledPolicy {
  const result = compilePolicy({ rules });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

function insertAt<T>(items: readonly T[], item: T, position: number): T[] {
  const at = position % (items.length + 1);
  return [...items.slice(0, at), item, ...items.slice(at)];
}

describe('policy evaluation properties', () => {
  it('adding an allow rule that does not match the input never changes a deny', () => {
    fc.assert(
      fc.property(rulesArb, inputArb, ruleBodyArb, fc.nat(), (rules, input, extra, position) => {
        const before = evaluate(compile(rules), input);
        fc.pre(before.effect === 'deny');
        // Whatever else the extra rule says, it is for a connection the input is not on.
        const unrelated = {
          ...extra,
          id: 'unrelated-allow',
          match: { ...extra.match, connection: { names: ['unrelated-*'] } },
          effect: 'allow',
        };
        const after = evaluate(compile(insertAt(rules, unrelated, position)), input);
        expect(after.effect).toBe('deny');
        expect(after.ruleIds).toEqual(before.ruleIds);
      }),
      { numRuns: 300 },
    );
  });

  it('no allow rule, matching or not, turns a rule-produced deny into anything else', () => {
    fc.assert(
      fc.property(rulesArb, inputArb, ruleBodyArb, fc.nat(), (rules, input, extra, position) => {
        const before = evaluate(compile(rules), input);
        fc.pre(before.effect === 'deny' && before.ruleIds.length > 0);
        const after = evaluate(compile(insertAt(rules, { ...extra, id: 'extra-allow', effect: 'allow' }, position)), input);
        expect(after.effect).toBe('deny');
        expect(after.ruleIds).toEqual(before.ruleIds);
      }),
      { numRuns: 300 },
    );
  });

  it('a deny rule that matches the input yields deny whatever else the policy holds', () => {
    fc.assert(
      fc.property(
        rulesArb,
        inputArb,
        fc.nat(),
        fc.nat(),
        fc.constantFrom('none', 'class', 'wildcard', 'when'),
        (rules, input, position, pick, how) => {
          const cls = input.command.classes[pick % input.command.classes.length] ?? '';
          const deny = {
            id: 'the-deny',
            ...(how === 'class' ? { match: { commands: [cls] } } : {}),
            ...(how === 'wildcard' ? { match: { commands: ['*'], connection: { names: [input.connection.name] } } } : {}),
            ...(how === 'when' ? { when: `'${cls}' in command.classes` } : {}),
            effect: { deny: { message: 'always' } },
          };
          const decision = evaluate(compile(insertAt(rules, deny, position)), input);
          expect(decision.effect).toBe('deny');
          expect(decision.ruleIds).toContain('the-deny');
          expect(decision.mask).toBeUndefined();
          expect(decision.review).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('explain gives the decision evaluate gives, and lists every rule once', () => {
    fc.assert(
      fc.property(rulesArb, inputArb, (rules, input) => {
        const policy = compile(rules);
        const explanation = explain(policy, input);
        expect(explanation.decision).toEqual(evaluate(policy, input));
        expect(explanation.rules.map((rule) => rule.ruleId)).toEqual(rules.map((rule) => rule.id));
        // the rules named by the decision are ones explain shows as matched
        for (const id of explanation.decision.ruleIds) expect(explanation.rules.find((rule) => rule.ruleId === id)?.matched).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a decision is never allow or mask without a rule that grants it', () => {
    fc.assert(
      fc.property(rulesArb, inputArb, (rules, input) => {
        const explanation = explain(compile(rules), input);
        if (explanation.decision.effect === 'allow' || explanation.decision.effect === 'mask') {
          const granting = explanation.rules.filter(
            (rule) => rule.state === 'matched' && (rule.effect === 'allow' || rule.effect === 'mask'),
          );
          expect(granting.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
