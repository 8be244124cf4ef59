import { describe, expect, it } from 'vitest';
import { parseViewLineage } from './view-lineage.js';

/** A TargetEntry as PostgreSQL 15 prints it (outfuncs.c), with a Var or any other expression. */
function entry(resno: number, resname: string, origin: [number, number], extra = ''): string {
  const expr = origin[0] === 0 ? '{FUNCEXPR :funcid 871 :args ({VAR :varno 3 :varattno 4}) :location 74}' : '{VAR :varno 3 :varattno 1}';
  return `{TARGETENTRY :expr ${expr} :resno ${resno} :resname ${resname} :ressortgroupref 0 :resorigtbl ${origin[0]} :resorigcol ${origin[1]} :resjunk ${extra || 'false'}}`;
}

/**
 * A view's `_RETURN` query: the range table holds a subquery whose own target list must be ignored,
 * and a Const whose datum bytes follow its label.
 */
function tree(targets: string): string {
  return (
    '({QUERY :commandType 1 :querySource 0 :canSetTag true :utilityStmt <> :cteList <> ' +
    ':rtable ({RANGETBLENTRY :alias {ALIAS :aliasname old :colnames <>} :eref {ALIAS :aliasname old :colnames ("id" "we\\ ird\\(\\}")} :rtekind 0 :relid 17010} ' +
    '{RANGETBLENTRY :alias {ALIAS :aliasname *SELECT*\\ 1 :colnames <>} :rtekind 1 :subquery {QUERY :commandType 1 :targetList (' +
    entry(1, 'email', [99, 9]) +
    ') :setOperations <>}}) ' +
    ':jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 3}) :quals {CONST :consttype 23 :constlen 4 :constbyval true :constisnull false :location 40 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}} ' +
    `:targetList (${targets}) :override 0 :onConflict <> :returningList <> :setOperations <> :stmt_location 0 :stmt_len 104})`
  );
}

/** Cut inside the top-level target list. */
const truncated = (text: string): string => text.slice(0, text.lastIndexOf(':resjunk'));

describe('parseViewLineage', () => {
  it('maps each output column to the table column it reads, or to computed', () => {
    const lineage = parseViewLineage(tree(entry(1, 'id', [16999, 1]) + ' ' + entry(2, 'full_name', [16999, 3]) + entry(3, 'x', [0, 0])));
    expect(lineage).toEqual(
      new Map([
        [1, { kind: 'column', relation: 16999, attnum: 1 }],
        [2, { kind: 'column', relation: 16999, attnum: 3 }],
        [3, { kind: 'computed' }],
      ]),
    );
  });

  it('reads only the top-level target list, not a subquery’s', () => {
    expect(parseViewLineage(tree(entry(1, 'e', [0, 0])))?.get(1)).toEqual({ kind: 'computed' });
  });

  it('is not fooled by column names that look like labels or brackets', () => {
    const lineage = parseViewLineage(
      tree(
        entry(1, ':resorigtbl', [16999, 2]) +
          entry(2, 'we\\ ird\\(\\}', [16999, 3]) +
          entry(3, '\\{', [16999, 4]) +
          entry(4, ':resno', [0, 0]),
      ),
    );
    expect(lineage).toEqual(
      new Map([
        [1, { kind: 'column', relation: 16999, attnum: 2 }],
        [2, { kind: 'column', relation: 16999, attnum: 3 }],
        [3, { kind: 'column', relation: 16999, attnum: 4 }],
        [4, { kind: 'computed' }],
      ]),
    );
  });

  it('skips junk entries (ORDER BY a column not selected) and reads OIDs above 2^31', () => {
    const lineage = parseViewLineage(tree(entry(1, 'id', [4_000_000_000, 1]) + entry(2, '<>', [16999, 3], 'true')));
    expect(lineage).toEqual(new Map([[1, { kind: 'column', relation: 4_000_000_000, attnum: 1 }]]));
  });

  it.each([
    ['empty', ''],
    ['not a query', '({RANGETBLENTRY :relid 1})'],
    ['no target list', '({QUERY :commandType 1 :stmt_len 3})'],
    ['truncated', truncated(tree(entry(1, 'id', [16999, 1])))],
    ['a field missing', tree('{TARGETENTRY :expr <> :resno 1 :resname id :resorigcol 1 :resjunk false}')],
    ['a field not a number', tree('{TARGETENTRY :expr <> :resno 1 :resname id :resorigtbl -1 :resorigcol 1 :resjunk false}')],
    ['a duplicate resno', tree(entry(1, 'a', [1, 1]) + entry(1, 'b', [1, 2]))],
    ['another node in the list', tree('{VAR :varno 1}')],
  ])('does not guess when the tree is not understood: %s', (_name, text) => {
    expect(parseViewLineage(text)).toBeUndefined();
  });

  it('reads a view with no output columns', () => {
    expect(parseViewLineage('({QUERY :commandType 1 :targetList <> :stmt_len 3})')).toEqual(new Map());
  });
});
