// SQL text → policy facts, for PostgreSQL (DESIGN.md "Protocol notes": classify every statement of a
// multi-statement Query with libpg-query; "The per-command flow": fail closed on anything unparseable).

import { createHash } from 'node:crypto';

import type { RawStmt } from 'libpg-query';

import { LruCache } from './lru-cache.js';
import { isPgQueryLoaded, loadPgQuery, normalizePgQuery, parsePgQuery } from './pg-query-wasm.js';
import { collectStatementFacts } from './postgres-tree-walker.js';
import type { SqlClass } from './sql-class.js';
import type { SqlClassification, SqlFailure, SqlStatementFacts } from './sql-classification.js';
import { StatementFactsBuilder } from './statement-facts-builder.js';
import { statementShape } from './statement-shape.js';

/** Larger texts are `sql.unparseable` (reason `too-large`) without being parsed. */
export const MAX_SQL_TEXT_BYTES = 1024 * 1024;
/** Texts longer than this (in UTF-16 code units) are classified every time rather than cached. */
const MAX_CACHED_TEXT_LENGTH = 64 * 1024;
const CACHE_LIMITS = { maxEntries: 10_000, maxWeight: 16 * 1024 * 1024 } as const;

const classifications = new LruCache<string, SqlClassification>(CACHE_LIMITS);
/** By statement shape (statement-shape.ts): one parse serves texts that differ only in integer constants. */
const shapes = new LruCache<string, SqlClassification>(CACHE_LIMITS);
const normalizations = new LruCache<string, string>(CACHE_LIMITS);

/** Loads the PostgreSQL parser (~130–170 MB of WASM memory). Idempotent; call once at startup. */
export async function loadSqlParser(): Promise<void> {
  await loadPgQuery();
}

/**
 * Classifies PostgreSQL text — one statement or a simple-protocol Query of many. Synchronous; throws
 * only if `loadSqlParser()` was never awaited. The result is frozen and may be shared with other callers.
 */
export function classifyPostgres(sql: string): SqlClassification {
  if (!isPgQueryLoaded()) throw new Error('The SQL parser is not loaded: await loadSqlParser() once at startup before classifying.');
  const cached = classifications.get(sql);
  if (cached !== undefined) return cached;
  const shape = statementShape(sql);
  const sameShape = shape && shapes.get(shape.shape);
  if (shape && sameShape) return withText(sameShape, shape.text);
  const classification = classifyUncached(sql);
  if (isCacheable(sql, classification)) classifications.set(sql, classification, sql.length);
  // Only a statement that parsed, and whose text the shape reproduces exactly, stands for its shape.
  const [only] = classification.statements;
  if (shape && classification.failure === null && classification.statements.length === 1 && only?.text === shape.text) {
    shapes.set(shape.shape, classification, shape.shape.length);
  }
  return classification;
}

/** A classification of the same shape, for a text of that shape. */
function withText(classification: SqlClassification, text: string): SqlClassification {
  const [statement] = classification.statements;
  if (statement === undefined || statement.text === text) return classification;
  return Object.freeze({ ...classification, statements: Object.freeze([Object.freeze({ ...statement, text })]) });
}

function isCacheable(sql: string, classification: SqlClassification): boolean {
  switch (classification.failure?.reason) {
    case 'parser-unavailable':
      // A passing condition: never remember the refusal.
      return false;
    case 'too-complex':
      // Remembered whatever the length (such texts are big): resubmitting one must not cost the
      // parser instance it may have cost the first time.
      return true;
    case undefined:
    case 'syntax-error':
    case 'too-large':
    case 'nul-byte':
    case 'invalid-text':
      return sql.length <= MAX_CACHED_TEXT_LENGTH;
  }
}

/**
 * PostgreSQL's normalization of the text: every constant replaced by `$n`, all else (identifiers,
 * keywords, comments, whitespace) kept byte for byte. Null when the text does not parse.
 */
export function normalizePostgres(sql: string): string | null {
  const classification = classifyPostgres(sql);
  if (classification.failure !== null) return null;
  if (classification.classes[0] === 'sql.empty') return sql;
  const cached = normalizations.get(sql);
  if (cached !== undefined) return cached;
  const normalized = normalizePgQuery(sql);
  if (normalized !== null && sql.length <= MAX_CACHED_TEXT_LENGTH) normalizations.set(sql, normalized, sql.length);
  return normalized;
}

/**
 * A decision-cache key for the text: `sha256:` + hex SHA-256 of `normalizePostgres(sql)`. Texts that
 * differ only in constants share a key, and their classifications are equal (no fact depends on a
 * constant). A decision that depended on a constant — a condition on the text — must not be cached
 * under it. Not libpg_query's own fingerprint: that is a 64-bit non-cryptographic hash (collisions can
 * be searched for) and deliberately equates texts that differ in names, e.g. `EXECUTE a`/`EXECUTE b`.
 */
export function fingerprintPostgres(sql: string): string | null {
  const normalized = normalizePostgres(sql);
  return normalized === null ? null : `sha256:${createHash('sha256').update(normalized, 'utf8').digest('hex')}`;
}

