// Walks one statement's parse tree and records its facts. Iterative on purpose (an explicit stack, no
// recursion): the tree can be thousands of levels deep, and a JavaScript stack overflow here must not
// be possible. Everything not handled specially is still visited, so a relation or function call in
// any corner of any statement (a DEFAULT, a CHECK, a policy's USING) is reported.

import type { FuncCall, Node, RangeTableSample, RangeVar, WithClause } from 'libpg-query';

import {
  BARE_FIELD_TYPES,
  isAstObject,
  looksLikeRangeVar,
  rangeVarName,
  renderQualifiedName,
  stringList,
  wrapperTag,
} from './postgres-ast.js';
import type { AstObject } from './postgres-ast.js';
import { isStatementTag, runStatementHandler } from './postgres-statement-handlers.js';
import type { SqlClass, SqlObjectType } from './sql-class.js';
import { StatementFactsBuilder } from './statement-facts-builder.js';

/** Names of the WITH queries visible at a point of the tree. */
type CteScope = ReadonlySet<string>;

const NO_CTES: CteScope = new Set();

interface Frame {
  readonly value: unknown;
  /** The struct type when `value` is a bare struct (or an array of them); null for wrapped nodes. */
  readonly type: string | null;
  readonly scope: CteScope;
  /** Inside the query of a WITH item: data-modifying statements here are `sql.cte.modifying`. */
  readonly inCte: boolean;
  /** A statement here is the one being classified (or one it runs), not a nested part of it. */
  readonly primary: boolean;
  readonly facts: StatementFactsBuilder;
}

// One object shape for every frame (no spreads): the walker allocates one per node.
function frameOf(
  value: unknown,
  type: string | null,
  scope: CteScope,
  inCte: boolean,
  primary: boolean,
  facts: StatementFactsBuilder,
): Frame {
  return { value, type, scope, inCte, primary, facts };
}

/** Visits `statement` (a wrapped node such as `{ DeleteStmt: … }`) and records what it does in `facts`. */
export function collectStatementFacts(statement: Node, facts: StatementFactsBuilder): void {
  const stack: Frame[] = [frameOf(statement, null, NO_CTES, false, true, facts)];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) visit(frame, stack);
}

function visit(frame: Frame, stack: Frame[]): void {
  const { value } = frame;
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--)
      stack.push(frameOf(value[i], frame.type, frame.scope, frame.inCte, frame.primary, frame.facts));
    return;
  }
  if (!isAstObject(value)) return;
  if (frame.type !== null) {
    visitStruct(frame.type, value, frame, stack, true);
    return;
  }
  const tag = wrapperTag(value);
  if (tag !== null) {
    visitStruct(tag, value[tag] as AstObject, frame, stack, false);
  } else if (looksLikeRangeVar(value)) {
    // A bare relation in a field postgres-ast.ts does not list: still a relation.
    new StatementVisit(frame, stack, 'RangeVar').read(value);
  } else {
    new StatementVisit(frame, stack, null).walkRest(value);
  }
}

function visitStruct(type: string, body: AstObject, frame: Frame, stack: Frame[], bare: boolean): void {
  // A bare statement struct is a component of its parent (ALTER SYSTEM's SET, CREATE FOREIGN TABLE's
  // CREATE TABLE), not a statement of its own — except a set operation's arms, which are SELECTs.
  if (isStatementTag(type) && (!bare || type === 'SelectStmt')) {
    const visitor = new StatementVisit(frame, stack, type);
    runStatementHandler(type, body, visitor);
    visitor.flush();
    return;
  }
  const visitor = new StatementVisit(frame, stack, type);
  if (!bare && type.endsWith('Stmt')) {
    // A statement kind this classifier does not know: say so, and fail closed.
    visitor.addClass('sql.unknown');
    visitor.markModifies();
  }
  switch (type) {
    case 'RangeVar':
      visitor.read(body);
      break;
    case 'FuncCall':
      visitor.callFunction((body as FuncCall).funcname);
      visitor.walkRest(body, ['funcname']);
      break;
    case 'RangeTableSample':
      // TABLESAMPLE method(args) calls the method's handler function.
      visitor.callFunction((body as RangeTableSample).method);
      visitor.walkRest(body, ['method']);
      break;
    default:
      visitor.walkRest(body);
  }
  visitor.flush();
}

/**
 * What a statement handler may do at its node: add classes, record relations and functions, and queue
 * child values for the walker (visited in the order queued, after the handler returns).
 */
export class StatementVisit {
  private readonly queued: Frame[] = [];

  constructor(
    private readonly frame: Frame,
    private readonly stack: Frame[],
    private readonly type: string | null,
  ) {}

  /** The statement being classified, or one it runs (PREPARE's, COPY's, EXPLAIN's query) — not a nested part. */
  get primary(): boolean {
    return this.frame.primary;
  }

  get facts(): StatementFactsBuilder {
    return this.frame.facts;
  }

  addClass(sqlClass: SqlClass): void {
    this.frame.facts.addClass(sqlClass);
  }

