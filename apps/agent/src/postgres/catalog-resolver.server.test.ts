// The catalog resolver against the real server: the origins it reads for views, partitions,
// inheritance children and system views (the masking bypasses of the security review).

import { compileMaskPlan, type ColumnRef } from '@sluice/masking';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BackendTarget } from './backend-connector.js';
import { CatalogResolver } from './catalog-resolver.js';
import type { ColumnOrigin } from './column-origin.js';
import { namedMaskFor } from './result-masker.js';

const SCHEMA = `
CREATE TABLE customers (id int PRIMARY KEY, full_name text NOT NULL, email text NOT NULL, ssn text NOT NULL);
CREATE VIEW customer_contacts AS SELECT id, full_name, email FROM customers;
CREATE VIEW contacts_renamed AS SELECT id, full_name AS name, email AS contact FROM customers;
CREATE VIEW swapped AS SELECT id, email AS full_name, full_name AS email FROM customers;
CREATE VIEW display AS SELECT id, full_name || ' <' || email || '>' AS full_name FROM customers;
CREATE VIEW whole_row AS SELECT c::text AS t FROM customers c;
CREATE VIEW unioned AS SELECT full_name AS v FROM customers UNION ALL SELECT ssn FROM customers;
CREATE VIEW nested AS SELECT s.e AS ":resorigtbl", 1 AS "we ird(}" FROM (SELECT email AS e FROM customer_contacts) s;
CREATE MATERIALIZED VIEW contacts_snapshot AS SELECT id, email FROM customer_contacts;
CREATE TABLE orders (id int, region text NOT NULL, customer_email text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu') PARTITION BY LIST (id);
CREATE TABLE orders_eu_1 PARTITION OF orders_eu FOR VALUES IN (1);
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
CREATE TABLE vip (tier text) INHERITS (customers);
CREATE VIEW vip_view AS SELECT email FROM vip;
`;

let database: TestDatabase;
let client: pg.Client;
let target: BackendTarget;
let resolver: CatalogResolver;

beforeAll(async () => {
  database = await createTestDatabase('sluice_catalog');
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(SCHEMA);
  const url = new URL(database.url);
  target = {
    host: url.hostname,
    port: Number(url.port || 5432),
    database: database.name,
    user: decodeURIComponent(url.username),
    password: () => decodeURIComponent(url.password),
    sslMode: 'disable',
    connectTimeoutMs: 5_000,
  };
  resolver = new CatalogResolver(target);
});

afterAll(async () => {
  resolver.close();
  await client.end();
  await database.drop();
});

/** The origin the resolver gives `relation.column`, as a RowDescription would name it. */
async function originOf(relation: string, column: string): Promise<ColumnOrigin | undefined> {
  const { rows } = await client.query<{ oid: number; attnum: number }>(
    'SELECT a.attrelid::int AS oid, a.attnum::int AS attnum FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = $2',
    [relation, column],
  );
  const row = rows[0];
  if (!row) throw new Error(`no column ${relation}.${column}`);
  await resolver.load([row.oid]);
  return resolver.cached(row.oid, row.attnum);
}

const names = (refs: readonly ColumnRef[]): string[] => refs.map((r) => `${r.table ?? ''}.${r.column}`);

const matcher = compileMaskPlan(
  {
    columns: [
      { pattern: 'customers.email', strategy: { kind: 'redact' } },
      { pattern: 'customers.ssn', strategy: { kind: 'redact' } },
      { pattern: 'orders.customer_email', strategy: { kind: 'redact' } },
      { pattern: 'orders_eu_1.region', strategy: { kind: 'redact' } },
      { pattern: 'vip.email', strategy: { kind: 'hash' } },
    ],
    detectors: [],
  },
  { hashKey: Buffer.alloc(32, 1) },
);

/** What the masker does with the column: a rule's output, 'detectors' (every detector) or 'plain'. */
async function treatment(relation: string, column: string): Promise<string> {
  const origin = await originOf(relation, column);
  if (!origin) return 'detectors';
  const named = namedMaskFor(origin, matcher);
  if (named) return named('a@b.co') ?? 'null';
  return origin.unknownProvenance ? 'detectors' : 'plain';
}

