#!/usr/bin/env node
// `pnpm bench:policy`: policy decision latency for a 200-rule policy, uncached and cached
// (issue: "decisions per second for a 200-rule policy, uncached and cached, printed with the p99";
// docs/performance.md "Policy decisions").
//
// A measurement, not a test: it exits 0 whatever the numbers are, and non-zero only when it could
// not run. It needs no database and no network: it calls the built code (dist/) the product calls.
//
// - Uncached: what the control plane does for every decision request the agent could not answer
//   from its cache: `evaluate(compiledPolicy, { principal, connection, command, now, grants })`
//   from @sluice/policy (PolicyService.evaluate in apps/control-plane).
// - Cached: what the agent does before asking: `DecisionCache.get(principalKey, connection,
//   fingerprint)` (apps/agent/src/decisions/decision-cache.ts), a hit on a decision the control
//   plane marked cacheable. The principal key is computed once per session and the fingerprint by
//   the SQL classifier, so neither is part of the cached measurement.
//
// The policy is generated deterministically (--seed): deny / review / mask / allow rules on groups,
// connection names and tags, command classes with wildcards (sql.ddl.*), tables, and about a quarter
// with a CEL `when`. It is compiled once from JSON text with parsePolicy, as an upload is.
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const POLICY_LIB = join(ROOT, 'libs/policy/dist/index.js');
const MASKING_LIB = join(ROOT, 'libs/masking/dist/index.js');
const DECISION_CACHE = join(ROOT, 'apps/agent/dist/decisions/decision-cache.js');

const HELP = `usage: pnpm bench:policy [-- options]   (or: node scripts/bench-policy.mjs [options])

  --decisions <n>  decisions measured per path (uncached, cached)  (default 100000)
  --rules <n>      rules in the generated policy                   (default 200)
  --inputs <n>     distinct inputs the decisions cycle through     (default 2000, ≤ 10000: the agent's cache size)
  --warmup <n>     decisions run before measuring, per path        (default 20000)
  --seed <n>       seed of the generated policy and inputs          (default 1)`;

