import { describe, expect, it } from 'vitest';
import { compilePolicy, type CompiledPolicy } from './policy-compiler.js';
import { evaluate, explain, type Decision, type DecisionEffect } from './policy-evaluator.js';
import type { PolicyCommand, PolicyInput, PolicyPrincipal } from './policy-input.js';

const PRINCIPAL: PolicyPrincipal = {
  id: 'p-1',
  kind: 'workload',
  subject: 'oid-1',
  issuer: 'https://login.microsoftonline.com/t/v2.0',
  appId: 'APP-1',
  groups: ['ai-agents'],
  roles: ['Sluice.Read'],
  scopes: [],
  groupOverage: false,
};

function input(
  overrides: { principal?: Partial<PolicyPrincipal>; command?: Partial<PolicyCommand>; tags?: Record<string, string>; now?: Date } = {},
): PolicyInput {
  return {
    principal: { ...PRINCIPAL, ...overrides.principal },
    connection: { name: 'prod-db', protocol: 'postgres', tags: overrides.tags ?? { env: 'prod' } },
    command: { classes: ['sql.dml.select'], tables: ['public.customers'], hasWhere: true, ...overrides.command },
    now: overrides.now ?? new Date('2026-03-04T12:00:00Z'),
  };
}

function policy(rules: unknown[], version?: string): CompiledPolicy {
  const result = compilePolicy({ rules }, version === undefined ? {} : { version });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

/** A condition that errors on PRINCIPAL (no tenantId): the rule becomes unsettled. */
const ERRORING_WHEN = "principal.tenantId == 'contoso'";
const MASK_EMAIL = { mask: { columns: [{ pattern: 'email', strategy: 'redact' }] } };
const REVIEW_DBA = { review: { approverGroups: ['dba'] } };

type RuleState = 'absent' | 'matched' | 'unsettled';
const EFFECTS = ['deny', 'review', 'mask', 'allow'] as const;
type Effect = (typeof EFFECTS)[number];

function ruleFor(effect: Effect, state: Exclude<RuleState, 'absent'>): unknown {
  const id = effect.charAt(0);
  const body = { deny: { deny: { message: 'no' } }, review: REVIEW_DBA, mask: MASK_EMAIL, allow: 'allow' }[effect];
  return state === 'matched' ? { id, effect: body } : { id, when: ERRORING_WHEN, effect: body };
}

/** The combining algorithm as the spec states it (README "Evaluation"), to check the implementation against. */
function expected(states: Record<Effect, RuleState>): { effect: DecisionEffect; ruleIds: string[] } {
  if (states.deny !== 'absent') return { effect: 'deny', ruleIds: ['d'] };
  if (states.review !== 'absent') return { effect: 'review', ruleIds: ['r'] };
  // mask rules restrict what an allow grants; they never grant on their own
  if (states.mask !== 'absent' && states.allow === 'matched') return { effect: 'mask', ruleIds: ['m'] };
  if (states.allow === 'matched') return { effect: 'allow', ruleIds: ['a'] };
  return { effect: 'deny', ruleIds: [] };
}

describe('combining: deny > review > mask > allow; nothing matched → deny', () => {
  it.each<[string, Effect[], DecisionEffect]>([
    ['nothing', [], 'deny'],
    ['allow', ['allow'], 'allow'],
    ['mask alone (masking never grants)', ['mask'], 'deny'],
    ['mask + allow', ['mask', 'allow'], 'mask'],
    ['review', ['review'], 'review'],
    ['review + allow', ['review', 'allow'], 'review'],
    ['review + mask', ['review', 'mask'], 'review'],
    ['review + mask + allow', ['review', 'mask', 'allow'], 'review'],
    ['deny', ['deny'], 'deny'],
    ['deny + allow', ['deny', 'allow'], 'deny'],
    ['deny + mask', ['deny', 'mask'], 'deny'],
    ['deny + mask + allow', ['deny', 'mask', 'allow'], 'deny'],
    ['deny + review', ['deny', 'review'], 'deny'],
    ['deny + review + allow', ['deny', 'review', 'allow'], 'deny'],
    ['deny + review + mask', ['deny', 'review', 'mask'], 'deny'],
    ['deny + review + mask + allow', ['deny', 'review', 'mask', 'allow'], 'deny'],
  ])('%s → %s', (_name, matching, effect) => {
    // Rules in reverse precedence order, so order in the document cannot be what decides.
    const rules = [...matching].reverse().map((e) => ruleFor(e, 'matched'));
    const decision = evaluate(policy(rules), input());
    expect(decision.effect).toBe(effect);
  });

  const states: RuleState[] = ['absent', 'matched', 'unsettled'];
  const combinations: Record<Effect, RuleState>[] = [];
  for (const deny of states)
    for (const review of states) for (const mask of states) for (const allow of states) combinations.push({ deny, review, mask, allow });

  it.each(combinations)('with unsettled rules: deny %s, review %s, mask %s, allow %s', (combination) => {
    const rules = EFFECTS.flatMap((effect) => {
      const state = combination[effect];
      return state === 'absent' ? [] : [ruleFor(effect, state)];
    });
    const decision = evaluate(policy(rules), input());
    expect({ effect: decision.effect, ruleIds: decision.ruleIds }).toEqual(expected(combination));
  });

  it('the default deny says that nothing matched', () => {
    const decision = evaluate(policy([{ id: 'only-k8s', match: { commands: ['k8s.*'] }, effect: 'allow' }]), input());
    expect(decision).toEqual({ effect: 'deny', ruleIds: [], reason: 'Denied: no rule matched (default deny).', cacheable: true });
  });

  it('an empty policy denies everything', () => {
    expect(evaluate(policy([]), input()).effect).toBe('deny');
  });

  it('a command with no classification is denied even under allow-all', () => {
    const decision = evaluate(policy([{ id: 'all', effect: 'allow' }]), input({ command: { classes: [] } }));
    expect(decision.effect).toBe('deny');
    expect(decision.reason).toMatch(/no classification/);
  });
});

describe('several classes per command', () => {
  const rules = [
    { id: 'allow-selects-and-ctes', match: { commands: ['sql.dml.select', 'sql.cte.*'] }, effect: 'allow' },
    {
      id: 'deny-delete',
      description: 'No deletes',
      match: { commands: ['sql.dml.delete'] },
      effect: { deny: { message: 'DELETE is blocked' } },
    },
  ];

  it('a DELETE hidden in a data-modifying CTE is caught by the DELETE rule', () => {
    const decision = evaluate(policy(rules), input({ command: { classes: ['sql.dml.select', 'sql.cte.modifying', 'sql.dml.delete'] } }));
    expect(decision).toMatchObject({ effect: 'deny', ruleIds: ['deny-delete'] });
    expect(decision.reason).toBe('Denied by rule deny-delete (No deletes): DELETE is blocked.');
  });

  it('a plain SELECT is allowed', () => {
    expect(evaluate(policy(rules), input()).effect).toBe('allow');
  });

  it('case in the class cannot dodge a rule', () => {
    expect(evaluate(policy(rules), input({ command: { classes: ['SQL.DML.DELETE'] } })).effect).toBe('deny');
  });
});

describe('failing closed when a condition errors', () => {
  it('an erroring deny condition applies the deny and says so', () => {
    const decision = evaluate(
      policy([
        { id: 'all', effect: 'allow' },
        { id: 'd', when: ERRORING_WHEN, effect: 'deny' },
      ]),
      input(),
    );
    expect(decision.effect).toBe('deny');
    expect(decision.reason).toMatch(/d \[applied although its condition failed to evaluate: fail closed\]/);
  });

  it('an erroring review condition holds the command for review', () => {
    const decision = evaluate(
      policy([
        { id: 'all', effect: 'allow' },
        { id: 'r', when: ERRORING_WHEN, effect: REVIEW_DBA },
      ]),
      input(),
    );
    expect(decision).toMatchObject({ effect: 'review', ruleIds: ['r'], cacheable: false });
  });

  it('an erroring allow condition grants nothing', () => {
    const decision = evaluate(policy([{ id: 'a', when: ERRORING_WHEN, effect: 'allow' }]), input());
    expect(decision.effect).toBe('deny');
    expect(decision.reason).toMatch(/Not applied because they could not be settled: a \(its condition failed to evaluate\)/);
  });

  it('an erroring mask condition still masks when something else allows, but never grants on its own', () => {
    const masked = evaluate(
      policy([
        { id: 'a', effect: 'allow' },
        { id: 'm', when: ERRORING_WHEN, effect: MASK_EMAIL },
      ]),
      input(),
    );
    expect(masked).toMatchObject({
      effect: 'mask',
      ruleIds: ['m'],
      mask: { columns: [{ pattern: 'email', strategy: { kind: 'redact' } }], detectors: [] },
    });
    expect(masked.reason).toBe(
      'Allowed by rule a, with masking by rule m [applied although its condition failed to evaluate: fail closed].',
    );
    expect(evaluate(policy([{ id: 'm', when: ERRORING_WHEN, effect: MASK_EMAIL }]), input()).effect).toBe('deny');
  });

  it('statement text too long for CEL fails a deny condition closed', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      { id: 'no-pg-sleep', when: "command.text.contains('pg_sleep')", effect: 'deny' },
    ];
    const long = `SELECT 1 /* ${'x'.repeat(300_000)} */`;
    expect(evaluate(policy(rules), input({ command: { text: long } })).effect).toBe('deny');
    expect(evaluate(policy(rules), input({ command: { text: 'SELECT 1' } })).effect).toBe('allow');
  });
});

