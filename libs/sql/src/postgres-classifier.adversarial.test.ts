// An attacker writes the SQL. Nothing here may make a statement look more harmless than it is.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { MAX_SQL_TEXT_BYTES, classifyPostgres, loadSqlParser } from './postgres-classifier.js';
import type { SqlClassification } from './sql-classification.js';

beforeAll(async () => {
  await loadSqlParser();
});

/** The facts that must not depend on how the text is spelled (everything but the text itself). */
function factsOf(classification: SqlClassification): unknown {
  return classification.statements.map(({ text: _text, ...facts }) => facts);
}

describe('comments and whitespace', () => {
  it('never change the class, in any position', () => {
    const plain = classifyPostgres('DELETE FROM customers');
    const spellings = [
      '/* harmless */ DELETE FROM customers',
      '-- SELECT only\nDELETE FROM customers',
      'DELETE/**/FROM/**/customers',
      'DELETE /* a /* nested */ still comment */ FROM customers',
      'DELETE\tFROM\r\ncustomers\f',
      'DELETE FROM customers -- ; SELECT 1',
      'DELETE FROM customers /* ; SELECT 1 */',
      '\n\n   DELETE FROM customers   \n',
    ];
    for (const sql of spellings) expect(factsOf(classifyPostgres(sql)), sql).toEqual(factsOf(plain));
  });

  it('a nested comment that only looks closed hides nothing: the DROP is code', () => {
    // PostgreSQL nests block comments: after "*/" the outer comment is still open until the second "*/".
    const classification = classifyPostgres('SELECT 1 /* outer /* inner */ DROP TABLE x; */; DROP TABLE customers');
    expect(classification.classes).toEqual(['sql.dml.select', 'sql.ddl.drop']);
    expect(classification.tablesWritten).toEqual(['customers']);
  });

  it('a -- comment ends at a carriage return too', () => {
    expect(classifyPostgres('SELECT 1 -- comment\r; DROP TABLE customers').classes).toEqual(['sql.dml.select', 'sql.ddl.drop']);
  });

  it('comment-only and whitespace-only text is empty, not an error', () => {
    for (const sql of ['', '   ', '-- nothing', '/* nothing */', ';', ' ; ;; ']) {
      const classification = classifyPostgres(sql);
      expect(classification.classes, JSON.stringify(sql)).toEqual(['sql.empty']);
      expect(classification.failure).toBeNull();
      expect(classification.modifiesData).toBe(false);
    }
  });

  it('an unterminated comment is unparseable, not empty', () => {
    const classification = classifyPostgres('/* DROP TABLE customers');
    expect(classification.classes).toEqual(['sql.unparseable']);
    expect(classification.modifiesData).toBe(true);
  });
});

describe('identifiers', () => {
  it('quoted names keep their case; unquoted names fold to lower case', () => {
    expect(classifyPostgres('SELECT * FROM "Customers"').tablesRead).toEqual(['Customers']);
    expect(classifyPostgres('SELECT * FROM Customers').tablesRead).toEqual(['customers']);
    expect(classifyPostgres('SELECT * FROM CUSTOMERS').tablesRead).toEqual(['customers']);
    expect(classifyPostgres('SELECT * FROM "customers"').tablesRead).toEqual(['customers']);
    expect(classifyPostgres('SELECT * FROM Public."Customers"').tablesRead).toEqual(['public.Customers']);
  });

  it('U& identifiers resolve to the name the server sees', () => {
    expect(classifyPostgres('DELETE FROM U&"cust\\006Fmers"').tablesWritten).toEqual(['customers']);
    expect(classifyPostgres('DELETE FROM U&"cust\\+00006Fmers"').tablesWritten).toEqual(['customers']);
    expect(classifyPostgres(`DELETE FROM U&"cust!006Fmers" UESCAPE '!'`).tablesWritten).toEqual(['customers']);
  });

  it('a quoted name containing a dot or a quote is re-quoted, so it cannot pose as schema.table', () => {
    expect(classifyPostgres('SELECT * FROM "public.secrets"').tablesRead).toEqual(['"public.secrets"']);
    expect(classifyPostgres('SELECT * FROM public.secrets').tablesRead).toEqual(['public.secrets']);
    expect(classifyPostgres('SELECT * FROM "a""b"').tablesRead).toEqual(['"a""b"']);
    expect(classifyPostgres('SELECT "pg_catalog.pg_read_file"()').functions).toEqual(['"pg_catalog.pg_read_file"']);
  });

  it('catalog-qualified names keep all three parts', () => {
    expect(classifyPostgres('SELECT * FROM db.s.t').tablesRead).toEqual(['db.s.t']);
  });
});

