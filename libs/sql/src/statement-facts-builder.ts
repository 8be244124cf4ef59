// Accumulates the facts of one statement while the walker visits its tree, then freezes them.

import { isReadOnlyBuiltinFunction } from './read-only-functions.js';
import type { SqlClass, SqlObjectType } from './sql-class.js';
import type { SqlStatementFacts } from './sql-classification.js';

interface ExplainedStatement {
  readonly facts: StatementFactsBuilder;
  /** EXPLAIN ANALYZE runs the statement; plain EXPLAIN only plans it. */
  readonly executes: boolean;
}

export class StatementFactsBuilder {
  // Sets keep first-seen order: classes[0] stays the primary kind.
  readonly classes = new Set<SqlClass>();
  readonly tablesRead = new Set<string>();
  readonly tablesWritten = new Set<string>();
  readonly functions = new Set<string>();
  readonly whereClauses: boolean[] = [];
  private modifies = false;
  objectType: SqlObjectType | null = null;
  setting: string | null = null;
  preparedName: string | null = null;
  cursorName: string | null = null;
  private readonly explained: ExplainedStatement[] = [];
  private finished = false;

  addClass(sqlClass: SqlClass): void {
    this.classes.add(sqlClass);
  }

  markModifies(): void {
    this.modifies = true;
  }

  /** The facts of the statement an EXPLAIN wraps, merged in by `finish()`. */
  explain(executes: boolean): StatementFactsBuilder {
    const facts = new StatementFactsBuilder();
    this.explained.push({ facts, executes });
    return facts;
  }

  build(text: string, fingerprint: string): SqlStatementFacts {
    this.finish();
    const functions = [...this.functions];
    this.classifyFunctionCalls(functions);
    const classes = [...this.classes];
    const explainedClasses = this.explained.flatMap((explained) => [...explained.facts.classes]);
    return Object.freeze({
      text,
      classes: Object.freeze(classes.length > 0 ? classes : (['sql.unknown'] as const)),
      objectType: this.objectType,
      tablesRead: Object.freeze([...this.tablesRead]),
      tablesWritten: Object.freeze([...this.tablesWritten]),
      functions: Object.freeze(functions),
      hasWhere: this.whereClauses.length === 0 ? null : this.whereClauses.every(Boolean),
      modifiesData: this.modifies || functions.some((name) => !isReadOnlyBuiltinFunction(name)),
      explainedClasses: Object.freeze(explainedClasses),
      setting: this.setting,
      preparedName: this.preparedName,
      cursorName: this.cursorName,
      fingerprint,
    });
  }

  /**
   * A function call is a command of its own: `SELECT pg_terminate_backend(…)`, `SELECT lo_export(…)`
   * or a user function that writes must not pass as a plain read. Any function outside the read-only
   * list adds `sql.function.side-effects` (after the primary class). `set_config()` is SET with a
   * name computed at run time, so it carries every SET class it could be — role and syntax included.
   */
  private classifyFunctionCalls(functions: readonly string[]): void {
    if (!functions.some((name) => !isReadOnlyBuiltinFunction(name))) return;
    if (functions.some((name) => name === 'set_config' || name.endsWith('.set_config'))) {
      for (const sqlClass of ['sql.utility.set', 'sql.utility.set-role', 'sql.utility.set-syntax'] as const) this.classes.add(sqlClass);
    }
    this.classes.add('sql.function.side-effects');
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const { facts: inner, executes } of this.explained) {
      inner.finish();
      for (const name of inner.functions) this.functions.add(name);
      // EXPLAIN [ANALYZE] EXECUTE p: the proxy needs the name to look up what p is.
      this.preparedName ??= inner.preparedName;
      if (executes) {
        for (const sqlClass of inner.classes) this.classes.add(sqlClass);
        for (const name of inner.tablesRead) this.tablesRead.add(name);
        for (const name of inner.tablesWritten) this.tablesWritten.add(name);
        this.whereClauses.push(...inner.whereClauses);
        if (inner.modifies) this.modifies = true;
        this.objectType ??= inner.objectType;
      } else {
        // Planning touches every relation (and checks privileges on it) but changes none.
        for (const name of [...inner.tablesRead, ...inner.tablesWritten]) this.tablesRead.add(name);
      }
    }
  }
}
