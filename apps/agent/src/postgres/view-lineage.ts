/**
 * Where each column of a view comes from, read from the view's stored query tree (`pg_rewrite.ev_action`,
 * a `pg_node_tree` printed by PostgreSQL's outfuncs.c). The parser resolves every output column to
 * `resorigtbl`/`resorigcol` (src/include/nodes/primnodes.h, TargetEntry): the table column a plain
 * column reference reads, through subqueries, CTEs and joins, exactly as RowDescription reports it
 * for a query. An expression (`upper(email)`, `a || b`) and a UNION column have no such origin.
 *
 * Only the top-level query's target list is read; anything unexpected makes the whole tree
 * unreadable (`undefined`), and the caller then treats every column of the view as computed.
 */

/** A view column read straight from a table (or another view) column, or computed. */
export type ViewColumnSource =
  { readonly kind: 'column'; readonly relation: number; readonly attnum: number } | { readonly kind: 'computed' };

/** Output columns by attribute number (TargetEntry `resno`), or `undefined` when the tree is not understood. */
export function parseViewLineage(tree: string): ReadonlyMap<number, ViewColumnSource> | undefined {
  const tokens = nodeTreeTokens(tree);
  // The tree is a list of one Query: `({QUERY :commandType 1 … :targetList (…) …})`.
  if (tokens.next().value !== '(' || tokens.next().value !== '{' || tokens.next().value !== 'QUERY') return undefined;
  const targets = new Map<number, ViewColumnSource>();
  let depth = 2;
  let key: string | undefined;
  // Depth of the target list's parentheses once inside it, and the entry being read.
  let listDepth: number | undefined;
  let entry: Map<string, string> | undefined;
  let expectEntryType = false;
  for (const token of tokens) {
    if (token === '{' || token === '(') {
      depth += 1;
      if (key === ':targetList' && depth === 3 && token === '(') listDepth = 3;
      else if (listDepth !== undefined && depth === listDepth + 1 && token === '{') {
        entry = new Map();
        expectEntryType = true;
      }
      key = undefined;
      continue;
    }
    if (token === '}' || token === ')') {
      if (entry !== undefined && depth === (listDepth ?? 0) + 1) {
        const source = targetSource(entry);
        if (source === undefined) return undefined;
        if (source !== 'junk') {
          if (targets.has(source.resno)) return undefined;
          targets.set(source.resno, source.source);
        }
        entry = undefined;
      } else if (listDepth !== undefined && depth === listDepth) {
        return targets;
      }
      depth -= 1;
      if (depth < 2) return undefined;
      key = undefined;
      continue;
    }
    if (expectEntryType) {
      if (token !== 'TARGETENTRY') return undefined;
      expectEntryType = false;
      continue;
    }
    if (key !== undefined) {
      // A field's value: the one token after its label, even when it starts with ':' (a column alias).
      if (depth === 2 && key === ':targetList') {
        if (token === '<>') return targets; // no output columns
        return undefined;
      }
      if (entry !== undefined && depth === (listDepth ?? 0) + 1) entry.set(key, token);
      key = undefined;
      continue;
    }
    if (token.startsWith(':')) key = token;
    // Otherwise a value's extra tokens (a Const's datum bytes): nothing to read.
  }
  return undefined;
}

function targetSource(entry: ReadonlyMap<string, string>): { resno: number; source: ViewColumnSource } | 'junk' | undefined {
  const junk = entry.get(':resjunk');
  if (junk === 'true') return 'junk';
  const resno = unsigned(entry.get(':resno'));
  const relation = unsigned(entry.get(':resorigtbl'));
  const attnum = unsigned(entry.get(':resorigcol'));
  if (junk !== 'false' || resno === undefined || resno === 0 || relation === undefined || attnum === undefined) return undefined;
  return { resno, source: relation !== 0 && attnum > 0 ? { kind: 'column', relation, attnum } : { kind: 'computed' } };
}

function unsigned(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d{1,10}$/.test(token)) return undefined;
  const value = Number(token);
  return value <= 0xffff_ffff ? value : undefined;
}

const TOKEN_END: ReadonlySet<string> = new Set([' ', '\n', '\t', '(', ')', '{', '}']);

/**
 * The tokens of a node tree as PostgreSQL's `pg_strtok` (src/backend/nodes/read.c) splits them:
 * whitespace separates, each of `( ) { }` is a token, and a backslash makes the next character part
 * of the token (outToken escapes spaces and brackets in names). Tokens are returned as written, so an
 * escaped bracket (`\{`) is never mistaken for structure.
 */
function* nodeTreeTokens(tree: string): Generator<string, void, undefined> {
  let i = 0;
  while (i < tree.length) {
    const c = tree[i];
    if (c === ' ' || c === '\n' || c === '\t') {
      i += 1;
    } else if (c === '(' || c === ')' || c === '{' || c === '}') {
      i += 1;
      yield c;
    } else {
      const start = i;
      while (i < tree.length && !TOKEN_END.has(tree[i] as string)) i += tree[i] === '\\' ? 2 : 1;
      yield tree.slice(start, Math.min(i, tree.length));
    }
  }
}
