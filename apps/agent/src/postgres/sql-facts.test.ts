import { loadSqlParser } from '@sluice/sql';
import { beforeAll, describe, expect, it } from 'vitest';
import { PreparedStatements } from './prepared-statements.js';
import { MAX_CURSORS, SqlSessionFacts } from './sql-facts.js';

beforeAll(async () => {
  await loadSqlParser();
});

/** The facts of one statement, classified in a throwaway session. */
function facts(prepared: PreparedStatements, sql: string) {
  return new SqlSessionFacts(prepared).statements(sql)[0]!.facts;
}

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
    prepared.addParsed('q', {
      facts: [parsed!.facts],
      mask: undefined,
      epoch: 0,
      sql: 'SELECT email FROM customers',
      dependsOnNames: false,
      effects: [],
    });
    expect(facts.statements('EXECUTE q')[0]?.facts.tables).toEqual(['customers']);
  });

  it('refuses to guess what an EXECUTE of a name it never saw prepared runs', () => {
    const { facts } = session();
    expect(facts.statements('EXECUTE nowhere(1)')[0]?.refusal).toEqual({
      code: 'unknown-name',
      message: 'prepared statement "nowhere" was not prepared through Sluice',
    });
    expect(facts.statements('EXPLAIN ANALYZE EXECUTE nowhere')[0]?.refusal?.code).toBe('unknown-name');
  });

  it('decides with every candidate a name may stand for after a duplicate PREPARE', () => {
    const { facts } = session();
    facts.statements('PREPARE d AS SELECT secret FROM vault');
    facts.statements('PREPARE d AS SELECT 1'); // the server refuses this one (42P05)
    expect(facts.statements('EXECUTE d')[0]?.facts.tables).toEqual(['vault']);
  });

  it('decides FETCH as the cursor (and protocol portal) of that name; refuses an unknown one; forgets closed and ended ones', () => {
    const prepared = new PreparedStatements();
    const portalFacts = (name: string) => (name === 'pv' ? [{ ...facts(prepared, 'SELECT secret FROM vault') }] : []);
    const sql = new SqlSessionFacts(prepared, portalFacts);
    sql.statements('DECLARE a CURSOR FOR SELECT email FROM customers');
    sql.statements('DECLARE h CURSOR WITH HOLD FOR SELECT secret FROM vault');
    expect(sql.statements('FETCH 1 FROM a')[0]?.facts.tables).toEqual(['customers']);
    expect(sql.statements('FETCH ALL FROM pv')[0]?.facts.tables).toEqual(['vault']);
    expect(sql.statements('MOVE 1 IN a')[0]?.dependsOnNames).toBe(true);
    expect(sql.statements('FETCH 1 FROM opened_by_a_function')[0]?.refusal?.code).toBe('unknown-cursor');
    sql.endTransaction(prepared.next()); // a ends with its transaction; h is WITH HOLD
    expect(sql.statements('FETCH 1 FROM a')[0]?.refusal?.code).toBe('unknown-cursor');
    expect(sql.statements('FETCH 1 FROM h')[0]?.facts.tables).toEqual(['vault']);
    sql.closeCursor('h', prepared.next());
    expect(sql.statements('FETCH 1 FROM h')[0]?.refusal?.code).toBe('unknown-cursor');
  });

  it('refuses more open cursors than the limit, and more prepared statements than the registry holds', () => {
    const { facts } = session();
    for (let i = 0; i < MAX_CURSORS; i++) facts.statements(`DECLARE c${i} CURSOR WITH HOLD FOR SELECT 1`);
    expect(facts.statements('DECLARE one_more CURSOR FOR SELECT 1')[0]?.refusal?.code).toBe('too-many');
    for (let i = 0; i < PreparedStatements.MAX_PER_NAME; i++) facts.statements('PREPARE p AS SELECT 1');
    expect(facts.statements('PREPARE p AS SELECT 1')[0]?.refusal?.code).toBe('too-many');
  });

  it('orders a DEALLOCATE before a PREPARE of the same name later in the same text', () => {
    const { prepared, facts } = session();
    facts.statements('PREPARE p AS SELECT 1');
    const [deallocate] = facts.statements('DEALLOCATE p; PREPARE p AS SELECT secret FROM vault');
    if (deallocate?.effect?.kind !== 'deallocate') throw new Error('no deallocate effect');
    prepared.forget(deallocate.effect.name, deallocate.effect.seq); // the server confirmed the DEALLOCATE
    expect(facts.statements('EXECUTE p')[0]?.facts.tables).toEqual(['vault']);
  });

  it('reports DEALLOCATE, DISCARD ALL and cursor DECLARE/CLOSE as effects the session applies', () => {
    const { facts } = session();
    expect(facts.statements('DEALLOCATE p')[0]?.effect).toMatchObject({ kind: 'deallocate', name: 'p' });
    expect(facts.statements('DEALLOCATE ALL')[0]?.effect).toMatchObject({ kind: 'deallocate', name: null });
    expect(facts.statements('DISCARD ALL')[0]?.effect).toMatchObject({ kind: 'deallocate', name: null });
    expect(facts.statements('DISCARD PLANS')[0]?.effect).toBeUndefined();
    expect(facts.statements('DECLARE c CURSOR FOR SELECT email FROM customers')[0]?.effect).toEqual({ kind: 'declare', name: 'c' });
    expect(facts.statements('CLOSE c')[0]?.effect).toMatchObject({ kind: 'close', name: 'c' });
    expect(facts.statements('CLOSE ALL')[0]?.effect).toMatchObject({ kind: 'close', name: null });
    // FETCH is decided as everything the session declared.
    expect(facts.statements('FETCH ALL c')[0]?.facts.tables).toEqual(['customers']);
  });
});
