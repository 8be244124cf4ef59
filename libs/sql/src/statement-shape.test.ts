import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { classifyPostgres, loadSqlParser } from './postgres-classifier.js';
import type { SqlStatementFacts } from './sql-classification.js';
import { statementShape } from './statement-shape.js';

beforeAll(async () => {
  await loadSqlParser();
});

describe('statementShape', () => {
  it('takes whole integer tokens out and keeps everything else as written', () => {
    expect(statementShape('SELECT abalance FROM pgbench_accounts WHERE aid = 41;')).toEqual({
      shape: 'SELECT abalance FROM pgbench_accounts WHERE aid = \u0003',
      text: 'SELECT abalance FROM pgbench_accounts WHERE aid = 41',
    });
    expect(statementShape('  UPDATE t SET a = -7 WHERE id IN (1,2)  ')?.shape).toBe('UPDATE t SET a = -\u0002 WHERE id IN (\u0002,\u0002)');
  });

  it('keeps digits that are part of names, decimals, exponents, radix forms and numbers over 9 digits', () => {
    for (const kept of ['SELECT * FROM t1', 'SELECT c2_3 FROM s_4', 'SELECT 1.5', 'SELECT .5', 'SELECT 5.', 'SELECT 1e5', 'SELECT 0x1F']) {
      const shape = statementShape(kept)?.shape ?? '';
      expect(shape, kept).not.toBe('');
      expect(withoutMarks(shape), kept).toMatch(/[0-9]/);
    }
    expect(statementShape('SELECT 1234567890')?.shape).toBe('SELECT 1234567890');
    expect(statementShape('SELECT 123456789')?.shape).toBe('SELECT \u0005');
    expect(statementShape('SELECT 1.5')?.shape).toBe('SELECT 1.5');
  });

  it('marks an integer by the range of values the grammar tells apart (FLOAT(p), SET STATISTICS)', () => {
    const marks = ['0', '1', '24', '25', '53', '54', '32767', '32768', '999999999'].map((n) => statementShape(`SELECT ${n}`)?.shape);
    expect(marks).toEqual(
      ['\u0001', '\u0002', '\u0002', '\u0003', '\u0003', '\u0004', '\u0004', '\u0005', '\u0005'].map((m) => `SELECT ${m}`),
    );
  });

  it('gives no shape to text whose lexing is not trivial', () => {
    for (const text of [
      "SELECT '1'",
      'SELECT "a1" FROM t',
      'SELECT $1',
      'SELECT $$1$$',
      'SELECT 1 -- 2',
      'SELECT 1 /* 2 */',
      'SELECT E\\x',
      'SELECT 1; SELECT 2',
      'SELECT 1;;',
      'SELECT `1`',
      'SELECT 1 AS é',
      'SELECT 1\fFROM t',
      '',
      '  ;  ',
      `SELECT ${'1+'.repeat(3000)}1`,
    ]) {
      expect(statementShape(text), text).toBeNull();
    }
  });
});

/** The shape without its integer marks (U+0001–U+0005). */
function withoutMarks(shape: string): string {
  let out = '';
  for (let i = 0; i < shape.length; i++) if (shape.charCodeAt(i) > 5) out += shape.charAt(i);
  return out;
}

/** Every fact but the text and the decision-cache key. */
function factsOf(statement: SqlStatementFacts | undefined): Omit<SqlStatementFacts, 'text' | 'fingerprint'> {
  const { text: _text, fingerprint: _fingerprint, ...facts } = statement ?? ({} as SqlStatementFacts);
  return facts;
}

const TEMPLATES = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = #',
  'UPDATE shape_t SET a = # WHERE id = # RETURNING *',
  'DELETE FROM shape_t1 WHERE id IN (#, #)',
  'INSERT INTO shape_t2 (a, b) VALUES (#, -#) ON CONFLICT DO NOTHING',
  'SELECT * FROM generate_series(#, #) LIMIT # OFFSET #',
  'SELECT x::varchar(#) FROM shape_t ORDER BY # DESC',
  'FETCH # FROM shape_cursor',
  'SET statement_timeout = #',
  'SELECT pg_sleep(#)',
  'ALTER SEQUENCE shape_seq INCREMENT BY # RESTART #',
  'CREATE TABLE shape_t# (a int)',
  'SELECT * FROM shape_t# WHERE a > #;',
  'WITH d AS (DELETE FROM shape_t WHERE id = # RETURNING *) SELECT * FROM d',
  'VALUES (#), (#)',
];

describe('classification by shape', () => {
  it('a text classified through its shape has the facts a fresh parse gives it, and its own text', () => {
    const integer = fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constant(2 ** 40));
    fc.assert(
      fc.property(
        fc.constantFrom(...TEMPLATES),
        fc.array(integer, { minLength: 8, maxLength: 8 }),
        fc.array(integer, { minLength: 8, maxLength: 8 }),
        (template, first, second) => {
          const fill = (values: number[]): string => {
            let i = 0;
            return template.replace(/#/g, () => String(values[i++ % values.length]));
          };
          classifyPostgres(fill(first));
          const text = fill(second);
          const viaShape = classifyPostgres(text);
          // A leading comment gives the text no shape: this one is parsed.
          const fresh = classifyPostgres(`/* fresh */ ${text}`);
          expect(viaShape.failure?.reason).toBe(fresh.failure?.reason);
          expect(viaShape.statements).toHaveLength(1);
          expect(factsOf(viaShape.statements[0])).toEqual(factsOf(fresh.statements[0]));
          expect(viaShape.statements[0]?.text).toBe(text.trim().replace(/;$/, ''));
          expect(viaShape.classes).toEqual(fresh.classes);
          expect(viaShape.tablesRead).toEqual(fresh.tablesRead);
          expect(viaShape.tablesWritten).toEqual(fresh.tablesWritten);
          expect(Object.isFrozen(viaShape.statements[0])).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('statements that differ in names never share a classification', () => {
    classifyPostgres('SELECT * FROM shape_a1 WHERE id = 1');
    expect(classifyPostgres('SELECT * FROM shape_a2 WHERE id = 2').tablesRead).toEqual(['shape_a2']);
    classifyPostgres('EXECUTE shape_p1');
    expect(classifyPostgres('EXECUTE shape_p2').statements[0]?.preparedName).toBe('shape_p2');
  });

  it('a second statement, a comment or a quote hides nothing behind a cached shape', () => {
    classifyPostgres('SELECT 1');
    expect(classifyPostgres('SELECT 2; DROP TABLE customers').classes).toContain('sql.ddl.drop');
    expect(classifyPostgres('SELECT 2 --\n; DROP TABLE customers').classes).toContain('sql.ddl.drop');
    expect(classifyPostgres("SELECT 2 /* ' */; DROP TABLE customers").classes).toContain('sql.ddl.drop');
    classifyPostgres('SELECT 3 FROM t');
    expect(classifyPostgres('SELECT 3 FROM t; TRUNCATE t').classes).toContain('sql.ddl.truncate');
  });

  it('a text that did not parse does not stand for its shape, in either direction', () => {
    expect(classifyPostgres('SELECT 5 +').failure?.reason).toBe('syntax-error');
    expect(classifyPostgres('SELECT 6 + 1').failure).toBeNull();
    expect(classifyPostgres('SELECT 7 +').failure?.reason).toBe('syntax-error');
    classifyPostgres('SELECT x::varchar(5) FROM shape_v');
    // Over int4: not an Iconst, a syntax error where the grammar wants one; never the cached shape.
    expect(classifyPostgres('SELECT x::varchar(99999999999) FROM shape_v').failure?.reason).toBe('syntax-error');
  });
});
