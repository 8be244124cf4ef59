import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { classifyPostgres, fingerprintPostgres, loadSqlParser, normalizePostgres } from './postgres-classifier.js';

beforeAll(async () => {
  await loadSqlParser();
});

describe('classification cache', () => {
  it('returns the same frozen object for the same text', () => {
    const first = classifyPostgres('SELECT * FROM cached_t WHERE id = 41');
    expect(classifyPostgres('SELECT * FROM cached_t WHERE id = 41')).toBe(first);
    expect(classifyPostgres('SELECT * FROM cached_t WHERE id = 42')).not.toBe(first);
  });

  it('results are deeply frozen: a caller cannot change what the next caller gets', () => {
    const classification = classifyPostgres('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d; SELECT 1');
    const [statement] = classification.statements;
    expect(Object.isFrozen(classification)).toBe(true);
    expect(Object.isFrozen(classification.statements)).toBe(true);
    expect(Object.isFrozen(classification.classes)).toBe(true);
    expect(Object.isFrozen(statement)).toBe(true);
    for (const list of [
      statement!.classes,
      statement!.tablesRead,
      statement!.tablesWritten,
      statement!.functions,
      statement!.explainedClasses,
    ]) {
      expect(Object.isFrozen(list)).toBe(true);
    }
    expect(() => (statement!.classes as string[]).push('sql.dml.select')).toThrow(TypeError);
    expect(() => {
      (statement as { modifiesData: boolean }).modifiesData = false;
    }).toThrow(TypeError);
    expect(classifyPostgres('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d; SELECT 1').statements[0]!.classes).toContain(
      'sql.dml.delete',
    );
  });

  it('failures are frozen too', () => {
    const classification = classifyPostgres('SELEC 1');
    expect(Object.isFrozen(classification.failure)).toBe(true);
    expect(Object.isFrozen(classification.statements[0])).toBe(true);
  });
});

describe('normalizePostgres and fingerprintPostgres', () => {
  it('normalize strips constants and keeps everything else', () => {
    expect(normalizePostgres("SELECT * FROM t WHERE a = 1 AND b = 'x'")).toBe('SELECT * FROM t WHERE a = $1 AND b = $2');
    expect(normalizePostgres('DELETE FROM "Customers" WHERE id IN (1, 2, 3)')).toBe('DELETE FROM "Customers" WHERE id IN ($1, $2, $3)');
  });

  it('texts that differ only in constants share a fingerprint; a different statement does not', () => {
    const a = fingerprintPostgres('SELECT * FROM t WHERE a = 1');
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fingerprintPostgres('SELECT * FROM t WHERE a = 2')).toBe(a);
    expect(fingerprintPostgres('SELECT * FROM u WHERE a = 1')).not.toBe(a);
    expect(fingerprintPostgres('DELETE FROM t WHERE a = 1')).not.toBe(a);
  });

  it('keeps apart what libpg_query’s own fingerprint merges: statement names and identifiers’ case', () => {
    expect(fingerprintPostgres('EXECUTE a')).not.toBe(fingerprintPostgres('EXECUTE b'));
    expect(fingerprintPostgres('PREPARE a AS SELECT 1')).not.toBe(fingerprintPostgres('PREPARE b AS SELECT 1'));
    expect(fingerprintPostgres('SELECT * FROM "Customers"')).not.toBe(fingerprintPostgres('SELECT * FROM customers'));
    expect(fingerprintPostgres('SELECT 1; DROP TABLE x')).not.toBe(fingerprintPostgres('SELECT 1'));
  });

  it('unparseable text has no normalization and no fingerprint; empty text normalizes to itself', () => {
    expect(normalizePostgres('SELECT (')).toBeNull();
    expect(fingerprintPostgres('SELECT 1\0')).toBeNull();
    expect(normalizePostgres('  -- nothing')).toBe('  -- nothing');
  });

  it('property: texts with the same fingerprint have the same facts (no fact depends on a constant)', () => {
    const constant = fc.oneof(
      fc.integer().map(String),
      fc.string({ unit: fc.constantFrom('a', ';', ' ', '-', '$', '"', 'D') }).map((text) => `'${text.replaceAll("'", "''")}'`),
      fc.constantFrom('true', 'NULL', "E'\\''", '$$ DROP TABLE x; $$', '1.5e10'),
    );
    const template = fc.constantFrom(
      (v: string) => `SELECT * FROM t WHERE a = ${v}`,
      (v: string) => `DELETE FROM t WHERE a = ${v}`,
      (v: string) => `UPDATE t SET a = ${v}`,
      (v: string) => `SET ROLE ${v === 'NULL' ? 'x' : v}`,
      (v: string) => `SET standard_conforming_strings = ${v}`,
      (v: string) => `DO ${v.startsWith("'") || v.startsWith('$$') ? v : "'x'"}`,
      (v: string) => `EXPLAIN (ANALYZE ${v === 'true' ? 'true' : 'false'}) DELETE FROM t WHERE a = ${v}`,
      (v: string) => `INSERT INTO t VALUES (${v}) ON CONFLICT DO NOTHING`,
    );
    fc.assert(
      fc.property(template, constant, constant, (make, a, b) => {
        const [textA, textB] = [make(a), make(b)];
        const [keyA, keyB] = [fingerprintPostgres(textA), fingerprintPostgres(textB)];
        if (keyA === null || keyB === null || keyA !== keyB) return;
        const facts = (text: string): unknown =>
          classifyPostgres(text).statements.map(({ text: _text, fingerprint: _fingerprint, ...rest }) => rest);
        expect(facts(textA)).toEqual(facts(textB));
      }),
      { numRuns: 300 },
    );
  });
});