describe('strings and statement boundaries', () => {
  it('a ; inside a string, dollar quote, quoted identifier or comment does not split the statement', () => {
    const texts = [
      "SELECT '; DROP TABLE customers; '",
      'SELECT $$; DROP TABLE customers; $$',
      'SELECT $tag$ $$; DROP TABLE customers; $$ $tag$',
      'SELECT 1 AS "; DROP TABLE customers; "',
      "SELECT E'\\'; DROP TABLE customers; --'",
      'SELECT 1 /* ; DROP TABLE customers; */',
    ];
    for (const sql of texts) {
      const classification = classifyPostgres(sql);
      expect(classification.statements, sql).toHaveLength(1);
      expect(classification.classes, sql).toEqual(['sql.dml.select']);
    }
  });

  it('a backslash does not escape a quote in a standard string: the DROP after it is code', () => {
    // standard_conforming_strings = on (the server default, and what this parser assumes).
    const classification = classifyPostgres("SELECT '\\'; DROP TABLE customers; --'");
    expect(classification.classes).toEqual(['sql.dml.select', 'sql.ddl.drop']);
  });

  it('a dollar-quote tag must match exactly: a different tag does not close it', () => {
    const classification = classifyPostgres('SELECT $a$ $b$; DROP TABLE customers; $a$; DROP TABLE orders');
    expect(classification.statements).toHaveLength(2);
    expect(classification.tablesWritten).toEqual(['orders']);
  });

  it('statement texts are sliced by the parser, also after multi-byte characters', () => {
    const classification = classifyPostgres('SELECT \'é€😀\'; DELETE FROM "tä" WHERE true ; SELECT 3');
    expect(classification.statements.map((statement) => statement.text)).toEqual([
      "SELECT 'é€😀'",
      'DELETE FROM "tä" WHERE true',
      'SELECT 3',
    ]);
    expect(classification.tablesWritten).toEqual(['tä']);
  });
});

describe('hostile text', () => {
  it('a NUL character is unparseable: the C parser would see only the text before it', () => {
    const classification = classifyPostgres('SELECT 1\0; DROP TABLE customers');
    expect(classification.classes).toEqual(['sql.unparseable']);
    expect(classification.failure).toMatchObject({ reason: 'nul-byte', position: 9 });
  });

  it('invalid UTF-8 decoded to U+FFFD stays inside the identifier or string it was in', () => {
    expect(classifyPostgres('SELECT * FROM t\uFFFDx').tablesRead).toEqual(['t\uFFFDx']);
    expect(classifyPostgres('SELECT * FROM "\uFFFD"').tablesRead).toEqual(['\uFFFD']);
    const classification = classifyPostgres("SELECT '\uFFFD\uFFFD'; DROP TABLE customers");
    expect(classification.statements.map((statement) => statement.text)).toEqual(["SELECT '\uFFFD\uFFFD'", 'DROP TABLE customers']);
  });

  it('an unpaired surrogate (text that no byte sequence decodes to) is unparseable', () => {
    for (const sql of ['SELECT \uD800 1; DROP TABLE customers', 'SELECT 1 \uDC00']) {
      const classification = classifyPostgres(sql);
      expect(classification.classes).toEqual(['sql.unparseable']);
      expect(classification.failure?.reason).toBe('invalid-text');
    }
    // A correctly paired surrogate (an emoji) is fine.
    expect(classifyPostgres("SELECT '😀'").classes).toEqual(['sql.dml.select']);
  });

  it('text over the size cap is unparseable (too-large), counted in UTF-8 bytes', () => {
    const big = `SELECT '${'a'.repeat(MAX_SQL_TEXT_BYTES)}'`;
    expect(classifyPostgres(big).failure?.reason).toBe('too-large');
    // 600k × "é" is 600k UTF-16 units but 1.2 MB of UTF-8.
    const wide = `SELECT '${'é'.repeat(600_000)}'`;
    expect(wide.length).toBeLessThan(MAX_SQL_TEXT_BYTES);
    expect(classifyPostgres(wide).failure?.reason).toBe('too-large');
  });

  it('long text under the cap is classified in full, up to its last statement', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `(${i}, 'v${i}')`).join(', ');
    const sql = `INSERT INTO t VALUES ${values}; DROP TABLE customers`;
    expect(sql.length).toBeGreaterThan(150_000);
    const classification = classifyPostgres(sql);
    expect(classification.classes).toEqual(['sql.dml.insert', 'sql.ddl.drop']);
    expect(classification.tablesWritten).toEqual(['t', 'customers']);
  });

  it('nesting beyond the grammar stack is unparseable (too-complex), not a crash', () => {
    const sql = `SELECT ${'('.repeat(20_000)}1${')'.repeat(20_000)}`;
    const classification = classifyPostgres(sql);
    expect(classification.classes).toEqual(['sql.unparseable']);
    expect(classification.failure?.reason).toBe('too-complex');
    expect(classifyPostgres('SELECT 1').classes).toEqual(['sql.dml.select']);
  });

  it('deep but parseable trees are walked to the bottom (no recursion in the walker)', () => {
    const depth = 400;
    const sql = `SELECT * FROM ${'(SELECT * FROM '.repeat(depth)}(WITH d AS (DELETE FROM deep RETURNING *) SELECT * FROM d) x${') x'.repeat(depth)}`;
    const classification = classifyPostgres(sql);
    expect(classification.classes).toEqual(['sql.dml.select', 'sql.dml.delete', 'sql.cte.modifying']);
    expect(classification.tablesWritten).toEqual(['deep']);
    const operators = `SELECT ${Array.from({ length: 3000 }, (_, i) => `f${i}(1)`).join(' + ')}`;
    expect(classifyPostgres(operators).functions).toHaveLength(3000);
  });

  it('syntax errors carry PostgreSQL’s 1-based position', () => {
    const classification = classifyPostgres('SELECT * FRM t');
    expect(classification.failure).toMatchObject({ reason: 'syntax-error', position: 10 });
    expect(classification.modifiesData).toBe(true);
  });

  it('one bad statement makes the whole text unparseable, even after good ones', () => {
    const classification = classifyPostgres('SELECT 1; DELETE FROM t WHERE; SELECT 2');
    expect(classification.statements).toHaveLength(1);
    expect(classification.classes).toEqual(['sql.unparseable']);
  });
});

