// The classifier against the real server: where the two could disagree about what a text does, the
// server decides, and the classifier must agree (or over-report). Runs on the test run's PostgreSQL.

import { createTestDatabase } from '@sluice/testing';
import type { TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { classifyPostgres, loadSqlParser } from './postgres-classifier.js';

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  await loadSqlParser();
  database = await createTestDatabase('sluice_sql');
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  // Reading `trap` fails with division_by_zero: the server's proof that a text touched the relation.
  await client.query('CREATE VIEW trap AS SELECT 1 / 0 AS x');
});

afterAll(async () => {
  await client.end();
  await database.drop();
});

/** Runs `sql` in a transaction that is rolled back; returns the SQLSTATE it failed with, or null. */
async function failureOf(sql: string): Promise<string | null> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('classifier vs server', () => {
  it.each([
    ['SELECT * FROM trap', true],
    ['SELECT * FROM "trap"', true],
    ['SELECT * FROM U&"tr\\0061p"', true],
    ['SELECT * FROM public.trap', true],
    ['SELECT (SELECT x FROM trap)', true],
    ['WITH trap AS (SELECT 1 AS x) SELECT * FROM trap', false],
    ['SELECT * FROM (WITH trap AS (SELECT 1 AS x) SELECT * FROM trap) s', false],
    ['SELECT * FROM trap t, (WITH trap AS (SELECT 1 AS x) SELECT * FROM trap) s', true],
    ['WITH trap AS (SELECT 1 AS x) SELECT * FROM public.trap', true],
    ['WITH "Trap" AS (SELECT 1 AS x) SELECT * FROM trap', true],
    ['WITH trap AS (SELECT * FROM trap) SELECT * FROM trap', true],
    ['WITH a AS (SELECT 1 AS x), trap AS (SELECT * FROM a) SELECT * FROM trap', false],
    ['SELECT 1 /* FROM trap */', false],
    ["SELECT 'FROM trap'", false],
  ])('%s: the server touches trap ⇔ the classifier reports it (%s)', async (sql, touches) => {
    expect(await failureOf(sql)).toBe(touches ? '22012' : null);
    const reported = classifyPostgres(sql).tablesRead.some((name) => name === 'trap' || name.endsWith('.trap'));
    expect(reported).toBe(touches);
  });

  it('the target of a DELETE is the table even when a WITH query has its name', async () => {
    await client.query('CREATE TABLE customers (id int); INSERT INTO customers VALUES (1), (2)');
    const sql = 'WITH customers AS (SELECT 1 AS id) DELETE FROM customers';
    expect(classifyPostgres(sql).tablesWritten).toEqual(['customers']);
    const result = await client.query(sql);
    expect(result.rowCount).toBe(2);
  });

  it('splits a simple-protocol Query into the statements the server runs', async () => {
    const sql = "SELECT 1 AS a; SELECT $x$;$x$ AS b /* ; */; SELECT E'\\';' AS c -- ;\n; SELECT '\\' AS d";
    const results = (await client.query(sql)) as unknown as pg.QueryResult[];
    expect(results).toHaveLength(4);
    expect(classifyPostgres(sql).statements).toHaveLength(4);
  });

  it('EXPLAIN ANALYZE runs the statement; plain EXPLAIN does not — as classified', async () => {
    await client.query('CREATE TABLE explained (id int); INSERT INTO explained VALUES (1)');
    await client.query('EXPLAIN DELETE FROM explained');
    expect((await client.query('SELECT count(*)::int AS n FROM explained')).rows).toEqual([{ n: 1 }]);
    expect(classifyPostgres('EXPLAIN DELETE FROM explained').classes).toEqual(['sql.utility.explain']);
    await client.query('EXPLAIN ANALYZE DELETE FROM explained');
    expect((await client.query('SELECT count(*)::int AS n FROM explained')).rows).toEqual([{ n: 0 }]);
    expect(classifyPostgres('EXPLAIN ANALYZE DELETE FROM explained').classes).toContain('sql.dml.delete');
  });

  it('SET "ROLE" (any case) changes the role on the server, and is set-role', async (context) => {
    const { rows } = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (rows[0]?.rolsuper !== true) context.skip('needs a superuser to create and assume a role');
    const role = `${database.name}_probe`;
    await client.query(`CREATE ROLE ${role}`);
    try {
      const sql = `SET "RoLe" = '${role}'`;
      expect(classifyPostgres(sql).classes).toEqual(['sql.utility.set-role']);
      await client.query(sql);
      expect((await client.query<{ current_user: string }>('SELECT current_user')).rows[0]?.current_user).toBe(role);
    } finally {
      await client.query('RESET ROLE');
      await client.query(`DROP ROLE ${role}`);
    }
  });

  it('with standard_conforming_strings off the server runs a statement this parser cannot see: hence set-syntax', async () => {
    const hidden = "SELECT 'a\\', $$'; SELECT 'second' AS hidden; --$$";
    expect(classifyPostgres('SET standard_conforming_strings = off').classes).toEqual(['sql.utility.set-syntax']);
    expect(classifyPostgres(hidden).statements).toHaveLength(1);
    await client.query('SET standard_conforming_strings = off');
    try {
      const results = (await client.query(hidden)) as unknown as pg.QueryResult[];
      expect(results).toHaveLength(2);
      expect(results[1]?.rows).toEqual([{ hidden: 'second' }]);
    } finally {
      await client.query('RESET standard_conforming_strings');
    }
  });
});
