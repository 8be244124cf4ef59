// postgres.js (the `postgres` driver) through a real agent to the real PostgreSQL: named and unnamed
// prepared statements, pipelining, transactions, masking and refusals, with the access token as the
// password over TLS.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const POLICY = `
rules:
  - id: block-destructive-ddl
    description: Destroying tables is never allowed
    match: { commands: [sql.ddl.drop, sql.ddl.truncate] }
    effect: { deny: { message: DROP and TRUNCATE are blocked on the test database } }

  - id: open-test-sessions
    match: { commands: [session.open], connection: { tags: { env: test } } }
    effect: allow

  - id: allow-test
    match: { connection: { tags: { env: test } } }
    effect: allow

  - id: mask-email-for-ai-agents
    match: { principal: { groups: [ai-agents] } }
    effect:
      mask:
        columns:
          - { pattern: customers.email, strategy: { kind: partial, keepLast: 4 } }
`;

const SCHEMA = `
CREATE TABLE public.customers (id int PRIMARY KEY, full_name text NOT NULL, email text NOT NULL);
INSERT INTO public.customers VALUES
  (1, 'Alice Archer', 'alice.archer@example.com'),
  (2, 'Bob Baker', 'bob.baker@example.org'),
  (3, 'Carol Chen', 'carol.chen@example.net');