describe('group overage', () => {
  const overage = { principal: { groups: [], groupOverage: true } };

  it('a deny rule on a group applies when membership cannot be ruled out', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      { id: 'no-agents', match: { principal: { groups: ['ai-agents'] } }, effect: 'deny' },
    ];
    const decision = evaluate(policy(rules), input(overage));
    expect(decision).toMatchObject({ effect: 'deny', ruleIds: ['no-agents'] });
    expect(decision.reason).toMatch(/group overage: membership in ai-agents cannot be ruled out: fail closed/);
    // without overage, an empty group list settles it
    expect(evaluate(policy(rules), input({ principal: { groups: [] } })).effect).toBe('allow');
  });

  it('a review rule on a group applies', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      { id: 'r', match: { principal: { groups: ['contractors'] } }, effect: REVIEW_DBA },
    ];
    expect(evaluate(policy(rules), input(overage)).effect).toBe('review');
  });

  it('an allow rule that requires a group does not apply, and the reason says why', () => {
    const rules = [{ id: 'readers', match: { principal: { groups: ['readers'] } }, effect: 'allow' }];
    const decision = evaluate(policy(rules), input(overage));
    expect(decision.effect).toBe('deny');
    expect(decision.reason).toMatch(/readers \(group overage: membership in readers cannot be ruled out\)/);
  });

  it('a group the token does list is settled membership, overage or not', () => {
    const rules = [{ id: 'readers', match: { principal: { groups: ['readers'] } }, effect: 'allow' }];
    expect(evaluate(policy(rules), input({ principal: { groups: ['readers'], groupOverage: true } })).effect).toBe('allow');
  });

  it('a mask rule for a group still masks (it restricts) but cannot grant', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      { id: 'm', match: { principal: { groups: ['ai-agents'] } }, effect: MASK_EMAIL },
    ];
    expect(evaluate(policy(rules), input(overage))).toMatchObject({ effect: 'mask', ruleIds: ['m'] });
  });

  it('a condition reading principal.groups decides nothing under overage', () => {
    const deny = [
      { id: 'a', effect: 'allow' },
      { id: 'd', when: "!('admins' in principal.groups)", effect: 'deny' },
    ];
    expect(evaluate(policy(deny), input({ principal: { groups: ['admins'], groupOverage: true } })).effect).toBe('deny');
    expect(evaluate(policy(deny), input({ principal: { groups: ['admins'] } })).effect).toBe('allow');
    const allow = [{ id: 'a', when: "'admins' in principal.groups", effect: 'allow' }];
    expect(evaluate(policy(allow), input({ principal: { groups: ['admins'], groupOverage: true } })).effect).toBe('deny');
  });

  it('a definite mismatch elsewhere still rules the rule out', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      { id: 'd', match: { principal: { groups: ['ai-agents'] }, connection: { names: ['other-db'] } }, effect: 'deny' },
    ];
    expect(evaluate(policy(rules), input(overage)).effect).toBe('allow');
  });
});