  /** A data-modifying statement: inside a WITH query it also makes the whole statement `sql.cte.modifying`. */
  addModifyingClass(sqlClass: SqlClass): void {
    this.addClass(sqlClass);
    if (this.frame.inCte) this.addClass('sql.cte.modifying');
    this.markModifies();
  }

  markModifies(): void {
    this.frame.facts.markModifies();
  }

  /** Records the object type of the primary statement (nested statements keep the primary's). */
  setObjectType(objectType: SqlObjectType | null): void {
    if (this.frame.primary) this.frame.facts.objectType ??= objectType;
  }

  setSetting(name: string | undefined): void {
    if (this.frame.primary && name !== undefined) this.frame.facts.setting ??= name.toLowerCase();
  }

  setPreparedName(name: string | undefined): void {
    if (this.frame.primary && name !== undefined) this.frame.facts.preparedName ??= name;
  }

  setCursorName(name: string | undefined): void {
    if (this.frame.primary && name !== undefined) this.frame.facts.cursorName ??= name;
  }

  recordWhere(present: boolean): void {
    this.frame.facts.whereClauses.push(present);
  }

  /** A relation read. An unqualified name that matches a visible WITH query is that query, not a table. */
  read(relation: RangeVar | undefined): void {
    if (relation === undefined) return;
    const unqualified = (relation.schemaname ?? '') === '' && (relation.catalogname ?? '') === '';
    if (unqualified && this.frame.scope.has(relation.relname ?? '')) return;
    this.frame.facts.tablesRead.add(rangeVarName(relation));
  }

  /**
   * The target of a write or DDL. Never resolved against WITH queries: PostgreSQL's setTargetTable
   * ignores CTEs ("CTEs don't hide tables (for this purpose)"), and DDL has no WITH.
   */
  write(relation: RangeVar | undefined): void {
    if (relation !== undefined) this.frame.facts.tablesWritten.add(rangeVarName(relation));
  }

  /** Read access to the rows a DML statement targets (WHERE, RETURNING, SET expressions read them). */
  readTarget(relation: RangeVar | undefined): void {
    if (relation !== undefined) this.frame.facts.tablesRead.add(rangeVarName(relation));
  }

  writeName(parts: readonly string[]): void {
    if (parts.length > 0) this.frame.facts.tablesWritten.add(renderQualifiedName(parts));
  }

  callFunction(funcname: readonly Node[] | undefined): void {
    const parts = stringList(funcname);
    this.frame.facts.functions.add(parts === null ? '"?"' : renderQualifiedName(parts));
  }

  /**
   * Queues the WITH queries, each seeing the names PostgreSQL lets it see (earlier siblings; all of
   * them if RECURSIVE), and returns the scope for the rest of the statement.
   */
  enterWith(withClause: WithClause | undefined): CteScope {
    const items = withClause?.ctes ?? [];
    if (items.length === 0) return this.frame.scope;
    const names = items.map((item) => ('CommonTableExpr' in item ? (item.CommonTableExpr.ctename ?? '') : ''));
    const all = new Set([...this.frame.scope, ...names]);
    items.forEach((item, index) => {
      const scope = withClause?.recursive === true ? all : new Set([...this.frame.scope, ...names.slice(0, index)]);
      // Visit the whole item (the query and its column lists): nothing in it may go unseen.
      const value = 'CommonTableExpr' in item ? item.CommonTableExpr : item;
      const type = 'CommonTableExpr' in item ? 'CommonTableExpr' : null;
      this.queued.push(frameOf(value, type, scope, true, false, this.frame.facts));
    });
    return all;
  }

  /**
   * Queues a statement that this one runs (PREPARE's, COPY's, DECLARE's, CREATE TABLE AS's query):
   * it is classified as fully as a statement of its own, into `facts` (default: this statement's).
   */
  walkExecuted(value: unknown, facts: StatementFactsBuilder = this.frame.facts): void {
    this.queued.push(frameOf(value, null, NO_CTES, false, true, facts));
  }

  /** Queues every field of `node` not in `skip`, as nested parts of this statement. */
  walkRest(node: object, skip: readonly string[] = [], scope: CteScope = this.frame.scope): void {
    this.walkFieldsOf(node, this.type, skip, scope);
  }

  /** Like `walkRest` for a bare struct of another type (CREATE FOREIGN TABLE's CreateStmt). */
  walkFieldsOf(node: object, type: string | null, skip: readonly string[] = [], scope: CteScope = this.frame.scope): void {
    const bareFields = type === null ? undefined : BARE_FIELD_TYPES[type];
    const fields = node as AstObject;
    for (const key in fields) {
      const value = fields[key];
      if (typeof value !== 'object' || value === null || skip.includes(key)) continue;
      this.queued.push(frameOf(value, bareFields?.[key] ?? null, scope, this.frame.inCte, false, this.frame.facts));
    }
  }

  /** Hands the queued values to the walker so that they are visited in the order queued. */
  flush(): void {
    for (let i = this.queued.length - 1; i >= 0; i--) {
      const frame = this.queued[i];
      if (frame !== undefined) this.stack.push(frame);
    }
    this.queued.length = 0;
  }
}