const { values: opts } = parseArgs({
  options: {
    decisions: { type: 'string', default: '100000' },
    rules: { type: 'string', default: '200' },
    inputs: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const DECISIONS = Number(opts.decisions);
const RULES = Number(opts.rules);
const INPUTS = Number(opts.inputs);
const WARMUP = Number(opts.warmup);
const SEED = Number(opts.seed);
const isCount = (n, min, max) => Number.isInteger(n) && n >= min && n <= max;
if (
  !isCount(DECISIONS, 100, 1e9) ||
  !isCount(RULES, 10, 1000) ||
  !isCount(INPUTS, 1, 10_000) ||
  !isCount(WARMUP, 0, 1e9) ||
  !Number.isInteger(SEED)
) {
  process.stderr.write('bench:policy: --decisions ≥ 100, --rules 10..1000, --inputs 1..10000, --warmup ≥ 0 and --seed must be integers\n');
  process.exit(2);
}

const log = (line) => process.stdout.write(`${line}\n`);

let policyLib, maskingLib, cacheLib;
try {
  [policyLib, maskingLib, cacheLib] = await Promise.all([
    import(pathToFileURL(POLICY_LIB).href),
    import(pathToFileURL(MASKING_LIB).href),
    import(pathToFileURL(DECISION_CACHE).href),
  ]);
} catch (error) {
  process.stderr.write(`bench:policy: cannot load the built code (run \`pnpm build\` first): ${error.message}\n`);
  process.exit(2);
}
const { parsePolicy, evaluate } = policyLib;
const { DecisionCache } = cacheLib;
/** The control plane's mask-plan check (apps/control-plane/src/policies/policy.service.ts). */
const checkMaskPlan = (plan) => {
  const result = maskingLib.validateMaskPlan(plan);
  return result.ok ? [] : [...result.errors];
};

// ── deterministic generator ─────────────────────────────────────────────────────────────────
let state = SEED >>> 0 || 1;
/** mulberry32: a small seeded PRNG, so that two runs measure the same policy and inputs. */
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const some = (list, max) => {
  const count = 1 + Math.floor(random() * max);
  return [...new Set(Array.from({ length: count }, () => pick(list)))];
};

const GROUPS = ['ai-agents', 'analysts', 'data-eng', 'dba', 'support', 'finance', 'sre', 'ml-platform', 'contractors', 'auditors'];
const ROLES = ['reader', 'writer', 'oncall', 'admin', 'billing'];
const SCOPES = ['db:read', 'db:write', 'db:admin'];
const TEAMS = ['orders', 'billing', 'identity', 'analytics', 'search'];
const ENVS = ['prod', 'staging', 'dev'];
const CONNECTIONS = ENVS.flatMap((env) =>
  TEAMS.map((team) => ({
    name: `${env}-${team}-db`,
    protocol: 'postgres',
    tags: { env, team, ...(team === 'billing' || team === 'identity' ? { pii: 'true' } : {}), region: pick(['eu-west-1', 'us-east-1']) },
  })),
);
const TABLES = [
  'public.orders',
  'public.order_items',
  'public.customers',
  'public.products',
  'billing.invoices',
  'billing.payments',
  'billing.cards',
  'identity.users',
  'identity.sessions',
  'analytics.events',
  'analytics.daily_revenue',
  'audit.log',
];
const CLASS_PATTERNS = [
  'sql.ddl.*',
  'sql.ddl.drop',
  'sql.ddl.truncate',
  'sql.ddl.alter',
  'sql.dml.*',
  'sql.dml.select',
  'sql.dml.update',
  'sql.dml.delete',
  'sql.dml.insert',
  'sql.*.drop',
  'sql.dcl.*',
  'sql.copy.*',
  'sql.cte.modifying',
  'sql.utility.*',
  'session.open',
];
const PII_TABLE_PATTERNS = ['billing.*', 'identity.users', 'customers', '*.cards'];
const TABLE_PATTERNS = ['billing.*', 'identity.*', 'customers', 'public.orders*', 'analytics.*', 'audit.*', '*.cards'];
const CONNECTION_NAME_PATTERNS = ['prod-*', 'staging-*', 'dev-*', '*-billing-db', '*-identity-db', 'prod-orders-db'];
/** CEL conditions over the context names CEL_CONTEXT declares (principal, connection, command). */
const CONDITIONS = [
  "principal.kind == 'workload' && command.classes.exists(c, c.startsWith('sql.dml'))",
  'has(command.hasWhere) && !command.hasWhere',
  "'env' in connection.tags && connection.tags['env'] == 'prod' && principal.kind == 'user'",
  "has(command.tables) && command.tables.exists(t, t.startsWith('billing.') || t.startsWith('identity.'))",
  "'oncall' in principal.roles",
  "principal.scopes.exists(s, s == 'db:write') && !('admin' in principal.roles)",
  'size(principal.groups) > 2 && !principal.groupOverage',
  "has(command.tablesWritten) && size(command.tablesWritten) > 0 && connection.tags['env'] != 'dev'",
  "command.classes.all(c, c.startsWith('sql.dml.select') || c == 'session.open')",
  "has(principal.appId) && principal.appId.startsWith('app-')",
];

const DANGEROUS = ['sql.ddl.*', 'sql.ddl.drop', 'sql.ddl.truncate', 'sql.*.drop', 'sql.dcl.*', 'sql.copy.*', 'sql.cte.modifying'];
const WRITES = ['sql.dml.update', 'sql.dml.delete', 'sql.dml.insert', 'sql.ddl.alter', 'sql.cte.modifying'];

/** Who and where: a few groups (sometimes a principal kind instead), connection names or tags. */
function whoAndWhere(match, groupChance, whereChance) {
  if (random() < groupChance) match.principal = random() < 0.85 ? { groups: some(GROUPS, 2) } : { kinds: [pick(['workload', 'user'])] };
  if (random() < whereChance) {
    match.connection =
      random() < 0.5
        ? { names: some(CONNECTION_NAME_PATTERNS, 2) }
        : { tags: random() < 0.7 ? { env: pick(ENVS) } : { pii: 'true', env: '*' } };
  }
  return match;
}

/**
 * Rules shaped as admins write them: deny and review rules are narrow (dangerous or writing command
 * classes, for some groups or connections), mask rules scope who and where, allow rules grant
 * command classes to groups.
 */
function ruleMatch(kind) {
  switch (kind) {
    case 'deny':
      return whoAndWhere({ commands: some(DANGEROUS, 2), ...(random() < 0.3 ? { tables: some(TABLE_PATTERNS, 2) } : {}) }, 0.8, 0.6);
    case 'review':
      return whoAndWhere({ commands: some(WRITES, 2), ...(random() < 0.4 ? { tables: some(TABLE_PATTERNS, 2) } : {}) }, 0.8, 0.8);
    case 'mask':
      return whoAndWhere({ tables: some(PII_TABLE_PATTERNS, 2) }, 0.9, 0.6);
    default:
      return whoAndWhere({ commands: some(CLASS_PATTERNS, 3) }, 0.9, 0.5);
  }
}

function ruleEffect(kind, i) {
  switch (kind) {
    case 'deny':
      return { deny: { message: `rule ${i}: not allowed here` } };
    case 'review':
      return { review: { approverGroups: some(['dba', 'data-owners', 'security'], 2), timeoutSeconds: pick([300, 600, 900]) } };
    case 'mask':
      return {
        mask: {
          columns: [
            {
              pattern: pick(['email', 'phone', 'card_number', 'ssn']),
              strategy: pick(['redact', 'hash', { kind: 'partial', keepLast: 4 }]),
            },
          ],
          detectors: [{ detector: pick(['email', 'card', 'iban', 'ssn']), strategy: 'redact' }],
        },
      };
    default:
      return 'allow';
  }
}

function generatePolicy(count) {
  const rules = [];
  for (let i = 0; i < count; i += 1) {
    const r = random();
    const kind = r < 0.12 ? 'deny' : r < 0.2 ? 'review' : r < 0.32 ? 'mask' : 'allow';
    const rule = { id: `${kind}-${String(i).padStart(3, '0')}`, description: `generated ${kind} rule ${i}`, match: ruleMatch(kind) };
    if (random() < 0.25) rule.when = pick(CONDITIONS);
    rule.effect = ruleEffect(kind, i);
    rules.push(rule);
  }
  return { rules };
}

/** Statement shapes as the classifier reports them: classes, tables, hasWhere; the fingerprint stands for the normalized text. */
function generateStatement() {
  const table = pick(TABLES);
  const other = pick(TABLES);
  const shapes = [
    {
      classes: ['sql.dml.select'],
      read: [table, other],
      written: [],
      hasWhere: true,
      text: `SELECT * FROM ${table} JOIN ${other} USING (id) WHERE id = $1`,
    },
    { classes: ['sql.dml.select'], read: [table], written: [], hasWhere: false, text: `SELECT count(*) FROM ${table}` },
    { classes: ['sql.dml.insert'], read: [], written: [table], hasWhere: null, text: `INSERT INTO ${table} VALUES ($1, $2)` },
    { classes: ['sql.dml.update'], read: [], written: [table], hasWhere: random() < 0.8, text: `UPDATE ${table} SET x = $1 WHERE id = $2` },
    { classes: ['sql.dml.delete'], read: [], written: [table], hasWhere: random() < 0.8, text: `DELETE FROM ${table} WHERE id = $1` },
    {
      classes: ['sql.cte.modifying', 'sql.dml.delete'],
      read: [other],
      written: [table],
      hasWhere: true,
      text: `WITH d AS (DELETE FROM ${table} RETURNING *) SELECT * FROM d`,
    },
    { classes: ['sql.ddl.alter'], read: [], written: [table], hasWhere: null, text: `ALTER TABLE ${table} ADD COLUMN note text` },
    { classes: ['sql.ddl.drop'], read: [], written: [table], hasWhere: null, text: `DROP TABLE ${table}` },
    { classes: ['sql.ddl.truncate'], read: [], written: [table], hasWhere: null, text: `TRUNCATE ${table}` },
    { classes: ['sql.copy.out'], read: [table], written: [], hasWhere: null, text: `COPY ${table} TO STDOUT` },
    { classes: ['sql.dcl.grant'], read: [], written: [], hasWhere: null, text: `GRANT SELECT ON ${table} TO reporting` },
    { classes: ['sql.tcl.begin'], read: [], written: [], hasWhere: null, text: 'BEGIN' },
    { classes: ['session.open'], read: [], written: [], hasWhere: null, text: '' },
  ];
  // Reads dominate real traffic.
  const s = random() < 0.5 ? shapes[Math.floor(random() * 2)] : pick(shapes);
  const tables = [...new Set([...s.read, ...s.written])];
  const command = {
    classes: s.classes,
    tables,
    tablesWritten: s.written,
    functions: [],
    ...(s.hasWhere !== null ? { hasWhere: s.hasWhere } : {}),
    text: s.text,
  };
  const fingerprint = `sha256:${createHash('sha256')
    .update(`${s.classes.join(',')}|${s.text}|${String(s.hasWhere)}`)
    .digest('hex')}`;
  return { command, fingerprint };
}

function generatePrincipal(i) {
  const kind = random() < 0.4 ? 'workload' : 'user';
  const groups = some(GROUPS, 4);
  return {
    id: `principal-${i}`,
    kind,
    subject: `${kind === 'workload' ? 'spn' : 'user'}-${createHash('sha256').update(String(i)).digest('hex').slice(0, 16)}`,
    issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    tenantId: '00000000-0000-0000-0000-000000000000',
    ...(kind === 'workload' ? { appId: `app-${i}` } : {}),
    displayName: `${kind} ${i}`,
    groups,
    roles: some(ROLES, 2),
    scopes: some(SCOPES, 2),
    groupOverage: random() < 0.02,
  };
}

/** The agent's view of a principal (apps/agent/src/link/link-types.ts SessionPrincipal). */
const sessionPrincipal = (p) => ({
  id: p.id,
  kind: p.kind,
  displayName: p.displayName ?? '',
  groups: p.groups,
  roles: p.roles,
  scopes: p.scopes,
  appId: p.appId ?? '',
  groupOverage: p.groupOverage,
});

/** A policy decision as it reaches the agent (control plane toWire + the agent's link mapping). */
const agentDecision = (d) => ({
  effect: d.effect,
  ruleIds: [...d.ruleIds],
  reason: d.reason,
  maskPlan: d.mask,
  cacheable: d.cacheable && d.effect !== 'review',
  policyVersion: d.policyVersion ?? '',
  approvalId: '',
  reviewDeadline: undefined,
});

// ── measurement helpers ─────────────────────────────────────────────────────────────────────
const nsToUs = (ns) => (ns / 1000).toFixed(2);
const rate = (n, ns) => Math.round(n / (ns / 1e9)).toLocaleString('en-US');

/** Nearest-rank percentile of a sorted array. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Runs `fn(i)` for i in [0, n): once untimed per call for decisions/s (one hrtime pair around the
 * loop), once with process.hrtime.bigint around every call for the latency distribution.
 */
function measure(n, fn) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) if (fn(i) !== undefined) sink += 1;
  const throughputNs = Number(process.hrtime.bigint() - t0);
  const latencies = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const start = process.hrtime.bigint();
    const result = fn(i);
    latencies[i] = Number(process.hrtime.bigint() - start);
    if (result !== undefined) sink += 1;
  }
  latencies.sort();
  return { throughputNs, latencies, sink };
}

