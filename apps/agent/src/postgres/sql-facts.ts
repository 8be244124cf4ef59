import { createHash } from 'node:crypto';
import { classifyPostgres, fingerprintPostgres, type SqlStatementFacts } from '@sluice/sql';
import type { CommandFacts } from '../link/link-types.js';
import type { PreparedStatements } from './prepared-statements.js';

/** What a statement does to the session's names, applied by the session as it forwards it. */
export type SessionEffect =
  /** DEALLOCATE name / ALL (null), DISCARD ALL: forget the names once the server confirms. */
  | { readonly kind: 'deallocate'; readonly name: string | null }
  /** DECLARE / CLOSE of a cursor: a protocol portal of that name is no longer ours (null: CLOSE ALL). */
  | { readonly kind: 'cursor'; readonly name: string | null };

export interface SessionStatement {
  readonly facts: CommandFacts;
  readonly effect: SessionEffect | undefined;
  /** Set when the statement must be refused whatever policy says (Sluice cannot know what it runs). */
  readonly unknowable?: string;
}

/**
 * Turns SQL text into the facts policy decides on, one per statement, remembering what the session
 * prepared (SQL PREPARE, and protocol Parse through the shared registry) and declared (DECLARE
 * CURSOR) so that a later `EXECUTE p` or `FETCH c` is decided as what it really runs — not as a
 * harmless-looking utility statement.
 */
export class SqlSessionFacts {
  private readonly cursors: CommandFacts[] = [];

  constructor(private readonly prepared: PreparedStatements) {}

  statements(sql: string): SessionStatement[] {
    const classification = classifyPostgres(sql);
    return classification.statements.map((statement) => this.track(statement));
  }

  private track(statement: SqlStatementFacts): SessionStatement {
    const own = toFacts(statement);
    const primary = statement.classes[0];
    const name = statement.preparedName;
    switch (primary) {
      case 'sql.utility.prepare':
        // Registered as soon as it is classified: an EXECUTE later in the same text must see it.
        if (name !== null) this.prepared.addPrepared(name, own);
        return { facts: own, effect: undefined };
      case 'sql.utility.execute':
        return this.executing(own, name ?? '');
      case 'sql.utility.deallocate':
        return { facts: own, effect: { kind: 'deallocate', name } };
      case 'sql.utility.discard':
        // DISCARD ALL includes DEALLOCATE ALL. Anything the pattern misses keeps names known (safe side).
        return { facts: own, effect: /^\s*discard\s+all\s*$/i.test(statement.text) ? { kind: 'deallocate', name: null } : undefined };
      case 'sql.utility.cursor': {
        // DECLARE carries its query's classes; FETCH/MOVE/CLOSE carry only the cursor class, and are
        // decided as everything the session declared (we do not track cursor names: conservative).
        const declares = statement.classes.length > 1;
        const isClose = /^\s*close\b/i.test(statement.text);
        const effect: SessionEffect | undefined = declares || isClose ? { kind: 'cursor', name: statement.cursorName } : undefined;
        if (declares) {
          this.cursors.push(own);
          return { facts: own, effect };
        }
        return { facts: merge(own, this.cursors), effect };
      }
      default:
        // EXPLAIN ANALYZE EXECUTE p, CREATE TABLE … AS EXECUTE p: decided as what p runs, too.
        if (name !== null) return this.executing(own, name);
        return { facts: own, effect: undefined };
    }
  }

  /**
   * A statement that runs prepared statement `name`: decided as every statement the name may stand
   * for. A name Sluice never saw prepared would run something nobody decided on: refused.
   */
  private executing(own: CommandFacts, name: string): SessionStatement {
    const candidates = this.prepared.get(name)?.facts ?? [];
    if (candidates.length === 0) {
      return { facts: own, effect: undefined, unknowable: `prepared statement "${name}" was not prepared through Sluice` };
    }
    return { facts: merge(own, candidates), effect: undefined };
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
