import type { SqlStatementFacts } from '@sluice/sql';
import { describe, expect, it } from 'vitest';
import { policyCommandOfStatement } from './policy-input.mapper.js';

function statement(overrides: Partial<SqlStatementFacts>): SqlStatementFacts {
  return {
    text: 'SELECT 1',
    classes: ['sql.dml.select'],
    objectType: null,
    tablesRead: [],
    tablesWritten: [],
    functions: [],
    hasWhere: null,
    modifiesData: false,
    explainedClasses: [],
    setting: null,
    preparedName: null,
    cursorName: null,
    fingerprint: 'exact:test',
    ...overrides,
  };
}

describe('policyCommandOfStatement', () => {
  it('gives policy every table read or written, once, and the written ones apart', () => {
    const command = policyCommandOfStatement(
      statement({
        text: 'DELETE FROM public.orders o USING customers c WHERE o.c = c.id',
        classes: ['sql.dml.delete'],
        tablesRead: ['public.orders', 'customers'],
        tablesWritten: ['public.orders'],
        hasWhere: true,
      }),
    );
    expect(command).toEqual({
      classes: ['sql.dml.delete'],
      tables: ['public.orders', 'customers'],
      tablesWritten: ['public.orders'],
      functions: [],
      hasWhere: true,
      text: 'DELETE FROM public.orders o USING customers c WHERE o.c = c.id',
    });
  });

  it('leaves hasWhere out when the statement has no UPDATE or DELETE, so conditions must test has()', () => {
    expect(policyCommandOfStatement(statement({ hasWhere: null }))).not.toHaveProperty('hasWhere');
    expect(policyCommandOfStatement(statement({ classes: ['sql.dml.update'], hasWhere: false })).hasWhere).toBe(false);
  });
});