function report(label, n, { throughputNs, latencies }) {
  log(
    `  ${label.padEnd(10)}: ${rate(n, throughputNs).padStart(12)} decisions/s   p50 ${nsToUs(percentile(latencies, 50)).padStart(8)} µs   p99 ${nsToUs(percentile(latencies, 99)).padStart(8)} µs   max ${nsToUs(latencies[latencies.length - 1]).padStart(9)} µs`,
  );
}

// ── run ─────────────────────────────────────────────────────────────────────────────────────
const cpu = cpus();
log(
  `bench:policy — Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
log(
  `  ${RULES} rules, ${INPUTS} distinct inputs, ${DECISIONS.toLocaleString('en-US')} decisions per path after ${WARMUP.toLocaleString('en-US')} warm-up, seed ${SEED}`,
);

const document = generatePolicy(RULES);
const policyText = JSON.stringify(document, null, 2);
const compileStart = process.hrtime.bigint();
const loaded = parsePolicy(policyText, 'json', { version: 'bench', checkMaskPlan });
const compileNs = Number(process.hrtime.bigint() - compileStart);
if (!loaded.ok) {
  process.stderr.write(`bench:policy: the generated policy does not compile:\n${JSON.stringify(loaded.errors.slice(0, 10), null, 2)}\n`);
  process.exit(1);
}
const policy = loaded.policy;
const effects = { allow: 0, deny: 0, review: 0, mask: 0 };
for (const rule of document.rules) effects[typeof rule.effect === 'string' ? rule.effect : Object.keys(rule.effect)[0]] += 1;
const withWhen = document.rules.filter((r) => r.when !== undefined).length;
log(
  `  policy: ${(policyText.length / 1024).toFixed(1)} KiB JSON, ${effects.deny} deny / ${effects.review} review / ${effects.mask} mask / ${effects.allow} allow, ${withWhen} with a CEL \`when\``,
);
log(`  parse + compile (parsePolicy, once): ${(compileNs / 1e6).toFixed(1)} ms`);