describe('review and mask payloads', () => {
  it('merges reviews: union of approver groups, shortest timeout, most approvals', () => {
    const rules = [
      { id: 'r1', effect: { review: { approverGroups: ['dba', 'sec'], timeoutSeconds: 600, minApprovals: 1 } } },
      { id: 'r2', effect: { review: { approverGroups: ['sec', 'owners'], timeoutSeconds: 300, minApprovals: 2 } } },
    ];
    const decision = evaluate(policy(rules), input());
    expect(decision).toMatchObject({
      effect: 'review',
      ruleIds: ['r1', 'r2'],
      review: { approverGroups: ['dba', 'sec', 'owners'], timeoutSeconds: 300, minApprovals: 2 },
      cacheable: false,
    });
    expect(decision.mask).toBeUndefined();
  });

  it('unions mask plans, keeping the stronger strategy for the same column or detector', () => {
    const rules = [
      { id: 'a', effect: 'allow' },
      {
        id: 'm1',
        effect: {
          mask: {
            columns: [{ pattern: 'email', strategy: { kind: 'partial', keepLast: 4 } }],
            detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 4 } }],
          },
        },
      },
      {
        id: 'm2',
        effect: {
          mask: {
            columns: [
              { pattern: 'email', strategy: 'hash' },
              { pattern: 'ssn', strategy: 'null' },
            ],
            detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 2 } }],
          },
        },
      },
    ];
    const decision = evaluate(policy(rules), input());
    expect(decision).toMatchObject({ effect: 'mask', ruleIds: ['m1', 'm2'] });
    expect(decision.mask).toEqual({
      columns: [
        { pattern: 'email', strategy: { kind: 'hash' } },
        { pattern: 'ssn', strategy: { kind: 'null' } },
      ],
      detectors: [{ detector: 'card', strategy: { kind: 'partial', keepLast: 2 } }],
    });
  });

  it('a review decision carries the mask plan so what runs after approval is still masked', () => {
    const decision = evaluate(
      policy([
        { id: 'r', effect: REVIEW_DBA },
        { id: 'm', effect: MASK_EMAIL },
      ]),
      input(),
    );
    expect(decision.effect).toBe('review');
    expect(decision.mask?.columns).toEqual([{ pattern: 'email', strategy: { kind: 'redact' } }]);
  });

  it('allow and deny decisions carry neither', () => {
    for (const decision of [
      evaluate(policy([{ id: 'a', effect: 'allow' }]), input()),
      evaluate(
        policy([
          { id: 'm', effect: MASK_EMAIL },
          { id: 'd', effect: 'deny' },
        ]),
        input(),
      ),
    ]) {
      expect(decision.mask).toBeUndefined();
      expect(decision.review).toBeUndefined();
    }
  });
});

