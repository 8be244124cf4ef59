// The target both PostgreSQL attack suites (test/adversarial*.test.ts) run against: a policy shaped
// like the quick start's, and a schema with masked columns, a view, a partition and a vault.
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