const principals = Array.from({ length: 60 }, (_, i) => generatePrincipal(i));
const statements = Array.from({ length: 80 }, () => generateStatement());
const now = new Date();
const inputs = Array.from({ length: INPUTS }, () => {
  const principal = pick(principals);
  const connection = pick(CONNECTIONS);
  const { command, fingerprint } = pick(statements);
  return { input: { principal, connection, command, now, grants: [] }, principal, connection, fingerprint };
});

// Uncached: the evaluator, every decision computed.
const evaluateAt = (i) => evaluate(policy, inputs[i % INPUTS].input);
measure(Math.min(WARMUP, 1_000_000), evaluateAt);
const uncached = measure(DECISIONS, evaluateAt);

// What the decisions were, and the agent's cache populated with the cacheable ones.
const cache = new DecisionCache();
const outcome = { allow: 0, deny: 0, review: 0, mask: 0 };
let cacheable = 0;
const hits = [];
for (const entry of inputs) {
  const decision = agentDecision(evaluate(policy, entry.input));
  outcome[decision.effect] += 1;
  const principal = sessionPrincipal(entry.principal);
  const key = DecisionCache.principalKey(principal);
  cache.set(principal, key, entry.connection.name, entry.fingerprint, decision);
  if (decision.cacheable) {
    cacheable += 1;
    hits.push({ key, connection: entry.connection.name, fingerprint: entry.fingerprint });
  }
}
log(
  `  input mix: ${outcome.allow} allow / ${outcome.deny} deny / ${outcome.review} review / ${outcome.mask} mask; ${cacheable} of ${INPUTS} cacheable; ${cache.size} cache entries`,
);
if (hits.length === 0) {
  process.stderr.write('bench:policy: no input had a cacheable decision: nothing to measure on the cached path\n');
  process.exit(1);
}

// Cached: the agent's DecisionCache hit path for the cacheable inputs.
const getAt = (i) => {
  const h = hits[i % hits.length];
  return cache.get(h.key, h.connection, h.fingerprint);
};
measure(Math.min(WARMUP, 1_000_000), getAt);
const cached = measure(DECISIONS, getAt);
if (cached.sink !== 2 * DECISIONS) {
  process.stderr.write(`bench:policy: ${2 * DECISIONS - cached.sink} cache lookups missed: the cached path was not measured\n`);
  process.exit(1);
}

// The cost of the clock itself, included in every per-decision latency below.
const clock = measure(DECISIONS, () => 0);

log('');
log(`  uncached  = evaluate(policy, input) in @sluice/policy (control plane: every rule checked)`);
log(`  cached    = DecisionCache.get(principalKey, connection, fingerprint) hit (agent)`);
report('uncached', DECISIONS, uncached);
report('cached', DECISIONS, cached);
log(
  `  (per-decision latencies include one process.hrtime.bigint() pair: p50 ${nsToUs(percentile(clock.latencies, 50))} µs; decisions/s is from an untimed loop)`,
);
log(
  `  load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
