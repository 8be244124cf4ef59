import { describe, expect, it } from 'vitest';
import type { CommandFacts } from '../link/link-types.js';
import { PreparedStatements, type ParsedStatement } from './prepared-statements.js';

function facts(text: string, tables: string[] = []): CommandFacts {
  return { classes: ['sql.dml.select'], tables, tablesWritten: [], functions: [], hasWhere: null, text, fingerprint: text };
}

function parsed(text: string, tables: string[] = []): ParsedStatement {
  return { facts: [facts(text, tables)], mask: undefined, epoch: 0, sql: text, dependsOnNames: false, effects: [] };
}

const texts = (registry: PreparedStatements, name: string): string[] => (registry.get(name)?.facts ?? []).map((f) => f.text);

describe('PreparedStatements: what a name may stand for on the server', () => {
  it('keeps every candidate of a named statement, since a duplicate Parse or PREPARE may have failed with 42P05', () => {
    const registry = new PreparedStatements();
    registry.addParsed('dup', parsed('SELECT secret FROM vault', ['vault']));
    registry.addParsed('dup', parsed('SELECT 1'));
    registry.addPrepared('dup', facts('SELECT 2'));
    expect(texts(registry, 'dup')).toEqual(['SELECT secret FROM vault', 'SELECT 1', 'SELECT 2']);
    expect(registry.get('dup')?.facts.flatMap((f) => f.tables)).toEqual(['vault']);
  });

  it('replaces the unnamed statement: a Parse of it always replaces it (or leaves none)', () => {
    const registry = new PreparedStatements();
    registry.addParsed('', parsed('SELECT secret FROM vault', ['vault']));
    registry.addParsed('', parsed('SELECT 1'));
    expect(texts(registry, '')).toEqual(['SELECT 1']);
  });

  it('forgets only candidates created before a confirmed DEALLOCATE or Close, not ones pipelined after it', () => {
    const registry = new PreparedStatements();
    registry.addParsed('p', parsed('SELECT 1'));
    const deallocateAt = registry.next();
    registry.addPrepared('p', facts('SELECT secret FROM vault', ['vault']));
    registry.forget('p', deallocateAt);
    expect(texts(registry, 'p')).toEqual(['SELECT secret FROM vault']);
    registry.forget('p', registry.next());
    expect(registry.get('p')).toBeUndefined();
  });

  it('DEALLOCATE ALL forgets every name known before it', () => {
    const registry = new PreparedStatements();
    registry.addParsed('a', parsed('SELECT 1'));
    registry.addPrepared('b', facts('SELECT 2'));
    const at = registry.next();
    registry.addPrepared('c', facts('SELECT 3'));
    registry.forget(null, at);
    expect([registry.get('a'), registry.get('b')]).toEqual([undefined, undefined]);
    expect(texts(registry, 'c')).toEqual(['SELECT 3']);
  });

  it('reports an entry as masked when any candidate is masked or came from SQL PREPARE', () => {
    const registry = new PreparedStatements();
    const masked = { ...parsed('SELECT email FROM customers'), mask: {} as ParsedStatement['mask'] };
    registry.addParsed('m', parsed('SELECT 1'));
    expect(registry.get('m')?.masked).toBe(false);
    registry.addParsed('m', masked);
    expect(registry.get('m')?.masked).toBe(true);
    registry.addPrepared('s', facts('SELECT 1'));
    expect(registry.get('s')?.masked).toBe(true);
  });

  it('bounds what one session can make it remember: per name until DEALLOCATE, and in all', () => {
    const registry = new PreparedStatements();
    for (let i = 0; i < PreparedStatements.MAX_PER_NAME; i++) expect(registry.addParsed('dup', parsed(`SELECT ${i}`))).toBe(true);
    expect(registry.addParsed('dup', parsed('SELECT secret FROM vault'))).toBe(false);
    expect(registry.addPrepared('dup', facts('SELECT 2'))).toBe(false);
    registry.forget('dup', registry.next());
    expect(registry.addParsed('dup', parsed('SELECT 1'))).toBe(true);
    for (let i = 1; i < PreparedStatements.MAX_TOTAL; i++) registry.addPrepared(`p${i}`, facts('SELECT 1'));
    expect(registry.addPrepared('one-more', facts('SELECT 1'))).toBe(false);
    registry.drop('p1');
    expect(registry.addPrepared('one-more', facts('SELECT 1'))).toBe(true);
  });
});
