// The target both PostgreSQL attack suites (test/adversarial*.test.ts) run against: a policy shaped
// like the quick start's, and a schema with masked columns, a view, a partition and a vault.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { CONTROL_PLANE_CLI, startAgent, startControlPlane, type RunningControlPlane } from './system.js';
/**
 * Shaped like the quick start's policy: people may do anything but DROP/TRUNCATE; AI agents may only
 * read (writes are denied here rather than held, so a smuggled write fails fast), and see PII masked.
 */
export const POLICY = `
rules:
  - id: block-destructive-ddl
    match: { commands: [sql.ddl.drop, sql.ddl.truncate] }
    effect: { deny: { message: DROP and TRUNCATE are blocked } }

  - id: open-sessions
    match: { commands: [session.open], connection: { tags: { env: adversarial } } }
    effect: allow

  - id: people-do-anything-else
    match: { connection: { tags: { env: adversarial } } }
    when: "!('ai-agents' in principal.groups)"
    effect: allow

  - id: agents-read
    match:
      principal: { groups: [ai-agents] }
      commands: [sql.dml.select, sql.tcl.*, sql.utility.show, sql.utility.set, sql.utility.explain, sql.utility.cursor,
                 sql.utility.prepare, sql.utility.execute, sql.utility.deallocate, sql.utility.discard, sql.empty]
    effect: allow

  - id: agents-never-write
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.insert, sql.dml.update, sql.dml.delete, sql.dml.merge] }
    effect: { deny: { message: agents only read } }

  - id: mask-pii
    match: { principal: { groups: [ai-agents] } }
    effect:
      mask:
        columns:
          - { pattern: customers.email, strategy: { kind: redact } }
          - { pattern: customers.ssn, strategy: { kind: redact } }
          - { pattern: orders.customer_email, strategy: { kind: redact } }

  - id: mask-vault
    description: a mask that applies only where the vault table is read
    match: { principal: { groups: [ai-agents] }, tables: [vault] }
    effect:
      mask:
        columns: [{ pattern: vault.secret, strategy: { kind: redact } }]
`;

export const EMAILS = ['alice.archer@example.com', 'bob.baker@example.org', 'carol.chen@example.net'];
export const SSNS = ['123-45-6789', '234-56-7890', '345-67-8901'];
export const VAULT_SECRET = 'vault-value-7f3c9a';
export const ORDER_EMAIL = 'dave.diaz@example.com';

export const SCHEMA = `
CREATE TABLE customers (id int PRIMARY KEY, full_name text NOT NULL, email text NOT NULL, ssn text NOT NULL);
INSERT INTO customers VALUES
  (1, 'Alice Archer', '${EMAILS[0]}', '${SSNS[0]}'),
  (2, 'Bob Baker', '${EMAILS[1]}', '${SSNS[1]}'),
  (3, 'Carol Chen', '${EMAILS[2]}', '${SSNS[2]}');
CREATE VIEW customer_contacts AS SELECT id, full_name, email FROM customers;
CREATE TABLE orders (id int, region text NOT NULL, customer_email text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
INSERT INTO orders VALUES (1, 'eu', '${ORDER_EMAIL}');
CREATE TABLE vault (id int PRIMARY KEY, secret text NOT NULL);
INSERT INTO vault VALUES (1, '${VAULT_SECRET}');
CREATE TABLE keepers (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO keepers VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE TABLE victim_a (id int);
CREATE TABLE victim_b (id int);
CREATE TABLE victim_c (id int);
CREATE SEQUENCE counter;
`;

export interface AdversarialTarget {
  /** The target database (SCHEMA loaded) and a direct connection to it, bypassing Sluice. */
  readonly target: TestDatabase;
  readonly direct: pg.Client;
  readonly controlPlane: RunningControlPlane;
  readonly agent: ManagedProcess;
  /** Where the agent serves connection `adv-pg` (tags env=adversarial), plaintext on loopback. */
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A control plane with POLICY and an agent serving a fresh database with SCHEMA; `name` keeps two
 * suites' databases and agents apart.
 */
export async function startAdversarialTarget(name: string): Promise<AdversarialTarget> {
  const target = await createTestDatabase(`sluice_${name}`);
  const direct = new pg.Client({ connectionString: target.url });
  await direct.connect();
  await direct.query(SCHEMA);
  const controlDb = await createTestDatabase();
  const dir = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  const controlPlane = await startControlPlane({
    SLUICE_DATABASE_URL: controlDb.url,
    SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
    SLUICE_POLICY_FILE: join(dir, 'policy.yaml'),
  });
  const port = await freePort();
  const agent = await startAgent({
    agentId: `${name.replaceAll('_', '-')}-agent`,
    grpcPort: controlPlane.grpcPort,
    agentKey,
    yaml: `connections:
  - name: adv-pg
    protocol: postgres
    listen: "127.0.0.1:${port}"
    target: { host: 127.0.0.1, port: 5432, database: ${target.name}, sslMode: disable }
    credentials: { username: postgres, password: { env: TARGET_PASSWORD } }
    tags: { env: adversarial }
`,
    env: { TARGET_PASSWORD: 'unused-with-trust-auth', SLUICE_MAX_STATEMENT_BYTES: '4096', SLUICE_AGENT_ADMIN_LISTEN: 'off' },
  });
  await agent.waitForLog((l) => l.msg === 'connected to the control plane', 60_000);
  return {
    target,
    direct,
    controlPlane,
    agent,
    port,
    async stop() {
      await direct.end();
      await agent.stop('SIGKILL');
      await controlPlane.process.stop('SIGKILL');
      await controlDb.drop();
      await target.drop();
    },
  };
}