describe('cacheability and version', () => {
  const cacheable = (rules: unknown[], command: Partial<PolicyCommand> = {}): boolean =>
    evaluate(policy(rules), input({ command })).cacheable;

  it('is true for a decision on stable facts', () => {
    expect(cacheable([{ id: 'a', when: "principal.kind == 'workload' && command.hasWhere", effect: 'allow' }])).toBe(true);
  });

  it('is false when an evaluated condition read the clock, even if it was false', () => {
    expect(
      cacheable([
        { id: 'a', effect: 'allow' },
        { id: 'night', when: 'now.getHours() < 6', effect: 'deny' },
      ]),
    ).toBe(false);
  });

  it('is false when a condition read the statement text', () => {
    expect(cacheable([{ id: 'a', when: "!command.text.contains('pg_sleep')", effect: 'allow' }], { text: 'SELECT 1' })).toBe(false);
  });

  it('is false when a condition read grants', () => {
    expect(cacheable([{ id: 'a', when: "'prod-write' in grants", effect: 'allow' }])).toBe(false);
  });

  it('is unaffected by a volatile condition that was never evaluated (the match ruled it out first)', () => {
    expect(
      cacheable([
        { id: 'a', effect: 'allow' },
        { id: 'night', match: { commands: ['k8s.*'] }, when: 'now.getHours() < 6', effect: 'deny' },
      ]),
    ).toBe(true);
  });

  it('is false for review', () => {
    expect(cacheable([{ id: 'r', effect: REVIEW_DBA }])).toBe(false);
  });

  it('echoes the policy version', () => {
    expect(evaluate(policy([{ id: 'a', effect: 'allow' }], '42'), input()).policyVersion).toBe('42');
  });
});

