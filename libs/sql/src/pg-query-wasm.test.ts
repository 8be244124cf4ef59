// The parser's lifecycle: load once, and survive a stack overflow inside the WASM by replacing the
// instance (this file runs in its own module context, so it starts with the parser unloaded).

import { describe, expect, it } from 'vitest';

import { pgQueryInstanceCount } from './pg-query-wasm.js';
import { classifyPostgres, loadSqlParser, normalizePostgres } from './postgres-classifier.js';

/** About 100k chained operators: parses fine as grammar, but the tree is too deep for the WASM stack. */
const STACK_BUSTER = `SELECT ${Array.from({ length: 100_000 }, () => '1').join('+')}`;

describe('parser lifecycle', () => {
  it('refuses to classify before loadSqlParser(), with a message saying what to do', () => {
    expect(() => classifyPostgres('SELECT 1')).toThrow(/loadSqlParser/);
    expect(() => normalizePostgres('SELECT 1')).toThrow(/loadSqlParser/);
  });

  it('loads once: concurrent and repeated loads share one instance', async () => {
    await Promise.all([loadSqlParser(), loadSqlParser(), loadSqlParser()]);
    await loadSqlParser();
    expect(pgQueryInstanceCount()).toBe(1);
    expect(classifyPostgres('SELECT 1').classes).toEqual(['sql.dml.select']);
  });

  it('a stack overflow inside the parser is unparseable (too-complex), and the instance is replaced', async () => {
    const before = pgQueryInstanceCount();
    const classification = classifyPostgres(STACK_BUSTER);
    expect(classification.classes).toEqual(['sql.unparseable']);
    expect(classification.failure?.reason).toBe('too-complex');

    // Until the replacement is ready, classification fails closed and is not cached.
    const meanwhile = classifyPostgres('DELETE FROM customers WHERE id = 1');
    expect(meanwhile.classes).toEqual(['sql.unparseable']);
    expect(meanwhile.failure?.reason).toBe('parser-unavailable');
    expect(normalizePostgres('SELECT 2')).toBeNull();

    await loadSqlParser();
    expect(pgQueryInstanceCount()).toBe(before + 1);
    const after = classifyPostgres('DELETE FROM customers WHERE id = 1');
    expect(after.classes).toEqual(['sql.dml.delete']);
    expect(after.hasWhere).toBe(true);
    expect(normalizePostgres('SELECT 2')).toBe('SELECT $1');
  });

  it('the same overflowing text again is answered from the cache and costs no further instance', () => {
    const before = pgQueryInstanceCount();
    expect(classifyPostgres(STACK_BUSTER).failure?.reason).toBe('too-complex');
    expect(pgQueryInstanceCount()).toBe(before);
    expect(classifyPostgres('SELECT 3').classes).toEqual(['sql.dml.select']);
  });
});
