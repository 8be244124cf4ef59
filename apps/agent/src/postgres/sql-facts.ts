import { createHash } from 'node:crypto';
import { classifyPostgres, fingerprintPostgres, type SqlStatementFacts } from '@sluice/sql';
import type { CommandFacts } from '../link/link-types.js';

/**
 * Turns SQL text into the facts policy decides on, one per statement, remembering what the session
 * prepared (SQL PREPARE) and declared (DECLARE CURSOR) so that a later `EXECUTE p` or `FETCH c` is
 * decided as what it really runs — not as a harmless-looking utility statement.
 */
export class SqlSessionFacts {
  private readonly prepared = new Map<string, CommandFacts>();
  private readonly cursors: CommandFacts[] = [];

  constructor(private readonly maxStatementBytes: number) {}

  facts(sql: string): CommandFacts[] {
    if (Buffer.byteLength(sql, 'utf8') > this.maxStatementBytes) {
      return [
        {
          classes: ['sql.unparseable'],
          tables: [],
          tablesWritten: [],
          functions: [],
          hasWhere: null,
          text: sql.slice(0, 1024),
          fingerprint: exactFingerprint(sql),
        },
      ];
    }
    const classification = classifyPostgres(sql);
    return classification.statements.map((statement) => this.track(statement));
  }

  /** Facts of a protocol-level prepared statement referenced by name in Bind, when SQL PREPARE made it. */
  preparedFacts(name: string): CommandFacts | undefined {
    return this.prepared.get(name);
  }

  private track(statement: SqlStatementFacts): CommandFacts {
    const own = toFacts(statement);
    const primary = statement.classes[0];
    const name = statement.preparedName;
    if (primary === 'sql.utility.prepare' && name !== null) {
      this.prepared.set(name, own);
      return own;
    }
    if (primary === 'sql.utility.execute') {
      const prepared = name === null ? undefined : this.prepared.get(name);
      // Unknown name: decide on the bare EXECUTE (policy denies it unless allowed).
      return prepared ? merge(own, [prepared]) : own;
    }
    if (primary === 'sql.utility.deallocate') {
      if (name === null) this.prepared.clear();
      else this.prepared.delete(name);
      return own;
    }
    if (primary === 'sql.utility.discard') {
      this.prepared.clear();
      return own;
    }
    if (primary === 'sql.utility.cursor') {
      // DECLARE carries its query's classes; FETCH/MOVE/CLOSE carry only the cursor class, and are
      // decided as everything the session declared (we do not track cursor names: conservative).
      if (statement.classes.length > 1) this.cursors.push(own);
      else return merge(own, this.cursors);
    }
    return own;
  }
}

function toFacts(statement: SqlStatementFacts): CommandFacts {
  return {
    classes: statement.classes,
    tables: union(statement.tablesRead, statement.tablesWritten),
    tablesWritten: statement.tablesWritten,
    functions: statement.functions,
    hasWhere: statement.hasWhere,
    text: statement.text,
    fingerprint: fingerprintPostgres(statement.text) ?? exactFingerprint(statement.text),
  };
}

function merge(own: CommandFacts, others: readonly CommandFacts[]): CommandFacts {
  if (others.length === 0) return own;
  const all = [own, ...others];
  const hasWhere = all.map((f) => f.hasWhere).filter((h): h is boolean => h !== null);
  return {
    classes: union(...all.map((f) => f.classes)),
    tables: union(...all.map((f) => f.tables)),
    tablesWritten: union(...all.map((f) => f.tablesWritten)),
    functions: union(...all.map((f) => f.functions)),
    hasWhere: hasWhere.length === 0 ? null : hasWhere.every(Boolean),
    text: own.text,
    // The decision depends on what was prepared/declared, so the cache key must too.
    fingerprint: exactFingerprint(all.map((f) => f.fingerprint).join('\u0000')),
  };
}

function union(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

function exactFingerprint(text: string): string {
  return `exact:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