describe('WITH queries', () => {
  it('a data-modifying CTE nested deep in a subquery is still found', () => {
    const facts = classifyPostgres('SELECT * FROM (SELECT * FROM (WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x) a) b');
    expect(facts.classes).toEqual(['sql.dml.select', 'sql.dml.update', 'sql.cte.modifying']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.hasWhere).toBe(false);
  });

  it('a data-modifying CTE in a set-operation arm or a scalar subquery is found', () => {
    expect(classifyPostgres('SELECT a FROM t UNION ALL (WITH u AS (DELETE FROM v RETURNING a) SELECT a FROM u)').classes).toEqual([
      'sql.dml.select',
      'sql.dml.delete',
      'sql.cte.modifying',
    ]);
    expect(classifyPostgres('SELECT (WITH i AS (INSERT INTO log VALUES (1) RETURNING 1) SELECT * FROM i)').classes).toEqual([
      'sql.dml.select',
      'sql.dml.insert',
      'sql.cte.modifying',
    ]);
  });

  it('a CTE name hides a table only where the CTE is visible', () => {
    // The inner WITH's `secrets` is not visible to the outer FROM: the outer one is the real table.
    expect(classifyPostgres('SELECT * FROM secrets, (WITH secrets AS (SELECT 1) SELECT * FROM secrets) s').tablesRead).toEqual(['secrets']);
    expect(classifyPostgres('SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) s').tablesRead).toEqual([]);
    // A schema-qualified name is never a CTE.
    expect(classifyPostgres('WITH secrets AS (SELECT 1) SELECT * FROM public.secrets').tablesRead).toEqual(['public.secrets']);
    // Case folding applies to CTE names too.
    expect(classifyPostgres('WITH "Secrets" AS (SELECT 1) SELECT * FROM secrets').tablesRead).toEqual(['secrets']);
  });

  it('a CTE sees only earlier siblings, unless RECURSIVE; it never sees itself without RECURSIVE', () => {
    expect(classifyPostgres('WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a').tablesRead).toEqual(['b']);
    expect(classifyPostgres('WITH b AS (SELECT 1), a AS (SELECT * FROM b) SELECT * FROM a').tablesRead).toEqual([]);
    expect(classifyPostgres('WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a').tablesRead).toEqual([]);
    expect(classifyPostgres('WITH t AS (SELECT * FROM t) SELECT * FROM t').tablesRead).toEqual(['t']);
  });

  it('the target of INSERT/UPDATE/DELETE/MERGE is a table even when a CTE has its name', () => {
    // PostgreSQL's setTargetTable: "CTEs don't hide tables (for this purpose)".
    expect(classifyPostgres('WITH customers AS (SELECT 1) DELETE FROM customers').tablesWritten).toEqual(['customers']);
    expect(classifyPostgres('WITH t AS (SELECT 1) INSERT INTO t VALUES (1)').tablesWritten).toEqual(['t']);
    expect(classifyPostgres('WITH t AS (SELECT 1 AS id) MERGE INTO t USING t AS s ON true WHEN MATCHED THEN DELETE').tablesWritten).toEqual(
      ['t'],
    );
  });

  it('a DML statement’s own WITH applies to its FROM/USING but not its target', () => {
    const facts = classifyPostgres('WITH ids AS (SELECT id FROM src) DELETE FROM t USING ids WHERE t.id = ids.id');
    expect(facts.tablesRead).toEqual(['t', 'src']);
    expect(facts.tablesWritten).toEqual(['t']);
  });
});