function classifyUncached(sql: string): SqlClassification {
  // Bytes ≥ UTF-16 code units, so the cheap length test can only under-count.
  if (sql.length > MAX_SQL_TEXT_BYTES || Buffer.byteLength(sql, 'utf8') > MAX_SQL_TEXT_BYTES) {
    return unparseable(sql, { reason: 'too-large', message: `statement text is over ${MAX_SQL_TEXT_BYTES} bytes`, position: null });
  }
  const nul = sql.indexOf('\0');
  if (nul >= 0) {
    return unparseable(sql, {
      reason: 'nul-byte',
      message: 'statement text contains a NUL character',
      position: characterPosition(sql, nul),
    });
  }
  const surrogate = /[\uD800-\uDFFF]/u.exec(sql);
  if (surrogate !== null) {
    return unparseable(sql, {
      reason: 'invalid-text',
      message: 'statement text contains an unpaired UTF-16 surrogate',
      position: characterPosition(sql, surrogate.index),
    });
  }
  if (sql.trim().length === 0) return empty(sql);
  const parsed = parsePgQuery(sql);
  if (!parsed.ok) return unparseable(sql, { reason: parsed.reason, message: parsed.message, position: parsed.position });
  const rawStatements = parsed.tree.stmts ?? [];
  if (rawStatements.length === 0) return empty(sql);
  const slice = statementSlicer(sql);
  return summarize(
    rawStatements.map((raw) => classifyStatement(raw, slice)),
    null,
  );
}

function classifyStatement(raw: RawStmt, slice: (location: number, length: number) => string): SqlStatementFacts {
  const facts = new StatementFactsBuilder();
  if (raw.stmt === undefined) {
    facts.addClass('sql.unknown');
    facts.markModifies();
  } else {
    collectStatementFacts(raw.stmt, facts);
  }
  // The parser's slice runs up to the `;` (or the end of the text): drop the whitespace around it.
  const text = slice(raw.stmt_location ?? 0, raw.stmt_len ?? 0).trim();
  return facts.build(text, raw.stmt === undefined ? exactFingerprint(text) : treeFingerprint(raw.stmt));
}

const CLOSE_OBJECT = Symbol('}');
const CLOSE_ARRAY = Symbol(']');
class TreeKey {
  constructor(readonly name: string) {}
}

/**
 * The parse tree without positions and with every constant (`A_Const`) replaced, hashed. Walked
 * with an explicit stack (trees thousands of levels deep parse, and must not overflow the call
 * stack); every primitive is written JSON-quoted and terminated, so the encoding is unambiguous.
 */
function treeFingerprint(stmt: object): string {
  const out: string[] = [];
  const stack: unknown[] = [stmt];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === CLOSE_OBJECT) out.push('}');
    else if (item === CLOSE_ARRAY) out.push(']');
    else if (item instanceof TreeKey) out.push(`${JSON.stringify(item.name)}:`);
    else if (Array.isArray(item)) {
      out.push('[');
      stack.push(CLOSE_ARRAY);
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (item !== null && typeof item === 'object') {
      out.push('{');
      stack.push(CLOSE_OBJECT);
      const record = item as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] ?? '';
        if (key === 'location') continue;
        stack.push(key === 'A_Const' ? 0 : record[key], new TreeKey(key));
      }
    } else out.push(`${JSON.stringify(item)},`);
  }
  return `tree:${createHash('sha256').update(out.join(''), 'utf8').digest('hex')}`;
}

function exactFingerprint(text: string): string {
  return `exact:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * The parser reports statement bounds in UTF-8 bytes; a length of 0 means "to the end of the text".
 * Pure-ASCII text (the common case) slices directly.
 */
function statementSlicer(sql: string): (location: number, length: number) => string {
  // eslint-disable-next-line no-control-regex -- matching the ASCII range is the point
  if (/^[\x00-\x7F]*$/.test(sql)) return (location, length) => sql.slice(location, length === 0 ? undefined : location + length);
  const bytes = Buffer.from(sql, 'utf8');
  return (location, length) => bytes.subarray(location, length === 0 ? undefined : location + length).toString('utf8');
}

/** PostgreSQL's error position: 1-based, counted in characters (code points). */
function characterPosition(sql: string, codeUnitIndex: number): number {
  const surrogatePairs = sql.slice(0, codeUnitIndex).match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
  return codeUnitIndex - surrogatePairs + 1;
}

const EMPTY_LIST = Object.freeze([]) as readonly never[];

function pseudoStatement(text: string, sqlClass: SqlClass, modifiesData: boolean): SqlStatementFacts {
  return Object.freeze({
    text,
    classes: Object.freeze([sqlClass]),
    objectType: null,
    tablesRead: EMPTY_LIST,
    tablesWritten: EMPTY_LIST,
    functions: EMPTY_LIST,
    hasWhere: null,
    modifiesData,
    explainedClasses: EMPTY_LIST,
    setting: null,
    preparedName: null,
    cursorName: null,
    fingerprint: exactFingerprint(text),
  });
}

function unparseable(sql: string, failure: SqlFailure): SqlClassification {
  // Unknown text is assumed to do anything.
  return summarize([pseudoStatement(sql, 'sql.unparseable', true)], Object.freeze({ ...failure }));
}

function empty(sql: string): SqlClassification {
  return summarize([pseudoStatement(sql, 'sql.empty', false)], null);
}

function summarize(statements: readonly SqlStatementFacts[], failure: SqlFailure | null): SqlClassification {
  const union = <T>(pick: (statement: SqlStatementFacts) => readonly T[]): readonly T[] =>
    Object.freeze([...new Set(statements.flatMap(pick))]);
  const wheres = statements.map((statement) => statement.hasWhere).filter((hasWhere) => hasWhere !== null);
  return Object.freeze({
    statements: Object.freeze([...statements]),
    classes: union((statement) => statement.classes),
    tablesRead: union((statement) => statement.tablesRead),
    tablesWritten: union((statement) => statement.tablesWritten),
    functions: union((statement) => statement.functions),
    hasWhere: wheres.length === 0 ? null : wheres.every(Boolean),
    modifiesData: statements.some((statement) => statement.modifiesData),
    failure,
  });
}