describe('match fields', () => {
  const verdict = (match: unknown, overrides: Parameters<typeof input>[0] = {}): DecisionEffect =>
    evaluate(policy([{ id: 'a', match, effect: 'allow' }]), input(overrides)).effect;

  it.each<[string, unknown, Parameters<typeof input>[0], DecisionEffect]>([
    ['group, any of', { principal: { groups: ['x', 'AI-Agents'] } }, {}, 'allow'],
    ['group missing', { principal: { groups: ['admins'] } }, {}, 'deny'],
    ['role', { principal: { roles: ['sluice.read'] } }, {}, 'allow'],
    ['app id, case-insensitive', { principal: { appIds: ['app-1'] } }, {}, 'allow'],
    ['app id absent', { principal: { appIds: ['app-1'] } }, { principal: { appId: undefined } }, 'deny'],
    ['subject, exact', { principal: { subjects: ['oid-1'] } }, {}, 'allow'],
    ['subject, case matters', { principal: { subjects: ['OID-1'] } }, {}, 'deny'],
    ['kind', { principal: { kinds: ['user'] } }, {}, 'deny'],
    ['all principal fields AND', { principal: { groups: ['ai-agents'], kinds: ['user'] } }, {}, 'deny'],
    ['connection name glob', { connection: { names: ['prod-*'] } }, {}, 'allow'],
    ['protocol', { connection: { protocols: ['mysql', 'postgres'] } }, {}, 'allow'],
    ['protocol mismatch', { connection: { protocols: ['http'] } }, {}, 'deny'],
    ['tag equals, value case-insensitive', { connection: { tags: { env: 'PROD' } } }, {}, 'allow'],
    ['tag differs', { connection: { tags: { env: 'dev' } } }, {}, 'deny'],
    ['tag present (*)', { connection: { tags: { env: '*' } } }, {}, 'allow'],
    ['tag absent (*)', { connection: { tags: { team: '*' } } }, {}, 'deny'],
    ['all tags must hold', { connection: { tags: { env: 'prod', team: 'a' } } }, { tags: { env: 'prod', team: 'b' } }, 'deny'],
    ['tag named like a prototype member', { connection: { tags: { toString: '*' } } }, { tags: {} }, 'deny'],
    ['table unqualified vs qualified', { tables: ['customers'] }, {}, 'allow'],
    ['table written', { tables: ['audit.*'] }, { command: { tables: [], tablesWritten: ['audit.log'] } }, 'allow'],
    ['no tables', { tables: ['*'] }, { command: { tables: undefined } }, 'deny'],
    ['path on a non-HTTP command', { paths: ['/**'] }, {}, 'deny'],
    [
      'path',
      { paths: ['/api/**'] },
      { command: { classes: ['http.GET'], http: { method: 'GET', path: '/api/v1/items', query: {} } } },
      'allow',
    ],
    [
      'namespace',
      { namespaces: ['team-*'] },
      { command: { classes: ['k8s.get'], k8s: { verb: 'get', group: '', resource: 'pods', namespace: 'team-a' } } },
      'allow',
    ],
    [
      'cluster-scoped request vs namespaces',
      { namespaces: ['*'] },
      { command: { classes: ['k8s.get'], k8s: { verb: 'get', group: '', resource: 'nodes' } } },
      'deny',
    ],
    [
      'an all-namespaces list vs an allow on some namespaces (it spans the others too)',
      { namespaces: ['team-a'] },
      { command: { classes: ['k8s.list'], k8s: { verb: 'list', group: '', resource: 'configmaps' } } },
      'deny',
    ],
  ])('%s', (_what, match, overrides, effect) => {
    expect(verdict(match, overrides)).toBe(effect);
  });

  it('a path that servers would read differently is unsettled: deny applies, allow does not', () => {
    const traversal = { command: { classes: ['http.GET'], http: { method: 'GET', path: '/public/..%2fadmin', query: {} } } };
    const rules = [
      { id: 'public', match: { paths: ['/public/**'] }, effect: 'allow' },
      { id: 'admin', match: { paths: ['/admin/**'] }, effect: 'deny' },
    ];
    const decision = evaluate(policy(rules), input(traversal));
    expect(decision).toMatchObject({ effect: 'deny', ruleIds: ['admin'] });
    expect(evaluate(policy([rules[0]]), input(traversal)).effect).toBe('deny');
  });

  it('a path in another case cannot dodge a deny (paths compare case-insensitively; Express routes that way too)', () => {
    const shouting = { command: { classes: ['http.DELETE'], http: { method: 'DELETE', path: '/ADMIN/Users/1', query: {} } } };
    const rules = [
      { id: 'everything', match: { paths: ['/**'] }, effect: 'allow' },
      { id: 'admin', match: { paths: ['/admin/**'] }, effect: 'deny' },
    ];
    expect(evaluate(policy(rules), input(shouting))).toMatchObject({ effect: 'deny', ruleIds: ['admin'] });
  });
});