describe('property: spelling does not change the facts', () => {
  const identifier = fc.constantFrom('customers', 'orders', 'public.customers', '"Customers"', 's."T"', 'U&"d\\0061ta"');
  const value = fc.constantFrom('1', "'x'", "'it''s; DROP'", '$$;$$', '$q$ -- $q$', "E'\\''", 'NULL', '-2.5e3');
  const statement: fc.Arbitrary<readonly string[]> = fc.oneof(
    fc.tuple(identifier, value).map(([t, v]) => ['SELECT', '*', 'FROM', t, 'WHERE', 'a', '=', v]),
    fc.tuple(identifier, value).map(([t, v]) => ['SELECT', 'count', '(', '*', ')', ',', 'lower', '(', v, ')', 'FROM', t]),
    fc.tuple(identifier, value).map(([t, v]) => ['INSERT', 'INTO', t, 'VALUES', '(', v, ')']),
    fc
      .tuple(identifier, value, fc.boolean())
      .map(([t, v, where]) => ['UPDATE', t, 'SET', 'a', '=', v, ...(where ? ['WHERE', 'id', '=', '1'] : [])]),
    fc.tuple(identifier, fc.boolean()).map(([t, where]) => ['DELETE', 'FROM', t, ...(where ? ['WHERE', 'true'] : [])]),
    fc
      .tuple(identifier, identifier)
      .map(([a, b]) => ['WITH', 'd', 'AS', '(', 'DELETE', 'FROM', a, 'RETURNING', '*', ')', 'SELECT', '*', 'FROM', 'd', ',', b]),
    fc.tuple(identifier, identifier).map(([a, b]) => ['DROP', 'TABLE', a, ',', b]),
    identifier.map((t) => ['TRUNCATE', t]),
    identifier.map((t) => ['COPY', t, 'TO', 'PROGRAM', "'gzip'"]),
    identifier.map((t) => ['EXPLAIN', 'ANALYZE', 'DELETE', 'FROM', t]),
    fc.constant(['SET', 'ROLE', 'admin']),
    // The body is one token: a separator inside it would be part of the string, not a separator.
    fc.constant(['DO', '$$ BEGIN END $$']),
  );
  // Comment bodies full of SQL-significant characters, but never closing or opening a block comment.
  const commentText = fc.string({ unit: fc.constantFrom('a', ' ', ';', "'", '"', '$', '-', 'D', '(', ')', '\t') });
  const separator = fc.oneof(
    fc.constantFrom(' ', '\t', '\n', '\r\n', '\f', '  \n  '),
    commentText.map((text) => `/*${text}*/`),
    commentText.map((text) => `/* /*${text}*/ ${text} */`),
    commentText.map((text) => `--${text}\n`),
  );

  function spell(tokens: readonly string[], separators: readonly string[]): string {
    return tokens.map((token, i) => (i === 0 ? token : `${separators[(i - 1) % Math.max(separators.length, 1)] ?? ' '}${token}`)).join('');
  }

  it('adding comments and whitespace between tokens keeps classes, tables, functions and flags', () => {
    fc.assert(
      fc.property(statement, fc.array(separator, { minLength: 1, maxLength: 20 }), separator, (tokens, separators, edge) => {
        const plain = classifyPostgres(tokens.join(' '));
        expect(plain.failure).toBeNull();
        const spelled = classifyPostgres(`${edge}${spell(tokens, separators)}${edge}`);
        expect(factsOf(spelled)).toEqual(factsOf(plain));
      }),
      { numRuns: 300 },
    );
  });

  it('statements joined with ; and comments keep their own facts, in order', () => {
    fc.assert(
      fc.property(
        fc.array(statement, { minLength: 1, maxLength: 4 }),
        fc.array(separator, { minLength: 1, maxLength: 8 }),
        (statements, separators) => {
          const one = statements.map((tokens) => factsOf(classifyPostgres(tokens.join(' '))));
          const joined = classifyPostgres(
            statements.map((tokens) => spell(tokens, separators)).join(`${separators[0] ?? ' '};${separators.at(-1) ?? ' '}`),
          );
          expect(factsOf(joined)).toEqual(one.flat());
        },
      ),
      { numRuns: 200 },
    );
  });
});
