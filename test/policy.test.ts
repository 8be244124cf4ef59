// Issue 5 acceptance at the system level (control-plane side): policy versions over REST (validation
// with paths, roles, history, rollback), explain, the SLUICE_POLICY_FILE bootstrap, and propagation —
// a change made on one replica is enforced by another, and agents are told to drop cached decisions,
// within a second.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAgent } from './support/fake-agent.js';
import { ManagedProcess, createTestDatabase, freePort, waitFor, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PLANE_CLI,
  CONTROL_PLANE_MAIN,
  devToken,
  getJson,
  restartControlPlane,
  startControlPlane,
  type RunningControlPlane,
} from './support/system.js';

interface ActivePolicyJson {
  version: number | null;
  policyVersion: string;
  format: 'yaml' | 'json';
  document: string;
  source: string;
  rolledBackFrom: number | null;
  createdBy: string | null;
  createdByName: string | null;
  comment: string | null;
  activatedAt: string | null;
}

interface PolicyVersionJson {
  version: number;
  source: string;
  rolledBackFrom: number | null;
  createdBy: string;
  createdByName: string | null;
  comment: string | null;
  createdAt: string;
  active: boolean;
}

interface RejectedJson {
  errors: { path: string; message: string }[];
}

interface ExplanationJson {
  policyVersion: string;
  decision: { effect: string; ruleIds: string[]; reason: string; policyVersion: string };
  rules: { ruleId: string; effect: string; matched: boolean; state: string; why: string }[];
  classification: { classes: string[]; tablesWritten: string[] } | null;
  statements: { command: { classes: string[]; text?: string }; decision: { effect: string } }[];
  notes: string[];
}

/** `SELECT * FROM public.customers`, as an agent classifies it. */
const SELECT_CUSTOMERS = { classes: ['sql.dml.select'], tables: ['public.customers'], text: 'SELECT * FROM public.customers' };

const FILE_POLICY = `# Bootstrap policy (GitOps file)
rules:
  - id: deny-ddl-agents
    description: AI agents never change the schema
    match:
      principal: { groups: [ai-agents] }
      commands: ['sql.ddl.*']
    effect:
      deny: { message: AI agents may not run DDL }
  - id: agents-read
    description: AI agents may connect and read
    match:
      principal: { groups: [ai-agents] }
      commands: [session.open, sql.dml.select]
    effect: allow
`;

const CUSTOMERS_DENIED_POLICY = `${FILE_POLICY}  - id: deny-customers
    description: The customers table is off limits
    match: { tables: [customers] }
    effect:
      deny: { message: customers holds personal data }
`;

