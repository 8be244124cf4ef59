import { loadSqlParser } from '@sluice/sql';
import { beforeAll, describe, expect, it } from 'vitest';
import { PreparedStatements } from './prepared-statements.js';
import { SqlSessionFacts } from './sql-facts.js';

beforeAll(async () => {
  await loadSqlParser();
});

function session(): { prepared: PreparedStatements; facts: SqlSessionFacts } {
  const prepared = new PreparedStatements();
  return { prepared, facts: new SqlSessionFacts(prepared) };
}

describe('SqlSessionFacts: statements decided as what they really run', () => {
  it('decides EXECUTE, EXPLAIN ANALYZE EXECUTE and CREATE TABLE AS EXECUTE as the prepared statement', () => {
    const { facts } = session();
    const [prepare, execute] = facts.statements('PREPARE p AS SELECT secret FROM vault; EXECUTE p');
    expect(prepare?.facts.tables).toEqual(['vault']);
    expect(execute?.facts.tables).toEqual(['vault']);
    expect(execute?.facts.classes).toEqual(expect.arrayContaining(['sql.utility.execute', 'sql.dml.select']));
    expect(facts.statements('EXPLAIN ANALYZE EXECUTE p')[0]?.facts.tables).toEqual(['vault']);
    expect(facts.statements('CREATE TABLE copy AS EXECUTE p')[0]?.facts.tables).toEqual(expect.arrayContaining(['copy', 'vault']));
  });

  it('sees statements Parsed at the protocol level (one name space on the server)', () => {
    const { prepared, facts } = session();
    const [parsed] = facts.statements('SELECT email FROM customers');
    prepared.addParsed('q', { facts: [parsed!.facts], mask: undefined, epoch: 0 });
    expect(facts.statements('EXECUTE q')[0]?.facts.tables).toEqual(['customers']);
  });

  it('refuses to guess what an EXECUTE of a name it never saw prepared runs', () => {
    const { facts } = session();
    expect(facts.statements('EXECUTE nowhere(1)')[0]?.unknowable).toMatch(/"nowhere" was not prepared through Sluice/);
    expect(facts.statements('EXPLAIN ANALYZE EXECUTE nowhere')[0]?.unknowable).toBeDefined();
  });

  it('decides with every candidate a name may stand for after a duplicate PREPARE', () => {
    const { facts } = session();
    facts.statements('PREPARE d AS SELECT secret FROM vault');
    facts.statements('PREPARE d AS SELECT 1'); // the server refuses this one (42P05)
    expect(facts.statements('EXECUTE d')[0]?.facts.tables).toEqual(['vault']);
  });

  it('reports DEALLOCATE, DISCARD ALL and cursor DECLARE/CLOSE as effects the session applies', () => {
    const { facts } = session();
    expect(facts.statements('DEALLOCATE p')[0]?.effect).toEqual({ kind: 'deallocate', name: 'p' });
    expect(facts.statements('DEALLOCATE ALL')[0]?.effect).toEqual({ kind: 'deallocate', name: null });
    expect(facts.statements('DISCARD ALL')[0]?.effect).toEqual({ kind: 'deallocate', name: null });
    expect(facts.statements('DISCARD PLANS')[0]?.effect).toBeUndefined();
    expect(facts.statements('DECLARE c CURSOR FOR SELECT email FROM customers')[0]?.effect).toEqual({ kind: 'cursor', name: 'c' });
    expect(facts.statements('CLOSE c')[0]?.effect).toEqual({ kind: 'cursor', name: 'c' });
    expect(facts.statements('CLOSE ALL')[0]?.effect).toEqual({ kind: 'cursor', name: null });
    // FETCH is decided as everything the session declared.
    expect(facts.statements('FETCH ALL c')[0]?.facts.tables).toEqual(['customers']);
  });
});