describe('CatalogResolver origins (real server)', () => {
  it('names a table column by itself, and a partition column by every ancestor and descendant', async () => {
    expect(names((await originOf('customers', 'email'))?.candidates ?? [])).toEqual(['customers.email', 'vip.email']);
    expect(names((await originOf('orders_eu', 'customer_email'))?.candidates ?? [])).toEqual([
      'orders_eu.customer_email',
      'orders.customer_email',
      'orders_eu_1.customer_email',
    ]);
    expect(await treatment('orders_eu', 'customer_email')).toBe('[redacted]');
    expect(await treatment('orders_eu_1', 'customer_email')).toBe('[redacted]');
    // A rule on a partition also masks that column read through the parent (its rows are there).
    expect(await treatment('orders', 'region')).toBe('[redacted]');
    expect(await treatment('orders_us', 'region')).toBe('plain');
    expect(await treatment('orders', 'id')).toBe('plain');
  });

  it('names an inheritance child column by its parent, and the parent column by the child', async () => {
    // The strictest rule naming any of them wins: the parent's redact over the child's own hash.
    expect(await treatment('vip', 'email')).toBe('[redacted]');
    expect(await treatment('customers', 'email')).toBe('[redacted]');
    expect(await treatment('vip', 'tier')).toBe('plain');
    expect(await treatment('vip_view', 'email')).toBe('[redacted]');
  });

  it('follows a view column to the base column it reads, through renames, subqueries and views on views', async () => {
    expect(await treatment('customer_contacts', 'email')).toBe('[redacted]');
    expect(await treatment('customer_contacts', 'id')).toBe('plain');
    expect(await treatment('customer_contacts', 'full_name')).toBe('plain');
    expect(await treatment('contacts_renamed', 'contact')).toBe('[redacted]');
    expect(await treatment('contacts_renamed', 'name')).toBe('plain');
    expect(await treatment('nested', ':resorigtbl')).toBe('[redacted]');
    expect(await treatment('contacts_snapshot', 'email')).toBe('[redacted]');
    expect(await treatment('contacts_snapshot', 'id')).toBe('plain');
  });

  it('masks a view that swaps column names under both names (over-masking, not leaking)', async () => {
    expect(await treatment('swapped', 'full_name')).toBe('[redacted]');
    expect(await treatment('swapped', 'email')).toBe('[redacted]');
    expect(await treatment('swapped', 'id')).toBe('plain');
  });

  it('masks a computed view column with a rule of any column the view reads, else with every detector', async () => {
    expect(await treatment('display', 'full_name')).toBe('[redacted]');
    expect(await treatment('whole_row', 't')).toBe('[redacted]');
    expect(await treatment('unioned', 'v')).toBe('[redacted]');
    expect(await treatment('nested', 'we ird(}')).toBe('[redacted]');
    const computed = await originOf('display', 'full_name');
    expect(computed?.unknownProvenance).toBe(true);
  });

  it('treats system catalog and information_schema columns as of unknown provenance', async () => {
    expect(await treatment('pg_stat_activity', 'query')).toBe('detectors');
    expect(await treatment('pg_prepared_statements', 'statement')).toBe('detectors');
    expect(await treatment('pg_cursors', 'statement')).toBe('detectors');
    expect(await treatment('pg_class', 'relname')).toBe('detectors');
    expect(await treatment('information_schema.tables', 'table_name')).toBe('detectors');
  });

  it('loads a batch of tables in one lookup and caches each', async () => {
    const { rows } = await client.query<{ oid: number }>(
      "SELECT oid::int AS oid FROM pg_class WHERE relname IN ('customers', 'swapped', 'orders_eu') ORDER BY relname",
    );
    const oids = rows.map((r) => r.oid);
    const fresh = new CatalogResolver(target);
    try {
      await fresh.load(oids);
      for (const oid of oids) expect(fresh.isCached(oid)).toBe(true);
    } finally {
      fresh.close();
    }
  });
});