describe('format suffixes', () => {
  it('a deny on /admin/** applies to /admin.json and /admin/users.xml; an allow on it does not admit them', () => {
    const rules = [
      { id: 'all', match: { paths: ['/**'] }, effect: 'allow' },
      { id: 'admin', match: { paths: ['/admin/**'] }, effect: 'deny' },
    ];
    for (const path of ['/admin.json', '/admin/users.xml', '/admin']) {
      const request = { command: { classes: ['http.GET'], http: { method: 'GET', path, query: {} } } };
      expect({ path, effect: evaluate(policy(rules), input(request)).effect }).toEqual({ path, effect: 'deny' });
    }
    const onlyAdmin = [{ id: 'admin-ok', match: { paths: ['/admin'] }, effect: 'allow' }];
    const suffixed = { command: { classes: ['http.GET'], http: { method: 'GET', path: '/admin.json', query: {} } } };
    expect(evaluate(policy(onlyAdmin), input(suffixed)).effect).toBe('deny');
    const plain = { command: { classes: ['http.GET'], http: { method: 'GET', path: '/reports/q1.csv', query: {} } } };
    expect(evaluate(policy(rules), input(plain)).effect).toBe('allow');
  });
});

describe('namespaces and requests across every namespace', () => {
  it('a deny on a namespace applies to a list of that resource across every namespace', () => {
    const rules = [
      { id: 'read', match: { commands: ['k8s.configmaps.*'] }, effect: 'allow' },
      { id: 'no-kube-system', match: { commands: ['k8s.configmaps.*'], namespaces: ['kube-system'] }, effect: 'deny' },
    ];
    const all = { command: { classes: ['k8s.configmaps.list'], k8s: { verb: 'list', group: '', resource: 'configmaps' } } };
    expect(evaluate(policy(rules), input(all))).toMatchObject({ effect: 'deny', ruleIds: ['no-kube-system'] });
    const elsewhere = { command: { ...all.command, k8s: { ...all.command.k8s, namespace: 'team-a' } } };
    expect(evaluate(policy(rules), input(elsewhere)).effect).toBe('allow');
    const nodes = { command: { classes: ['k8s.nodes.list'], k8s: { verb: 'list', group: '', resource: 'nodes' } } };
    const nodeRules = [
      { id: 'read', match: { commands: ['k8s.nodes.*'] }, effect: 'allow' },
      { id: 'no-kube-system', match: { commands: ['k8s.nodes.*'], namespaces: ['kube-system'] }, effect: 'deny' },
    ];
    expect(evaluate(policy(nodeRules), input(nodes)).effect).toBe('allow');
  });
});

describe('reasons', () => {
  it('name the rules, their descriptions and messages, and never the statement text', () => {
    const rules = [
      {
        id: 'no-drop',
        description: 'Never drop in prod',
        match: { commands: ['sql.ddl.drop'] },
        effect: { deny: { message: 'DROP is blocked in production' } },
      },
      { id: 'no-truncate', match: { commands: ['sql.ddl.truncate'] }, effect: 'deny' },
    ];
    const decision = evaluate(
      policy(rules),
      input({ command: { classes: ['sql.ddl.drop', 'sql.ddl.truncate'], text: "DROP TABLE t -- password='hunter2'" } }),
    );
    expect(decision.reason).toBe('Denied by rules no-drop (Never drop in prod): DROP is blocked in production; no-truncate.');
    expect(decision.reason).not.toContain('hunter2');
  });

  it('an evaluation error message stays out of the decision reason', () => {
    const decision = evaluate(
      policy([{ id: 'd', when: 'int(command.text) > 1', effect: 'deny' }]),
      input({ command: { text: 'secret-value' } }),
    );
    expect(decision.effect).toBe('deny');
    expect(decision.reason).not.toContain('secret-value');
  });
});

