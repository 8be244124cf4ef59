// Issue 4 acceptance: real clients (psql, pgbench, node-postgres, raw sockets) through a real agent
// to the real PostgreSQL — verified, decided per statement by the control plane, refused, masked,
// cancelled and recorded; and fail-closed when the control plane dies.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentConninfo,
  cancelKeyBytes,
  closedBy,
  openRawSession,
  openSocket,
  runCommand,
  sendCancelRequest,
  startCommand,
  tokenClient,
} from './support/postgres-clients.js';
import { CONTROL_PLANE_CLI, devToken, getJson, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const POLICY = `
rules:
  - id: block-destructive-ddl
    description: Destroying tables is never allowed
    match: { commands: [sql.ddl.drop, sql.ddl.truncate] }
    effect: { deny: { message: DROP and TRUNCATE are blocked on the test database } }

  - id: no-deletes-or-code-for-agents
    description: AI agents may not delete rows, run anonymous code or run programs through COPY
    match:
      principal: { groups: [ai-agents] }
      commands: [sql.dml.delete, sql.utility.do, sql.copy.program]
    effect: { deny: { message: not allowed for AI agents } }

  - id: open-test-sessions
    match: { commands: [session.open], connection: { tags: { env: test } } }
    effect: allow

  - id: allow-test
    description: Everything else is allowed on the test database
    match: { connection: { tags: { env: test } } }
    effect: allow

  - id: mask-pii-for-ai-agents
    description: AI agents never see customers' e-mail, card numbers or SSNs in clear
    match: { principal: { groups: [ai-agents] } }
    effect:
      mask:
        columns:
          - { pattern: customers.email, strategy: { kind: partial, keepLast: 4 } }
          - { pattern: customers.card_number, strategy: { kind: partial, keepLast: 4 } }
          - { pattern: customers.ssn, strategy: { kind: redact } }
`;

interface Customer {
  id: number;
  full_name: string;
  email: string;
  card_number: string;
  ssn: string;
  phone: string;
}

const CUSTOMERS: readonly Customer[] = [
  {
    id: 1,
    full_name: 'Alice Archer',
    email: 'alice.archer@example.com',
    card_number: '4111111111111111',
    ssn: '123-45-6789',
    phone: '+1 415 555 0101',
  },
  {
    id: 2,
    full_name: 'Bob Baker',
    email: 'bob.baker@example.org',
    card_number: '5555555555554444',
    ssn: '234-56-7890',
    phone: '+1 415 555 0102',
  },
  {
    id: 3,
    full_name: 'Carol Chen',
    email: 'carol.chen@example.net',
    card_number: '378282246310005',
    ssn: '345-67-8901',
    phone: '+1 415 555 0103',
  },
  {
    id: 4,
    full_name: 'Dave Diaz',
    email: 'dave.diaz@example.com',
    card_number: '6011111111111117',
    ssn: '456-78-9012',
    phone: '+1 415 555 0104',
  },
  {
    id: 5,
    full_name: 'Erin Evans',
    email: 'erin.evans@example.com',
    card_number: '4012888888881881',
    ssn: '567-89-0123',
    phone: '+1 415 555 0105',
  },
  {
    id: 6,
    full_name: 'Frank Fox',
    email: 'frank.fox@example.com',
    card_number: '3530111333300000',
    ssn: '678-90-1234',
    phone: '+1 415 555 0106',
  },
];
const SECRET_VALUES = CUSTOMERS.flatMap((c) => [c.email, c.card_number, c.ssn]);

const SCHEMA = `
CREATE TABLE public.customers (
  id int PRIMARY KEY, full_name text NOT NULL, email text NOT NULL, card_number text NOT NULL,
  ssn text NOT NULL, phone text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.probe (id serial PRIMARY KEY, note text NOT NULL);
CREATE TABLE public.keepers (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO public.keepers VALUES (1, 'one'), (2, 'two'), (3, 'three');
`;

const generateKey = (): string => execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();

const agentYaml = (port: number, database: string): string => `
connections:
  - name: test-pg
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${database}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: test }
`;

interface Stack {
  readonly db: TestDatabase;
  readonly controlPlane: RunningControlPlane;
  readonly agent: ManagedProcess;
  readonly port: number;
}

/** A control plane on its own database with the test policy, and an agent serving the target. */
async function startStack(agentId: string, policyFile: string, target: TestDatabase): Promise<Stack> {
  const db = await createTestDatabase();
  const agentKey = generateKey();
  const controlPlane = await startControlPlane({
    SLUICE_DATABASE_URL: db.url,
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_POLICY_FILE: policyFile,
  });
  const port = await freePort();
  const agent = await startAgent({
    agentId,
    grpcPort: controlPlane.grpcPort,
    agentKey,
    yaml: agentYaml(port, target.name),
    env: {
      TARGET_PASSWORD: 'unused-with-trust-auth',
      SLUICE_AGENT_STATE_DIR: await mkdtemp(join(tmpdir(), 'sluice-agent-state-')),
      // Two agents run at once: neither may take the default admin port.
      SLUICE_AGENT_ADMIN_LISTEN: 'off',
    },
  });
  await agent.waitForLog((l) => l.msg === 'postgres connection listening', 30_000);
  await agent.waitForLog((l) => l.msg === 'connected to the control plane', 30_000);
  return { db, controlPlane, agent, port };
}

interface SessionJson {
  id: string;
  principalId: string;
  connection: string;
  clientApplication: string | null;
  closedAt: string | null;
  closeReason: string | null;
}
interface EventJson {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

/** The SQL error a statement fails with (fails the test if it succeeds). */
async function sqlError(work: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof pg.DatabaseError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail');
}

describe('PostgreSQL through the agent', () => {
  let target: TestDatabase;
  let direct: pg.Client;
  let main: Stack;
  let doomed: Stack;
  let agentToken = '';
  let adminToken = '';
  const clients: pg.Client[] = [];

  const probeNotes = async (): Promise<string[]> =>
    (await direct.query<{ note: string }>('SELECT note FROM probe ORDER BY id')).rows.map((r) => r.note);
  const keeperCount = async (): Promise<number> =>
    Number((await direct.query<{ n: string }>('SELECT count(*) AS n FROM keepers')).rows[0]?.n);

  async function connect(token: string, options: { port?: number; applicationName?: string } = {}): Promise<pg.Client> {
    const client = tokenClient(options.port ?? main.port, target.name, token, options.applicationName);
    clients.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    target = await createTestDatabase('sluice_target');
    direct = new pg.Client({ connectionString: target.url });
    await direct.connect();
    await direct.query(SCHEMA);
    for (const c of CUSTOMERS) {
      await direct.query('INSERT INTO customers (id, full_name, email, card_number, ssn, phone) VALUES ($1, $2, $3, $4, $5, $6)', [
        c.id,
        c.full_name,
        c.email,
        c.card_number,
        c.ssn,
        c.phone,
      ]);
    }
    const policyDir = await mkdtemp(join(tmpdir(), 'sluice-policy-'));
    const policyFile = join(policyDir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    [main, doomed] = await Promise.all([startStack('pg-agent', policyFile, target), startStack('pg-agent-doomed', policyFile, target)]);
    agentToken = await devToken(main.controlPlane, 'demo-agent');
    adminToken = await devToken(main.controlPlane, 'demo-admin');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await direct.end();
    for (const stack of [main, doomed]) {
      await stack.agent.stop('SIGKILL');
      await stack.controlPlane.process.stop('SIGKILL');
      await stack.db.drop();
    }
    await target.drop();
  });

  describe('psql', () => {
    it('runs -c', async () => {
      const result = await runCommand(
        'psql',
        ['-X', '-A', '-t', '-c', 'SELECT full_name FROM customers WHERE id = 1', agentConninfo(main.port, target.name)],
        {
          env: { PGPASSWORD: agentToken },
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('Alice Archer');
    });

    it('runs a multi-command script from stdin, meta-commands and a transaction included', async () => {
      const script = [
        '\\set ON_ERROR_STOP 1',
        "SELECT 'script-started' AS marker;",
        '\\dt public.*',
        'BEGIN;',
        "INSERT INTO probe (note) VALUES ('psql-script');",
        "SELECT count(*) AS n FROM probe WHERE note = 'psql-script';",
        'COMMIT;',
        'SELECT email FROM customers WHERE id = 2;',
        '',
      ].join('\n');
      const result = await runCommand('psql', ['-X', '-A', '-t', agentConninfo(main.port, target.name)], {
        env: { PGPASSWORD: agentToken },
        input: script,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines).toContain('script-started');
      expect(lines.some((l) => l.startsWith('public|customers|table|'))).toBe(true);
      expect(lines).toContain('1');
      expect(result.stdout).not.toContain(CUSTOMERS[1]!.email); // demo-agent: masked
      expect(await probeNotes()).toContain('psql-script');
      await direct.query("DELETE FROM probe WHERE note = 'psql-script'");
    });
  });

  describe('node-postgres', () => {
    let client: pg.Client;
    beforeAll(async () => {
      client = await connect(agentToken);
    });

    it('runs simple and extended (parameterized) queries', async () => {
      const simple = await client.query<{ one: number; name: string }>("SELECT 1 AS one, 'simple' AS name");
      expect(simple.rows).toEqual([{ one: 1, name: 'simple' }]);
      const extended = await client.query<{ full_name: string; n: number }>(
        'SELECT full_name, $2::int + 1 AS n FROM customers WHERE id = $1',
        [3, 41],
      );
      expect(extended.rows).toEqual([{ full_name: 'Carol Chen', n: 42 }]);
    });

    it('uses a named prepared statement twice', async () => {
      const first = await client.query<{ full_name: string }>({
        name: 'by-id',
        text: 'SELECT full_name FROM customers WHERE id = $1',
        values: [4],
      });
      const second = await client.query<{ full_name: string }>({
        name: 'by-id',
        text: 'SELECT full_name FROM customers WHERE id = $1',
        values: [5],
      });
      expect(first.rows).toEqual([{ full_name: 'Dave Diaz' }]);
      expect(second.rows).toEqual([{ full_name: 'Erin Evans' }]);
    });

    it('commits and rolls back transactions on the target', async () => {
      await client.query('BEGIN');
      await client.query('INSERT INTO probe (note) VALUES ($1)', ['committed']);
      expect(await probeNotes()).not.toContain('committed'); // not visible before COMMIT
      await client.query('COMMIT');
      expect(await probeNotes()).toContain('committed');

      await client.query('BEGIN');
      await client.query("INSERT INTO probe (note) VALUES ('rolled-back')");
      await client.query('ROLLBACK');
      expect(await probeNotes()).not.toContain('rolled-back');
      await direct.query("DELETE FROM probe WHERE note = 'committed'");
    });

    it('keeps the connection usable after an error inside a transaction and ROLLBACK', async () => {
      await client.query('BEGIN');
      expect((await sqlError(client.query('SELECT 1 / 0'))).code).toBe('22012');
      expect((await sqlError(client.query('SELECT 1'))).code).toBe('25P02');
      await client.query('ROLLBACK');
      expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      expect((await client.query<{ n: number }>('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
    });
  });

  describe('refusals', () => {
    let client: pg.Client;
    const tableExists = async (): Promise<boolean> =>
      (await direct.query<{ t: string | null }>("SELECT to_regclass('public.customers')::text AS t")).rows[0]?.t === 'customers';

    beforeAll(async () => {
      client = await connect(agentToken);
    });

    it('refuses DROP TABLE with 42501 naming the rule, and drops nothing', async () => {
      const error = await sqlError(client.query('DROP TABLE customers'));
      expect(error.code).toBe('42501');
      expect(error.message).toContain('block-destructive-ddl');
      expect(error.message).toContain('DROP and TRUNCATE are blocked');
      expect(await tableExists()).toBe(true);
      // Through the extended protocol too, and the session goes on.
      expect((await sqlError(client.query({ text: 'DROP TABLE customers', values: [] }))).code).toBe('42501');
      expect(await tableExists()).toBe(true);
      expect((await client.query('SELECT count(*) AS n FROM customers')).rows).toEqual([{ n: '6' }]);
    });

    it('runs nothing of a multi-statement query with a refused statement', async () => {
      expect((await sqlError(client.query('SELECT 1; DROP TABLE customers'))).code).toBe('42501');
      expect((await sqlError(client.query("INSERT INTO probe (note) VALUES ('multi'); DROP TABLE customers"))).code).toBe('42501');
      expect((await sqlError(client.query("DROP TABLE customers; INSERT INTO probe (note) VALUES ('multi-2')"))).code).toBe('42501');
      expect(await tableExists()).toBe(true);
      expect(await probeNotes()).toEqual([]);
    });

    it('classifies a data-modifying CTE, DO, COPY TO PROGRAM and PREPARE AS DELETE as what they do', async () => {
      const marker = join(tmpdir(), `sluice-copy-program-${randomBytes(6).toString('hex')}`);
      const refused = [
        'WITH d AS (DELETE FROM keepers RETURNING *) SELECT * FROM d',
        "DO $$ BEGIN INSERT INTO probe (note) VALUES ('from-do'); DELETE FROM keepers; END $$",
        "COPY probe TO PROGRAM 'cat'",
        `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`,
        'PREPARE x AS DELETE FROM keepers',
        'EXECUTE x',
      ];
      for (const sql of refused) {
        const error = await sqlError(client.query(sql));
        expect({ sql, code: error.code }).toEqual({ sql, code: '42501' });
        expect(error.message).toContain('no-deletes-or-code-for-agents');
      }
      // The same through the extended protocol (refused at Parse).
      expect((await sqlError(client.query('WITH d AS (DELETE FROM keepers WHERE id = $1 RETURNING *) SELECT * FROM d', [1]))).code).toBe(
        '42501',
      );
      expect((await sqlError(client.query('DELETE FROM keepers WHERE id = $1', [1]))).code).toBe('42501');
      expect(await keeperCount()).toBe(3);
      expect(await probeNotes()).toEqual([]);
      expect(existsSync(marker)).toBe(false);
      expect((await client.query('SELECT count(*) AS n FROM keepers')).rows).toEqual([{ n: '3' }]);
    });

    it('aborts an explicit transaction on a refusal as PostgreSQL would', async () => {
      await client.query('BEGIN');
      await client.query("INSERT INTO probe (note) VALUES ('tx-rolled-back')");
      expect((await sqlError(client.query('DELETE FROM keepers'))).code).toBe('42501');
      expect((await sqlError(client.query('SELECT 1'))).code).toBe('25P02');
      await client.query('ROLLBACK');
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);

      await client.query('BEGIN');
      await client.query("INSERT INTO probe (note) VALUES ('tx-commit-after-refusal')");
      expect((await sqlError(client.query('DROP TABLE keepers'))).code).toBe('42501');
      const commit = await client.query('COMMIT');
      expect(commit.command).toBe('ROLLBACK'); // what PostgreSQL answers to COMMIT in a failed transaction
      expect(await probeNotes()).toEqual([]);
      expect(await keeperCount()).toBe(3);

      // Extended protocol inside a transaction.
      await client.query('BEGIN');
      await client.query('INSERT INTO probe (note) VALUES ($1)', ['tx-extended']);
      expect((await sqlError(client.query('DELETE FROM keepers WHERE id = $1', [2]))).code).toBe('42501');
      expect((await sqlError(client.query('SELECT $1::int', [1]))).code).toBe('25P02');
      await client.query('ROLLBACK');
      expect(await probeNotes()).toEqual([]);
      expect((await client.query('SELECT $1::int AS n', [5])).rows).toEqual([{ n: 5 }]);
    });
  });

  describe('masking', () => {
    let agent: pg.Client;
    beforeAll(async () => {
      agent = await connect(agentToken);
    });

    const expectNoSecrets = (value: unknown): void => {
      const text = JSON.stringify(value);
      for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    };

    it('masks email, card and SSN in SELECT * for demo-agent, and nothing else', async () => {
      const result = await agent.query<Customer>('SELECT * FROM customers ORDER BY id LIMIT 5');
      expect(result.rows).toHaveLength(5);
      result.rows.forEach((row, i) => {
        const real = CUSTOMERS[i]!;
        expect(row.id).toBe(real.id);
        expect(row.full_name).toBe(real.full_name);
        expect(row.phone).toBe(real.phone);
        expect(row.email).not.toBe(real.email);
        expect(row.email.endsWith(real.email.slice(-4))).toBe(true); // partial, keepLast 4
        expect(row.card_number).not.toBe(real.card_number);
        expect(row.ssn).not.toBe(real.ssn);
      });
      expectNoSecrets(result.rows);
    });

    it('masks through an alias and through an expression', async () => {
      const alias = await agent.query<{ e: string }>('SELECT email AS e FROM customers ORDER BY id');
      expect(alias.rows).toHaveLength(6);
      alias.rows.forEach((row, i) => expect(row.e).not.toBe(CUSTOMERS[i]!.email));
      expectNoSecrets(alias.rows);

      const upper = await agent.query<{ u: string }>('SELECT upper(email) AS u FROM customers ORDER BY id');
      upper.rows.forEach((row, i) => {
        const real = CUSTOMERS[i]!.email;
        expect(row.u).not.toBe(real.toUpperCase());
        expect(row.u.toLowerCase()).not.toContain(real.split('@')[0]);
      });
    });

    it('masks results of the extended protocol, also for a named statement used twice', async () => {
      const result = await agent.query<Customer>(
        'SELECT id, email, card_number, ssn FROM customers WHERE id = ANY($1::int[]) ORDER BY id',
        [[1, 2, 3]],
      );
      expect(result.rows.map((r) => r.id)).toEqual([1, 2, 3]);
      result.rows.forEach((row, i) => {
        // Masked per the plan (partial, last 4 kept), not blanked because the columns were unknown.
        expect(row.email.endsWith(CUSTOMERS[i]!.email.slice(-4))).toBe(true);
        expect(row.card_number.endsWith(CUSTOMERS[i]!.card_number.slice(-4))).toBe(true);
        expect(row.ssn).toEqual(expect.any(String));
      });
      expectNoSecrets(result.rows);
      for (const id of [2, 6]) {
        const named = await agent.query<{ email: string }>({
          name: 'email-by-id',
          text: 'SELECT email FROM customers WHERE id = $1',
          values: [id],
        });
        expect(named.rows).toHaveLength(1);
        expect(named.rows[0]!.email).not.toBe(CUSTOMERS[id - 1]!.email);
        expect(named.rows[0]!.email.endsWith(CUSTOMERS[id - 1]!.email.slice(-4))).toBe(true);
      }
    });

    it('does not leak masked values through errors, notices, notifications or COPY', async () => {
      const notices: unknown[] = [];
      const notifications: string[] = [];
      agent.on('notice', (notice) => notices.push(notice));
      agent.on('notification', (notification) => notifications.push(notification.payload ?? ''));

      const cast = await sqlError(agent.query('SELECT email::int FROM customers WHERE id = 1'));
      expect(cast.code).toBe('22P02');
      expectNoSecrets({ message: cast.message, detail: cast.detail, where: cast.where });

      await agent.query('LISTEN leak_channel');
      await agent.query("SELECT pg_notify('leak_channel', email) FROM customers WHERE id = 1");
      await waitFor(() => (notifications.length > 0 ? true : undefined));
      expect(notifications[0]).not.toBe(CUSTOMERS[0]!.email);

      await agent.query(
        "CREATE FUNCTION leak_notice(t text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'value: %', t; RETURN 'x'; END $$",
      );
      await agent.query('SELECT leak_notice(email) FROM customers WHERE id = 1');
      await waitFor(() => (notices.length > 0 ? true : undefined));
      expectNoSecrets({ notices, notifications });

      const copy = await sqlError(agent.query('COPY customers TO STDOUT'));
      expect(copy.code).toBe('0A000');
      await agent.query('UNLISTEN *');
    });

    it('refuses a masked result requested in binary format', async () => {
      const binary = { text: 'SELECT email FROM customers WHERE id = $1', values: [1], binary: true } as pg.QueryConfig;
      const error = await sqlError(agent.query(binary));
      expect(error.code).toBe('0A000');
      expect(error.message).toContain('text format');
      expect((await agent.query<{ n: string }>('SELECT count(*) AS n FROM customers')).rows).toEqual([{ n: '6' }]);
    });

    it('shows demo-admin (not in ai-agents) the real values', async () => {
      const admin = await connect(adminToken);
      const result = await admin.query<Customer>('SELECT id, email, card_number, ssn FROM customers ORDER BY id LIMIT 5');
      expect(result.rows).toEqual(CUSTOMERS.slice(0, 5).map(({ id, email, card_number, ssn }) => ({ id, email, card_number, ssn })));
      const extended = await admin.query<{ e: string }>('SELECT email AS e FROM customers WHERE id = $1', [6]);
      expect(extended.rows).toEqual([{ e: CUSTOMERS[5]!.email }]);
      await admin.end();
    });
  });

  describe('cancel', () => {
    const sleeping = async (): Promise<number> =>
      (
        await direct.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'",
          [target.name],
        )
      ).rowCount ?? 0;

    it('cancels a running query with the Sluice-issued key, and ignores a wrong key', async () => {
      const victim = await connect(agentToken);
      const { processID, secretKey } = victim as unknown as { processID: number; secretKey: number };
      const started = Date.now();
      const outcome = victim.query('SELECT pg_sleep(30)').then(
        () => undefined,
        (error: unknown) => error,
      );
      let settled = false;
      void outcome.then(() => (settled = true));
      await waitFor(async () => ((await sleeping()) === 1 ? true : undefined));

      await sendCancelRequest(main.port, processID, cancelKeyBytes(secretKey ^ 0x5a5a));
      await sendCancelRequest(main.port, processID ^ 1, cancelKeyBytes(secretKey));
      // A refusal is silence, so give a wrongly accepted cancel a moment to land before looking.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      expect(await sleeping()).toBe(1);

      await sendCancelRequest(main.port, processID, cancelKeyBytes(secretKey));
      const error = await outcome;
      expect(error).toBeInstanceOf(pg.DatabaseError);
      expect((error as pg.DatabaseError).code).toBe('57014');
      expect(Date.now() - started).toBeLessThan(15_000); // pg_sleep(30) would take 30 s
      expect((await victim.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });

    it("cancels psql's query on Ctrl-C (SIGINT)", async () => {
      const psql = startCommand(
        'psql',
        ['-X', '-v', 'VERBOSITY=verbose', '-c', 'SELECT pg_sleep(30)', agentConninfo(main.port, target.name)],
        {
          env: { PGPASSWORD: agentToken },
        },
      );
      await waitFor(async () => ((await sleeping()) === 1 ? true : undefined));
      process.kill(psql.pid!, 'SIGINT');
      const result = await psql.result;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Cancel request sent');
      // demo-agent's results are masked, so the agent keeps only the SQLSTATE of the error.
      expect(result.stderr).toContain('ERROR:  57014:');
    });
  });

  describe('robustness', () => {
    let healthy: pg.Client;
    const healthyStillWorks = async (): Promise<void> => {
      expect((await healthy.query<{ n: string }>('SELECT count(*) AS n FROM customers')).rows).toEqual([{ n: '6' }]);
      expect((await healthy.query<{ n: number }>('SELECT $1::int AS n', [3])).rows).toEqual([{ n: 3 }]);
      expect(main.agent.child.exitCode).toBeNull();
      expect(main.agent.child.signalCode).toBeNull();
    };

    beforeAll(async () => {
      healthy = await connect(agentToken);
    });

    it('drops a client sending garbage before startup', async () => {
      const socket = await openSocket(main.port);
      const closed = closedBy(socket);
      socket.write('GET / HTTP/1.1\r\nHost: sluice\r\n\r\n');
      await closed;
      await healthyStillWorks();
    });

    it('drops a startup packet claiming 2 GB', async () => {
      for (const length of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]) {
        const socket = await openSocket(main.port);
        const closed = closedBy(socket);
        const header = Buffer.alloc(8);
        header.writeUInt32BE(length, 0);
        header.writeUInt32BE(196608, 4); // protocol 3.0
        socket.write(header);
        await closed;
      }
      await healthyStillWorks();
    });

    it('drops an authenticated client announcing a 2 GB message, or an unknown message type, with 08P01', async () => {
      const huge = await openRawSession(main.port, target.name, agentToken);
      const hugeClosed = closedBy(huge.socket);
      huge.socket.write(Buffer.from([0x51 /* Q */, 0x7f, 0xff, 0xff, 0xff, 0x53, 0x45]));
      await hugeClosed;
      expect(huge.reader.messages.find((m) => m.kind === 'ErrorResponse')).toMatchObject({ code: '08P01' });

      const unknown = await openRawSession(main.port, target.name, agentToken);
      const unknownClosed = closedBy(unknown.socket);
      unknown.socket.write(Buffer.from([0x7a /* z */, 0, 0, 0, 8, 1, 2, 3, 4]));
      await unknownClosed;
      expect(unknown.reader.messages.find((m) => m.kind === 'ErrorResponse')).toMatchObject({ code: '08P01' });
      await healthyStillWorks();
    });

    it('is not stalled by clients stuck mid-message, and survives them disconnecting', async () => {
      // Before authentication: a startup packet of 64 bytes of which 10 arrive.
      const early = await openSocket(main.port);
      early.on('error', () => undefined);
      early.write(Buffer.concat([Buffer.from([0, 0, 0, 64, 0, 3, 0, 0]), Buffer.from('user\0x\0')]));
      // After authentication: half a Query.
      const late = await openRawSession(main.port, target.name, agentToken);
      late.socket.on('error', () => undefined);
      const query = Buffer.from('QxxxxSELECT 1\0');
      query.writeUInt32BE(query.length - 1 + 1000, 1);
      late.socket.write(query);

      await healthyStillWorks(); // while both are stuck
      early.destroy();
      late.socket.destroy();
      await healthyStillWorks();
      const another = await connect(agentToken);
      expect((await another.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      await another.end();
    });
    it('survives losing its catalog connection: masking fails closed, then recovers', async () => {
      await direct.query('CREATE TABLE fresh (id int, contact text)');
      await direct.query("INSERT INTO fresh VALUES (1, 'someone@example.com')");
      const terminated = await direct.query<{ ok: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sluice-agent-catalog'",
        [target.name],
      );
      expect(terminated.rows).toEqual([{ ok: true }]);
      // The columns' origins cannot be resolved now: nothing is known of them, so they are sent as NULL.
      expect((await healthy.query('SELECT id, contact FROM fresh')).rows).toEqual([{ id: null, contact: null }]);
      // The next lookup reconnects: fresh.contact is a known column no rule names, so it passes.
      expect((await healthy.query('SELECT id, contact FROM fresh')).rows).toEqual([{ id: 1, contact: 'someone@example.com' }]);
      await healthyStillWorks();
    });
  });

  describe('authentication', () => {
    it('refuses a garbage or forged token with 28P01', async () => {
      const forged = `${agentToken.slice(0, -8)}AAAAAAAA`;
      for (const password of ['not-a-token', forged]) {
        const error = await sqlError(connect(password));
        expect(error.code).toBe('28P01');
        expect(error.message).not.toContain(password);
      }
    });

    it('refuses a connection without TLS with 28000', async () => {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: main.port,
        database: target.name,
        user: 'anything',
        password: agentToken,
        ssl: false,
      });
      client.on('error', () => undefined);
      const error = await sqlError(client.connect());
      expect(error.code).toBe('28000');
      expect(error.message).toContain('TLS is required');
      const psql = await runCommand('psql', ['-X', '-c', 'SELECT 1', agentConninfo(main.port, target.name, 'disable')], {
        env: { PGPASSWORD: agentToken },
      });
      expect(psql.code).not.toBe(0);
      expect(psql.stderr).toContain('TLS is required');
    });
  });

  describe('recording', () => {
    it('lists the session with its principal and records every step in order', async () => {
      const client = await connect(agentToken, { applicationName: 'events-probe' });
      await client.query('SELECT 1 AS one');
      await sqlError(client.query('DROP TABLE customers'));
      await client.query('SELECT $1::int AS n', [2]);
      await client.end();

      const session = await waitFor(async () => {
        const sessions = await getJson<SessionJson[]>(`${main.controlPlane.httpUrl}/api/v1/sessions`, adminToken);
        return sessions.find((s) => s.clientApplication === 'events-probe' && s.closedAt !== null);
      });
      expect(session.connection).toBe('test-pg');
      expect(session.principalId).toMatch(/^entra:/);

      const events = await waitFor(async () => {
        const list = await getJson<EventJson[]>(`${main.controlPlane.httpUrl}/api/v1/sessions/${session.id}/events`, adminToken);
        return list.some((e) => e.kind === 'session.closed') ? list : undefined;
      });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events[0]).toMatchObject({
        kind: 'session.opened',
        payload: { principal: { id: session.principalId, groups: ['ai-agents'] } },
      });
      expect(events.at(-1)).toMatchObject({ kind: 'session.closed', payload: { reason: 'client_closed' } });
      const kinds = new Set(events.map((e) => e.kind));
      for (const kind of ['command.received', 'command.decided', 'command.completed']) expect(kinds).toContain(kind);

      const received = events.filter((e) => e.kind === 'command.received').map((e) => e.payload.text);
      expect(received).toEqual(['SELECT 1 AS one', 'DROP TABLE customers', 'SELECT $1::int AS n']);
      const decided = events.filter((e) => e.kind === 'command.decided').map((e) => e.payload);
      expect(decided[1]).toMatchObject({ effect: 'deny', ruleIds: ['block-destructive-ddl'] });
      expect(decided[0]).toMatchObject({ effect: 'mask' });
      const completed = events.filter((e) => e.kind === 'command.completed').map((e) => e.payload);
      expect(completed).toHaveLength(3);
      expect(completed[0]).toMatchObject({ tag: 'SELECT 1' });
      expect(completed[1]).toMatchObject({ error: '42501', refused: true });
      expect(completed[2]).toMatchObject({ tag: 'SELECT 1', rows: 1 });
      // Parameters are not recorded.
      expect(JSON.stringify(events)).not.toContain(agentToken);
    });

    it('records result previews as the client saw them: masked, bounded, and scrubbed when not masked', async () => {
      const agentClient = await connect(agentToken, { applicationName: 'preview-agent' });
      await agentClient.query('SELECT id, email, card_number, ssn FROM customers ORDER BY id');
      await agentClient.end();
      const adminClient = await connect(adminToken, { applicationName: 'preview-admin' });
      await adminClient.query('SELECT id, email FROM customers ORDER BY id');
      await adminClient.end();

      const previewOf = async (application: string) => {
        const session = await waitFor(async () => {
          const sessions = await getJson<SessionJson[]>(`${main.controlPlane.httpUrl}/api/v1/sessions`, adminToken);
          return sessions.find((s) => s.clientApplication === application && s.closedAt !== null);
        });
        const events = await waitFor(async () => {
          const list = await getJson<EventJson[]>(`${main.controlPlane.httpUrl}/api/v1/sessions/${session.id}/events`, adminToken);
          return list.some((e) => e.kind === 'session.closed') ? list : undefined;
        });
        return events.find((e) => e.kind === 'command.completed' && e.payload['preview'])?.payload['preview'] as {
          columns: string[];
          rows: (string | null)[][];
        };
      };
      const agentPreview = await previewOf('preview-agent');
      expect(agentPreview.columns).toEqual(['id', 'email', 'card_number', 'ssn']);
      expect(agentPreview.rows.length).toBeGreaterThan(0);
      expect(agentPreview.rows.length).toBeLessThanOrEqual(5);
      for (const customer of CUSTOMERS) {
        expect(JSON.stringify(agentPreview)).not.toContain(customer.email);
        expect(JSON.stringify(agentPreview)).not.toContain(customer.card_number);
      }
      // An admin's unmasked result is still scrubbed of recognisable PII in the recording.
      const adminPreview = await previewOf('preview-admin');
      expect(adminPreview.rows[0]?.[0]).toBe('1');
      expect(JSON.stringify(adminPreview)).not.toContain(CUSTOMERS[0]!.email);
    });
  });

  describe('pgbench', () => {
    it('runs -S, simple and prepared, through the agent', async () => {
      const init = await runCommand('pgbench', ['-i', '-s', '1', '-q', `host=127.0.0.1 port=5432 user=postgres dbname=${target.name}`], {
        timeoutMs: 60_000,
      });
      expect(init.code, init.stderr).toBe(0);
      for (const mode of ['simple', 'prepared']) {
        const run = await runCommand('pgbench', ['-n', '-S', '-t', '50', '-c', '2', '-M', mode, agentConninfo(main.port, target.name)], {
          env: { PGPASSWORD: agentToken },
          timeoutMs: 60_000,
        });
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain('number of transactions actually processed: 100/100');
        expect(run.stdout).toContain(`query mode: ${mode}`);
      }
    });
  });

  describe('revocation', () => {
    it('ends an open connection of a revoked principal within a second with 57P01', async () => {
      const client = await connect(agentToken, { applicationName: 'revoke-probe' });
      await client.query('SELECT 1');
      const ended = new Promise<Error>((resolve) => client.once('error', resolve));
      const sessions = await getJson<SessionJson[]>(`${main.controlPlane.httpUrl}/api/v1/sessions`, adminToken);
      const principalId = sessions.find((s) => s.clientApplication === 'revoke-probe')?.principalId;
      expect(principalId).toBeDefined();

      const revokedAt = Date.now();
      const revoke = await fetch(`${main.controlPlane.httpUrl}/api/v1/principals/${encodeURIComponent(principalId!)}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'system test' }),
      });
      expect(revoke.status).toBe(200);
      try {
        const error = await ended;
        expect(Date.now() - revokedAt).toBeLessThan(1_000);
        expect((error as pg.DatabaseError).code).toBe('57P01');
        expect(error.message).toContain('revoked');
        await expect(client.query('SELECT 1')).rejects.toThrow();
        expect((await sqlError(connect(agentToken))).code).toBe('28000');
      } finally {
        const unrevoke = await fetch(`${main.controlPlane.httpUrl}/api/v1/principals/${encodeURIComponent(principalId!)}/unrevoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}` },
        });
        expect(unrevoke.status).toBe(200);
      }
      const again = await connect(agentToken);
      expect((await again.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });
  });

  describe('when the control plane dies', () => {
    it('fails the next statement with 08006 and forwards nothing undecided', async () => {
      const token = await devToken(doomed.controlPlane, 'demo-agent');
      const client = await connect(token, { port: doomed.port });
      await client.query("INSERT INTO probe (note) VALUES ('before-kill')"); // also caches this statement's decision
      expect(await probeNotes()).toEqual(['before-kill']);

      await doomed.controlPlane.process.stop('SIGKILL');
      const undecided = await sqlError(client.query("INSERT INTO probe (note) SELECT 'after-kill-new'"));
      expect(undecided.code).toBe('08006');
      expect(undecided.message).toContain('control plane');
      const cached = await sqlError(client.query("INSERT INTO probe (note) VALUES ('after-kill-cached')"));
      expect(cached.code).toBe('08006');
      expect(await probeNotes()).toEqual(['before-kill']);
      expect(doomed.agent.child.exitCode).toBeNull();
      await direct.query('DELETE FROM probe');
    });
  });
});