CREATE TABLE public.probe (id serial PRIMARY KEY, note text NOT NULL);
`;

const ALICE_EMAIL = 'alice.archer@example.com';
// partial/keepLast 4 keeps at most the last run of letters and digits ('com'): see libs/masking.
const ALICE_EMAIL_MASKED = '*****.******@*******.com';

const agentYaml = (port: number, database: string): string => `
connections:
  - name: test-pg
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${database}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: test }
`;

/** The PostgreSQL error a query fails with (fails the test if it succeeds). */
async function pgError(work: Promise<unknown>): Promise<postgres.PostgresError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof postgres.PostgresError) return error;
    throw error;
  }
  throw new Error('expected the query to fail');
}

describe('postgres.js through the agent', () => {
  let target: TestDatabase;
  let port = 0;
  let direct: postgres.Sql;
  let agentToken = '';
  let adminToken = '';
  const opened: postgres.Sql[] = [];
  /** Undone last first in afterAll, so a half-finished beforeAll still cleans up what it started. */
  const cleanups: (() => Promise<unknown>)[] = [];

  /** One connection (max: 1, so every query of a test runs on the same session) to the agent. */
  function connect(token: string, options: { prepare?: boolean } = {}): postgres.Sql {
    const sql = postgres({
      host: '127.0.0.1',
      port,
      database: target.name,
      username: 'anything',
      password: token,
      ssl: { rejectUnauthorized: false },
      max: 1,
      prepare: options.prepare ?? true,
      connect_timeout: 30,
      onnotice: () => undefined,
    });
    opened.push(sql);
    return sql;
  }

  const tableExists = async (): Promise<boolean> =>
    (await direct<{ t: string | null }[]>`SELECT to_regclass('public.customers')::text AS t`)[0]?.t === 'customers';
  const probeNotes = async (): Promise<string[]> =>
    (await direct<{ note: string }[]>`SELECT note FROM probe ORDER BY id`).map((r) => r.note);

  beforeAll(async () => {
    target = await createTestDatabase('sluice_target');
    cleanups.push(() => target.drop());
    const cpDb = await createTestDatabase();
    cleanups.push(() => cpDb.drop());
    direct = postgres(target.url, { max: 1, onnotice: () => undefined });
    cleanups.push(() => direct.end({ timeout: 5 }));
    await direct.unsafe(SCHEMA).simple();

    const policyFile = join(await mkdtemp(join(tmpdir(), 'sluice-policy-')), 'policy.yaml');
    await writeFile(policyFile, POLICY);
    const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
    const controlPlane: RunningControlPlane = await startControlPlane({
      SLUICE_DATABASE_URL: cpDb.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_POLICY_FILE: policyFile,
    });
    cleanups.push(() => controlPlane.process.stop('SIGKILL'));
    port = await freePort();
    const agent: ManagedProcess = await startAgent({
      agentId: 'pgjs-agent',
      grpcPort: controlPlane.grpcPort,
      agentKey,
      yaml: agentYaml(port, target.name),
      env: { TARGET_PASSWORD: 'unused-with-trust-auth', SLUICE_AGENT_ADMIN_LISTEN: 'off' },
    });
    cleanups.push(() => agent.stop('SIGKILL'));
    await agent.waitForLog((l) => l.msg === 'postgres connection listening', 30_000);
    await agent.waitForLog((l) => l.msg === 'connected to the control plane', 30_000);
    [agentToken, adminToken] = await Promise.all([devToken(controlPlane, 'demo-agent'), devToken(controlPlane, 'demo-admin')]);
  });

  afterAll(async () => {
    await Promise.all(opened.map((sql) => sql.end({ timeout: 5 }).catch(() => undefined)));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  describe.each([
    { mode: 'named prepared statements (prepare: true)', prepare: true },
    { mode: 'unnamed statements (prepare: false)', prepare: false },
  ])('$mode', ({ prepare }) => {
    let sql: postgres.Sql;
    beforeAll(() => {
      sql = connect(agentToken, { prepare });
    });

    it('runs a tagged-template query, twice (the second reuses the statement when prepared)', async () => {
      for (let i = 0; i < 2; i++) {
        const rows = await sql`SELECT 1::int AS one, 'postgres.js' AS name, full_name FROM customers WHERE id = 2`;
        // A computed text column over a table with masked columns gets that table's strictest rule
        // (docs/postgres.md "Masking"): even a constant. Numbers and table columns no rule names pass.
        expect(rows).toEqual([{ one: 1, name: '********.js', full_name: 'Bob Baker' }]);
      }
      // The driver really did (or did not) leave a named statement on the server session: once.
      const statements = await sql<{ statement: string }[]>`SELECT statement FROM pg_prepared_statements`;
      expect(statements.filter((s) => s.statement.includes("'postgres.js' AS name"))).toHaveLength(prepare ? 1 : 0);
    });

    it('runs a parameterised query', async () => {
      const id = 3;
      const rows = await sql<{ full_name: string; n: number }[]>`SELECT full_name, ${41}::int + 1 AS n FROM customers WHERE id = ${id}`;
      expect(rows).toEqual([{ full_name: 'Carol Chen', n: 42 }]);
      const names = await sql<{ full_name: string }[]>`SELECT full_name FROM customers WHERE id IN ${sql([1, 2])} ORDER BY id`;
      expect(names.map((r) => r.full_name)).toEqual(['Alice Archer', 'Bob Baker']);
    });

    it('pipelines concurrent queries on its one connection', async () => {
      const results = await Promise.all([1, 2, 3, 1, 2].map((id) => sql<{ id: number }[]>`SELECT id FROM customers WHERE id = ${id}`));
      expect(results.map((rows) => rows[0]?.id)).toEqual([1, 2, 3, 1, 2]);
      // A refusal in the middle of a pipeline fails only its own query.
      const mixed = await Promise.allSettled([sql`SELECT 1::int AS n`, sql`DROP TABLE customers`, sql`SELECT 2::int AS n`]);
      expect(mixed.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as postgres.PostgresError).code))).toEqual([
        [{ n: 1 }],
        '42501',
        [{ n: 2 }],
      ]);
    });

    it('masks customers.email for demo-agent', async () => {
      const rows = await sql<{ id: number; email: string }[]>`SELECT id, email FROM customers WHERE id = ${1}`;
      expect(rows).toEqual([{ id: 1, email: ALICE_EMAIL_MASKED }]);
      expect(JSON.stringify(rows)).not.toContain(ALICE_EMAIL);
      const all = await sql`SELECT * FROM customers ORDER BY id`;
      expect(all).toHaveLength(3);
      expect(JSON.stringify(all)).not.toContain('@example.');
    });

    it('refuses DROP TABLE with 42501 naming the rule, drops nothing, and the session goes on', async () => {
      const [{ pid }] = await sql<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
      const error = await pgError(sql`DROP TABLE customers`);
      expect(error.code).toBe('42501');
      expect(error.message).toContain('block-destructive-ddl');
      expect(error.message).toContain('DROP and TRUNCATE are blocked');
      expect(await tableExists()).toBe(true);
      // Again (postgres.js caches statements by their text), then through the simple protocol.
      expect((await pgError(sql`DROP TABLE customers`)).code).toBe('42501');
      expect((await pgError(sql.unsafe('DROP TABLE customers').simple())).code).toBe('42501');
      expect(await tableExists()).toBe(true);
      // Still the same, usable session.
      const after = await sql<{ pid: number; n: number }[]>`SELECT pg_backend_pid() AS pid, count(*)::int AS n FROM customers`;
      expect(after).toEqual([{ pid, n: 3 }]);
    });

    it('commits a transaction with sql.begin, and rolls one back when it throws', async () => {
      const note = `begin-${String(prepare)}`;
      const inside = await sql.begin(async (tx) => {
        await tx`INSERT INTO probe (note) VALUES (${note})`;
        return tx<{ n: number }[]>`SELECT count(*)::int AS n FROM probe WHERE note = ${note}`;
      });
      expect(inside).toEqual([{ n: 1 }]);
      expect(await probeNotes()).toContain(note);

      const rolledBack = `${note}-rolled-back`;
      await expect(
        sql.begin(async (tx) => {
          await tx`INSERT INTO probe (note) VALUES (${rolledBack})`;
          throw new Error('abandon');
        }),
      ).rejects.toThrow('abandon');
      expect(await probeNotes()).not.toContain(rolledBack);

      // A refusal inside a transaction fails it; the insert before it is rolled back.
      const refused = `${note}-refused`;
      const error = await pgError(
        sql.begin(async (tx) => {
          await tx`INSERT INTO probe (note) VALUES (${refused})`;
          await tx`DROP TABLE customers`;
        }),
      );
      expect(error.code).toBe('42501');
      expect(await probeNotes()).not.toContain(refused);
      expect(await tableExists()).toBe(true);
      expect(await sql`SELECT 1::int AS ok`).toEqual([{ ok: 1 }]);
    });
  });

  it('shows demo-admin the email unmasked', async () => {
    const sql = connect(adminToken);
    expect(await sql`SELECT email FROM customers WHERE id = ${1}`).toEqual([{ email: ALICE_EMAIL }]);
  });
});