describe('explain', () => {
  const rules = [
    { id: 'no-drop-prod', match: { connection: { tags: { env: 'prod' } }, commands: ['sql.ddl.drop'] }, effect: 'deny' },
    { id: 'dev-only', match: { connection: { tags: { env: 'dev' } } }, effect: 'allow' },
    {
      id: 'agents-by-day',
      match: { principal: { groups: ['ai-agents'] } },
      when: 'now.getHours() >= 8 && now.getHours() < 18',
      effect: 'allow',
    },
    { id: 'tenant-check', when: ERRORING_WHEN, effect: 'deny' },
    { id: 'pii', match: { tables: ['customers'] }, effect: MASK_EMAIL },
  ];

  it('lists every rule with whether it matched and why', () => {
    const result = explain(policy(rules), input());
    expect(result.decision.effect).toBe('deny');
    expect(result.decision.ruleIds).toEqual(['tenant-check']);
    expect(result.rules).toEqual([
      {
        ruleId: 'no-drop-prod',
        effect: 'deny',
        matched: false,
        state: 'not-matched',
        why: 'match.commands: no class of the command matches sql.ddl.drop',
      },
      { ruleId: 'dev-only', effect: 'allow', matched: false, state: 'not-matched', why: "match.connection.tags: tag 'env' is not 'dev'" },
      { ruleId: 'agents-by-day', effect: 'allow', matched: true, state: 'matched', why: 'all match fields hold; when: condition is true' },
      {
        ruleId: 'tenant-check',
        effect: 'deny',
        matched: true,
        state: 'unsettled',
        why: expect.stringMatching(/^when: evaluation failed \(.*tenantId.*\)$/) as string,
      },
      { ruleId: 'pii', effect: 'mask', matched: true, state: 'matched', why: 'all match fields hold' },
    ]);
  });

  it('reports a false condition', () => {
    const night = input({ now: new Date('2026-03-04T23:00:00Z') });
    const result = explain(policy(rules.filter((rule) => rule.id !== 'tenant-check')), night);
    expect(result.rules.find((rule) => rule.ruleId === 'agents-by-day')).toEqual({
      ruleId: 'agents-by-day',
      effect: 'allow',
      matched: false,
      state: 'not-matched',
      why: 'when: condition is false',
    });
    // the mask rule matched, but masking never grants access on its own
    expect(result.decision).toMatchObject({ effect: 'deny', ruleIds: [] });
    expect(result.decision.reason).toBe('Denied: no rule matched (default deny). Mask rule pii matched, but masking never grants access.');
    expect(result.rules.find((rule) => rule.ruleId === 'pii')).toMatchObject({ matched: true, state: 'matched' });
  });

  it('gives the same decision as evaluate', () => {
    const compiled = policy(rules);
    const decision: Decision = evaluate(compiled, input());
    expect(explain(compiled, input()).decision).toEqual(decision);
  });
});

describe('allow rules must cover the whole command (adversarial: hiding a write behind an allowed read)', () => {
  const allowSelectOnOrders = policy([{ id: 'read-orders', match: { commands: ['sql.dml.select'], tables: ['orders'] }, effect: 'allow' }]);

  it('allows a plain SELECT on the allowed table', () => {
    expect(evaluate(allowSelectOnOrders, input({ command: { classes: ['sql.dml.select'], tables: ['orders'] } })).effect).toBe('allow');
  });

  it('denies a DELETE hidden in a CTE even though the command also has the SELECT class', () => {
    const hidden = input({ command: { classes: ['sql.dml.select', 'sql.dml.delete', 'sql.cte.modifying'], tables: ['orders'] } });
    const decision = evaluate(allowSelectOnOrders, hidden);
    expect(decision.effect).toBe('deny');
    expect(explain(allowSelectOnOrders, hidden).rules[0]?.why).toMatch(/must cover every class/);
  });

  it('denies a join that reads an uncovered table too', () => {
    expect(evaluate(allowSelectOnOrders, input({ command: { classes: ['sql.dml.select'], tables: ['orders', 'customers'] } })).effect).toBe(
      'deny',
    );
  });

  it('denies a table-scoped allow for a command that names no table', () => {
    expect(evaluate(allowSelectOnOrders, input({ command: { classes: ['sql.dml.select'], tables: [] } })).effect).toBe('deny');
  });

  it('still lets deny and mask rules apply on any one class or table', () => {
    const p = policy([
      { id: 'all', effect: 'allow' },
      { id: 'no-delete', match: { commands: ['sql.dml.delete'] }, effect: { deny: { message: 'no deletes' } } },
      { id: 'pii', match: { tables: ['customers'] }, effect: MASK_EMAIL },
    ]);
    expect(evaluate(p, input({ command: { classes: ['sql.dml.select', 'sql.dml.delete'], tables: ['orders'] } })).effect).toBe('deny');
    expect(evaluate(p, input({ command: { classes: ['sql.dml.select'], tables: ['orders', 'customers'] } })).effect).toBe('mask');
  });
});