describe('statement fingerprints (the decision-cache key)', () => {
  const fingerprint = (sql: string, i = 0): string | undefined => classifyPostgres(sql).statements[i]?.fingerprint;

  it('equal for statements that differ only in constants, spacing, comments or unquoted case', () => {
    const a = fingerprint('SELECT abalance FROM pgbench_accounts WHERE aid = 1');
    expect(a).toMatch(/^tree:[0-9a-f]{64}$/);
    expect(fingerprint('SELECT abalance FROM pgbench_accounts WHERE aid = 987654')).toBe(a);
    expect(fingerprint("select  ABALANCE from PGBENCH_ACCOUNTS /* c */ where AID = '5'")).toBe(a);
  });

  it('different for anything a fact or a name depends on', () => {
    const a = fingerprint('SELECT abalance FROM pgbench_accounts WHERE aid = 1');
    for (const other of [
      'SELECT abalance FROM pgbench_branches WHERE aid = 1',
      'SELECT abalance, filler FROM pgbench_accounts WHERE aid = 1',
      'SELECT abalance FROM "PGBENCH_ACCOUNTS" WHERE aid = 1',
      'DELETE FROM pgbench_accounts WHERE aid = 1',
      'SELECT abalance FROM pgbench_accounts WHERE aid = 1 OR true',
      'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
    ]) {
      expect({ other, same: fingerprint(other) === a }).toEqual({ other, same: false });
    }
    expect(fingerprint('EXECUTE a')).not.toBe(fingerprint('EXECUTE b'));
    expect(fingerprint("DO 'BEGIN NULL; END'")).not.toBe(fingerprint("DO 'BEGIN PERFORM pg_sleep(1); END'"));
  });

  it('one per statement of a multi-statement text; text that does not parse gets an exact one', () => {
    const both = classifyPostgres('SELECT 1; DROP TABLE x');
    expect(both.statements[0]?.fingerprint).toBe(fingerprint('SELECT 2'));
    expect(both.statements[1]?.fingerprint).toBe(fingerprint('DROP TABLE x'));
    expect(both.statements[1]?.fingerprint).not.toBe(fingerprint('DROP TABLE y'));
    expect(fingerprint('SELECT (')).toMatch(/^exact:[0-9a-f]{64}$/);
    expect(fingerprint('SELECT (')).not.toBe(fingerprint('SELECT ()'));
  });
});
