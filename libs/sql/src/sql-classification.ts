// What the classifier tells policy about SQL text (DESIGN.md "The per-command flow": statement kinds,
// tables, functions, has-where). Results are deep-frozen: they are shared from a cache.

import type { SqlClass, SqlObjectType } from './sql-class.js';

/** Facts about one statement of a (possibly multi-statement) Query. */
export interface SqlStatementFacts {
  /** This statement's text: the parser's slice of the input (multi-statement Queries are split). */
  readonly text: string;
  /** Never empty. `classes[0]` is the primary kind; more follow when the statement does several things. */
  readonly classes: readonly SqlClass[];
  /** What a DDL/DCL statement acts on (`table`, `function`, …); null for everything else. */
  readonly objectType: SqlObjectType | null;
  /**
   * Relations read, as the server resolves the names: unquoted identifiers lower-cased, quoted ones
   * kept, schema/catalog included only when written, parts joined with `.`. A part that itself holds
   * `.` or `"` is rendered double-quoted so the joined name stays unambiguous.
   */
  readonly tablesRead: readonly string[];
  /** Relations written, created, altered, dropped, truncated or granted on. */
  readonly tablesWritten: readonly string[];
  /** Every function named anywhere in the statement (same rendering as tables), e.g. `pg_catalog.pg_read_file`. */
  readonly functions: readonly string[];
  /**
   * For statements containing UPDATE or DELETE: true only if every UPDATE/DELETE in it has a WHERE
   * clause (`WHERE true` and `WHERE CURRENT OF` count as present). Null when there is none.
   */
  readonly hasWhere: boolean | null;
  /**
   * True unless the statement is known not to change data, schema, privileges, files or server
   * state. Calls to functions outside a short list of read-only built-ins count as modifying.
   */
  readonly modifiesData: boolean;
  /** For EXPLAIN: the classes of the explained statement (also in `classes` only with ANALYZE). Else empty. */
  readonly explainedClasses: readonly SqlClass[];
  /** For SET/RESET/SHOW/ALTER SYSTEM: the lower-cased parameter name (`search_path`); null otherwise or for `ALL`. */
  readonly setting: string | null;
  /** For PREPARE/EXECUTE/DEALLOCATE: the prepared statement's name; null for others and `DEALLOCATE ALL`. */
  readonly preparedName: string | null;
  /** For DECLARE/CLOSE (and FETCH/MOVE): the cursor's name; null for others and `CLOSE ALL`. */
  readonly cursorName: string | null;
  /**
   * A decision-cache key: `tree:` + SHA-256 of the statement's parse tree without constants and
   * positions — equal for statements that differ only in constants, whitespace, comments or the case
   * of unquoted names, whose facts are equal. (`exact:` + SHA-256 of the text for text that did not
   * parse.) A decision that depends on the text itself must not be cached under it.
   */
  readonly fingerprint: string;
}

export const SQL_FAILURE_REASONS = [
  /** The parser rejected the text. */
  'syntax-error',
  /** The text is over the size cap. */
  'too-large',
  /** Nesting too deep for the parser (its stack or its grammar stack ran out). */
  'too-complex',
  /** The text holds a NUL character: the C parser would see only the part before it. */
  'nul-byte',
  /** The text holds an unpaired UTF-16 surrogate: it cannot be encoded as the UTF-8 the server sees. */
  'invalid-text',
  /** The parser is being reloaded after an internal failure; retry after `loadSqlParser()`. */
  'parser-unavailable',
] as const;

export type SqlFailureReason = (typeof SQL_FAILURE_REASONS)[number];

export interface SqlFailure {
  readonly reason: SqlFailureReason;
  /** The parser's message. It may quote a fragment of the SQL: treat it like the SQL text itself. */
  readonly message: string;
  /** PostgreSQL-style 1-based character position of the error (ErrorResponse field `P`), or null. */
  readonly position: number | null;
}

/** Facts about a whole Query text; the top-level lists are the unions over all statements. */
export interface SqlClassification {
  /** At least one entry. Unparseable or empty input yields one pseudo-statement of class `sql.unparseable` / `sql.empty`. */
  readonly statements: readonly SqlStatementFacts[];
  readonly classes: readonly SqlClass[];
  readonly tablesRead: readonly string[];
  readonly tablesWritten: readonly string[];
  readonly functions: readonly string[];
  /** True only if every UPDATE/DELETE of every statement has a WHERE clause; null when there is none. */
  readonly hasWhere: boolean | null;
  readonly modifiesData: boolean;
  /** Why the text is `sql.unparseable`; null when it parsed. */
  readonly failure: SqlFailure | null;
}