function put(cp: RunningControlPlane, token: string, body: string, contentType: string, query = ''): Promise<Response> {
  return fetch(`${cp.httpUrl}/api/v1/policy${query}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
}

function post(cp: RunningControlPlane, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${cp.httpUrl}/api/v1/policy${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

describe('policy', () => {
  let db: TestDatabase;
  let cpA: RunningControlPlane;
  let cpB: RunningControlPlane;
  let policyFile = '';
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  let adminToken = '';
  let agentToken = '';
  let approverToken = '';
  let fake: FakeAgent;
  let sessionId = '';
  let agentPrincipalId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    policyFile = join(await mkdtemp(join(tmpdir(), 'sluice-policy-')), 'policy.yaml');
    await writeFile(policyFile, FILE_POLICY);
    const shared = { SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey, SLUICE_POLICY_FILE: policyFile };
    cpA = await startControlPlane(shared);
    // A second replica on the same database, sharing the development issuer (same URL and key).
    cpB = await startControlPlane({ ...shared, SLUICE_STATE_DIR: cpA.env.SLUICE_STATE_DIR!, SLUICE_PUBLIC_URL: cpA.httpUrl });
    adminToken = await devToken(cpA, 'demo-admin');
    agentToken = await devToken(cpA, 'demo-agent');
    approverToken = await devToken(cpA, 'demo-approver');
    // The agent is connected to replica B; policy changes are made on replica A.
    fake = new FakeAgent(cpB.grpcPort, agentKey, 'policy-fake-agent', ['orders-db']);
    await fake.ready();
    const opened = await fake.openSessionResponse('orders-db', agentToken);
    expect(opened.result).toBe('sessionOpened');
    sessionId = opened.sessionOpened!.sessionId;
    agentPrincipalId = opened.sessionOpened!.principal!.id;
  });

  afterAll(async () => {
    fake.close();
    await cpA.process.stop();
    await cpB.process.stop();
    await db.drop();
  });

  it('applies SLUICE_POLICY_FILE at start as version 1, once for both replicas', async () => {
    const active = await getJson<ActivePolicyJson>(`${cpB.httpUrl}/api/v1/policy`, adminToken);
    expect(active).toMatchObject({ version: 1, policyVersion: '1', source: 'file', format: 'yaml', createdBy: `file:${policyFile}` });
    expect(active.document).toBe(FILE_POLICY);
    const versions = await getJson<PolicyVersionJson[]>(`${cpA.httpUrl}/api/v1/policy/versions`, adminToken);
    expect(versions.map((v) => v.version)).toEqual([1]);
    const decision = await fake.decide(sessionId, SELECT_CUSTOMERS);
    expect(decision).toMatchObject({ effect: 'allow', ruleIds: ['agents-read'], policyVersion: '1' });
  });

  it('lets auditors and admins read, and only admins write', async () => {
    expect((await fetch(`${cpA.httpUrl}/api/v1/policy`)).status).toBe(401);
    for (const token of [approverToken, agentToken]) {
      expect((await fetch(`${cpA.httpUrl}/api/v1/policy`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      expect((await put(cpA, token, CUSTOMERS_DENIED_POLICY, 'application/yaml')).status).toBe(403);
      expect((await post(cpA, '/rollback/1', token)).status).toBe(403);
      expect(
        (await post(cpA, '/explain', token, { principalId: agentPrincipalId, connection: 'orders-db', command: { text: 'SELECT 1' } }))
          .status,
      ).toBe(403);
    }
    const versions = await getJson<PolicyVersionJson[]>(`${cpA.httpUrl}/api/v1/policy/versions`, adminToken);
    expect(versions).toHaveLength(1);
  });

  it('refuses invalid policies with 400 and every path, activating nothing', async () => {
    const schemaError = await put(cpA, adminToken, 'rules:\n  - id: Bad_Id\n    mathc: {}\n    effect: allow\n', 'application/yaml');
    expect(schemaError.status).toBe(400);
    const schemaPaths = ((await schemaError.json()) as RejectedJson).errors.map((e) => e.path);
    expect(schemaPaths).toEqual(expect.arrayContaining(['rules[0].id', 'rules[0].mathc']));

    const celError = await put(
      cpA,
      adminToken,
      JSON.stringify({ rules: [{ id: 'typed', when: 'principal.groups == 1', effect: 'allow' }] }),
      'application/json',
    );
    expect(celError.status).toBe(400);
    const celErrors = ((await celError.json()) as RejectedJson).errors;
    expect(celErrors.map((e) => e.path)).toEqual(['rules[0].when']);

    const unknownField = await put(
      cpA,
      adminToken,
      'rules:\n  - id: x\n    when: \'principal.email == "a"\'\n    effect: allow\n',
      'text/yaml',
    );
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as RejectedJson).errors[0]?.path).toBe('rules[0].when');

    const notYaml = await put(cpA, adminToken, 'rules: [', 'application/yaml');
    expect(notYaml.status).toBe(400);
    expect(((await notYaml.json()) as RejectedJson).errors[0]?.path).toBe('(root)');

    const hostileTag = await put(cpA, adminToken, 'rules: !!js/function "function(){}"\n', 'application/yaml');
    expect(hostileTag.status).toBe(400);

    const wrongType = await put(cpA, adminToken, FILE_POLICY, 'text/plain');
    expect(wrongType.status).toBe(415);

    const active = await getJson<ActivePolicyJson>(`${cpA.httpUrl}/api/v1/policy`, adminToken);
    expect(active.version).toBe(1);
    expect(await getJson<PolicyVersionJson[]>(`${cpA.httpUrl}/api/v1/policy/versions`, adminToken)).toHaveLength(1);
    expect((await fake.decide(sessionId, SELECT_CUSTOMERS)).policyVersion).toBe('1');
  });

  it('activates a valid PUT on every replica and invalidates agent caches within a second', async () => {
    const before = Date.now();
    const response = await put(cpA, adminToken, CUSTOMERS_DENIED_POLICY, 'application/yaml', '?comment=customers%20is%20personal%20data');
    expect(response.status).toBe(200);
    const created = (await response.json()) as ActivePolicyJson;
    expect(created).toMatchObject({ version: 2, policyVersion: '2', source: 'api', comment: 'customers is personal data' });
    expect(created.createdByName).toBe('Demo security admin');

    // The agent (connected to replica B) is told to drop its cached decisions…
    await waitFor(() => (fake.invalidations('2').length > 0 ? true : undefined), 1_000, 'the invalidateDecisions push');
    // …and replica B enforces and shows the new version.
    const seenOnB = await waitFor(
      async () => {
        const active = await getJson<ActivePolicyJson>(`${cpB.httpUrl}/api/v1/policy`, adminToken);
        return active.version === 2 ? active : undefined;
      },
      1_000,
      'version 2 on replica B',
    );
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(seenOnB.document).toBe(CUSTOMERS_DENIED_POLICY);
    const decision = await fake.decide(sessionId, SELECT_CUSTOMERS);
    expect(decision).toMatchObject({ effect: 'deny', ruleIds: ['deny-customers'], policyVersion: '2' });
    expect(decision.reason).toContain('customers holds personal data');
  });

  it('accepts JSON: a raw policy object and the { document, format, comment } envelope', async () => {
    const object = { rules: [{ id: 'allow-agents', match: { principal: { groups: ['ai-agents'] } }, effect: 'allow' }] };
    const raw = await put(cpA, adminToken, JSON.stringify(object), 'application/json');
    expect(raw.status).toBe(200);
    const rawCreated = (await raw.json()) as ActivePolicyJson;
    expect(rawCreated).toMatchObject({ version: 3, format: 'json' });
    expect(JSON.parse(rawCreated.document)).toEqual(object);

    const envelope = await put(
      cpA,
      adminToken,
      JSON.stringify({ document: CUSTOMERS_DENIED_POLICY, format: 'yaml', comment: 'back to the reviewed YAML' }),
      'application/json',
    );
    expect(envelope.status).toBe(200);
    expect((await envelope.json()) as ActivePolicyJson).toMatchObject({ version: 4, format: 'yaml', comment: 'back to the reviewed YAML' });
    await waitFor(() => (fake.invalidations('4').length > 0 ? true : undefined), 1_000, 'the push for version 4');
  });

  it('explains a DROP by the demo agent: deny, the rule, the classification and every rule considered', async () => {
    const response = await post(cpA, '/explain', adminToken, {
      principalId: agentPrincipalId,
      connection: 'orders-db',
      command: { text: 'DROP TABLE "customers"' },
    });
    expect(response.status).toBe(200);
    const explained = (await response.json()) as ExplanationJson;
    expect(explained.policyVersion).toBe('4');
    expect(explained.decision).toMatchObject({ effect: 'deny', ruleIds: ['deny-ddl-agents', 'deny-customers'], policyVersion: '4' });
    expect(explained.classification?.classes).toContain('sql.ddl.drop');
    expect(explained.classification?.tablesWritten).toEqual(['customers']);
    expect(explained.rules.map((r) => [r.ruleId, r.matched])).toEqual([
      ['deny-ddl-agents', true],
      ['agents-read', false],
      ['deny-customers', true],
    ]);
    expect(explained.rules.find((r) => r.ruleId === 'agents-read')?.why).toMatch(/^match\.commands/);

    const multi = (await (
      await post(cpA, '/explain', adminToken, {
        principalId: agentPrincipalId,
        connection: 'orders-db',
        command: { text: 'SELECT 1; DROP TABLE t' },
      })
    ).json()) as ExplanationJson;
    expect(multi.statements.map((s) => s.decision.effect)).toEqual(['allow', 'deny']);
    expect(multi.decision.effect).toBe('deny');
  });

  it('explains inline principals, connections and command facts, and says what it cannot find', async () => {
    const inline = await post(cpA, '/explain', adminToken, {
      principal: { kind: 'user', groups: ['dba'] },
      connection: { name: 'admin-api', protocol: 'http', tags: { env: 'prod' } },
      command: { classes: ['http.DELETE'], http: { method: 'DELETE', path: '/admin/users/1' } },
    });
    expect(inline.status).toBe(200);
    const explained = (await inline.json()) as ExplanationJson;
    expect(explained.decision).toMatchObject({ effect: 'deny', ruleIds: [] });
    expect(explained.decision.reason).toContain('default deny');
    expect(explained.rules.every((r) => !r.matched)).toBe(true);
    expect(explained.classification).toBeNull();

    const httpText = await post(cpA, '/explain', adminToken, {
      principal: { kind: 'user' },
      connection: { name: 'admin-api', protocol: 'http' },
      command: { text: 'DELETE /admin' },
    });
    expect(httpText.status).toBe(400);
    const unknownConnection = await post(cpA, '/explain', adminToken, {
      principalId: agentPrincipalId,
      connection: 'nope',
      command: { text: 'SELECT 1' },
    });
    expect(unknownConnection.status).toBe(404);
    const unknownPrincipal = await post(cpA, '/explain', adminToken, {
      principalId: 'entra:x:y',
      connection: 'orders-db',
      command: { text: 'SELECT 1' },
    });
    expect(unknownPrincipal.status).toBe(404);
    const both = await post(cpA, '/explain', adminToken, {
      principalId: agentPrincipalId,
      principal: { kind: 'user' },
      connection: 'orders-db',
      command: { text: 'SELECT 1' },
    });
    expect(both.status).toBe(400);
  });

  it('rolls back to an old version as a new version, recording who and why, on every replica', async () => {
    const missing = await post(cpA, '/rollback/999', adminToken);
    expect(missing.status).toBe(404);
    const bad = await post(cpA, '/rollback/abc', adminToken);
    expect(bad.status).toBe(400);

    const before = Date.now();
    const response = await post(cpA, '/rollback/1', adminToken, { comment: 'v4 broke the nightly report' });
    expect(response.status).toBe(200);
    const rolledBack = (await response.json()) as ActivePolicyJson;
    expect(rolledBack).toMatchObject({ version: 5, source: 'rollback', rolledBackFrom: 1, comment: 'v4 broke the nightly report' });
    expect(rolledBack.document).toBe(FILE_POLICY);
    await waitFor(() => (fake.invalidations('5').length > 0 ? true : undefined), 1_000, 'the push for version 5');
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(await fake.decide(sessionId, SELECT_CUSTOMERS)).toMatchObject({ effect: 'allow', ruleIds: ['agents-read'], policyVersion: '5' });

    const versions = await getJson<PolicyVersionJson[]>(`${cpB.httpUrl}/api/v1/policy/versions`, adminToken);
    expect(versions.map((v) => [v.version, v.source, v.active])).toEqual([
      [5, 'rollback', true],
      [4, 'api', false],
      [3, 'api', false],
      [2, 'api', false],
      [1, 'file', false],
    ]);
    const admin = versions[0]!;
    expect(admin.createdBy).toMatch(/^entra:00000000-5e1c-4000-8000-000000000001:/);
    expect(admin.createdByName).toBe('Demo security admin');
    expect(Date.parse(admin.createdAt)).toBeGreaterThanOrEqual(Date.parse(versions[1]!.createdAt));
    const paged = await getJson<PolicyVersionJson[]>(`${cpA.httpUrl}/api/v1/policy/versions?limit=2&before=4`, adminToken);
    expect(paged.map((v) => v.version)).toEqual([3, 2]);
    const one = await getJson<{ version: number; document: string }>(`${cpA.httpUrl}/api/v1/policy/versions/2`, adminToken);
    expect(one.document).toBe(CUSTOMERS_DENIED_POLICY);
  });
});

describe('the SLUICE_POLICY_FILE bootstrap', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  async function storedVersions(): Promise<{ version: number; source: string; active: boolean; created_by: string }[]> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const result = await client.query<{ version: number; source: string; active: boolean; created_by: string }>(
        'SELECT version, source, active, created_by FROM policy_versions ORDER BY version',
      );
      return result.rows;
    } finally {
      await client.end();
    }
  }

  it(
    'stores the file once when replicas start together, applies a changed file, and never undoes an API change',
    { timeout: 180_000 },
    async () => {
      const file = join(await mkdtemp(join(tmpdir(), 'sluice-policy-')), 'policy.yaml');
      await writeFile(file, FILE_POLICY);
      const env = { SLUICE_DATABASE_URL: db.url, SLUICE_POLICY_FILE: file };
      const together = await Promise.all([startControlPlane(env), startControlPlane(env), startControlPlane(env)]);
      await Promise.all(together.map((cp) => cp.process.stop()));
      expect(await storedVersions()).toEqual([{ version: 1, source: 'file', active: true, created_by: `file:${file}` }]);

      await writeFile(file, CUSTOMERS_DENIED_POLICY);
      let cp = await startControlPlane(env);
      try {
        expect((await storedVersions()).map((v) => [v.version, v.source, v.active])).toEqual([
          [1, 'file', false],
          [2, 'file', true],
        ]);
        const admin = await devToken(cp, 'demo-admin');
        expect((await getJson<ActivePolicyJson>(`${cp.httpUrl}/api/v1/policy`, admin)).version).toBe(2);
        expect((await put(cp, admin, FILE_POLICY, 'application/yaml', '?comment=hotfix')).status).toBe(200);

        // A restart with the unchanged file keeps the admin's version 3.
        cp = await restartControlPlane(cp);
        expect((await storedVersions()).map((v) => [v.version, v.active])).toEqual([
          [1, false],
          [2, false],
          [3, true],
        ]);
        expect((await getJson<ActivePolicyJson>(`${cp.httpUrl}/api/v1/policy`, await devToken(cp, 'demo-admin'))).version).toBe(3);
      } finally {
        await cp.process.stop();
      }
    },
  );

  it('refuses to start with an invalid policy file, naming the problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-policy-'));
    const file = join(dir, 'policy.json');
    await writeFile(file, JSON.stringify({ rules: [{ id: 'x', effect: 'permit' }] }));
    const controlPlane = ManagedProcess.start(CONTROL_PLANE_MAIN, [], {
      SLUICE_DATABASE_URL: db.url,
      SLUICE_POLICY_FILE: file,
      SLUICE_STATE_DIR: dir,
      SLUICE_ENV: 'test',
      SLUICE_HTTP_PORT: String(await freePort()),
      SLUICE_GRPC_PORT: String(await freePort()),
      SLUICE_GRPC_INSECURE: 'true',
    });
    expect(await controlPlane.exited).toBe(1);
    expect(controlPlane.output()).toMatch(/SLUICE_POLICY_FILE \S+ is invalid:\\n {2}- rules\[0\]\.effect/);
    expect(controlPlane.logs().some((line) => line.msg?.startsWith('control plane ready'))).toBe(false);
  });
});
