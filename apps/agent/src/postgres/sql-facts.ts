import { createHash } from 'node:crypto';
import { classifyPostgres, type SqlStatementFacts } from '@sluice/sql';
import type { CommandFacts } from '../link/link-types.js';
import { PreparedStatements } from './prepared-statements.js';

/** What a statement does to the session's names, applied by the session as it forwards it. */
export type SessionEffect =
  /**
   * DEALLOCATE name / ALL (null), DISCARD ALL: forget what the names meant before it once the server
   * confirms (`seq`: its place in the session's order, taken as it was classified, so a PREPARE later
   * in the same text survives).
   */
  | { readonly kind: 'deallocate'; readonly name: string | null; readonly seq: number }
  /** DECLARE of a cursor: a protocol portal of that name is no longer the one bound through Sluice. */
  | { readonly kind: 'declare'; readonly name: string }
  /** CLOSE of a cursor (null: CLOSE ALL): forget it once the server confirms; a portal of that name too. */
  | { readonly kind: 'close'; readonly name: string | null; readonly seq: number };

export interface SessionStatement {
  readonly facts: CommandFacts;
  readonly effect: SessionEffect | undefined;
  /** FETCH/MOVE/EXECUTE: what it runs depends on what a name means when it runs. */
  readonly dependsOnNames?: boolean;
  /** Set when the statement must be refused whatever policy says (Sluice cannot know what it runs, or limits). */
  readonly refusal?: { readonly code: 'unknown-name' | 'unknown-cursor' | 'too-many'; readonly message: string };
}

/** Open cursors a session may have declared at once (DECLARE beyond it is refused). */
export const MAX_CURSORS = 1_000;

interface DeclaredCursor {
  readonly facts: CommandFacts;
  /** WITH HOLD (as written anywhere in the text: the safe side): outlives its transaction. */
  readonly holdable: boolean;
  /** Position in the session's message order, for dropping at transaction end. */
  readonly seq: number;
}

/**
 * Turns SQL text into the facts policy decides on, one per statement, remembering what the session
 * prepared (SQL PREPARE, and protocol Parse through the shared registry) and declared (DECLARE
 * CURSOR) so that a later `EXECUTE p` or `FETCH c` is decided as what it really runs — not as a
 * harmless-looking utility statement.
 */
export class SqlSessionFacts {
  /** Every DECLARE of a name not known to be closed (a failed one stays: the safe side). */
  private readonly cursors = new Map<string, DeclaredCursor[]>();
  private cursorCount = 0;

  constructor(
    private readonly prepared: PreparedStatements,
    /** What the protocol portal of that name runs, if one is bound (SQL FETCH reads portals too). */
    private readonly portalFacts: (name: string) => readonly CommandFacts[] = () => [],
  ) {}

  /** The server confirmed CLOSE of `name` (null: CLOSE ALL) forwarded at `seq`. */
  closeCursor(name: string | null, seq: number): void {
    this.dropCursors((cursor, cursorName) => (name === null || cursorName === name) && cursor.seq < seq);
  }

  /** A transaction ended (idle ReadyForQuery): cursors declared before it without WITH HOLD are gone. */
  endTransaction(seq: number): void {
    this.dropCursors((cursor) => !cursor.holdable && cursor.seq < seq);
  }

  private dropCursors(gone: (cursor: DeclaredCursor, name: string) => boolean): void {
    for (const [name, declared] of this.cursors) {
      const kept = declared.filter((cursor) => !gone(cursor, name));
      this.cursorCount -= declared.length - kept.length;
      if (kept.length === 0) this.cursors.delete(name);
      else this.cursors.set(name, kept);
    }
  }

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
        if (name !== null && !this.prepared.addPrepared(name, own)) {
          return { facts: own, effect: undefined, refusal: { code: 'too-many', message: PreparedStatements.LIMIT_MESSAGE } };
        }
        return { facts: own, effect: undefined };
      case 'sql.utility.execute':
        return this.executing(own, name ?? '');
      case 'sql.utility.deallocate':
        return { facts: own, effect: { kind: 'deallocate', name, seq: this.prepared.next() } };
      case 'sql.utility.discard':
        // DISCARD ALL includes DEALLOCATE ALL. Anything the pattern misses keeps names known (safe side).
        return {
          facts: own,
          effect: /^\s*discard\s+all\s*$/i.test(statement.text) ? { kind: 'deallocate', name: null, seq: this.prepared.next() } : undefined,
        };
      case 'sql.utility.cursor':
        return this.cursor(statement, own);
      default:
        // EXPLAIN ANALYZE EXECUTE p, CREATE TABLE … AS EXECUTE p: decided as what p runs, too.
        if (name !== null) return this.executing(own, name);
        return { facts: own, effect: undefined };
    }
  }

  /**
   * DECLARE carries its query's classes; FETCH/MOVE carry only the cursor class and are decided as
   * every query declared under that name plus the protocol portal of that name; a name Sluice did not
   * see declared or bound (a function may open one) is refused.
   */
  private cursor(statement: SqlStatementFacts, own: CommandFacts): SessionStatement {
    const name = statement.cursorName;
    if (statement.classes.length > 1) {
      if (this.cursorCount >= MAX_CURSORS) {
        return {
          facts: own,
          effect: undefined,
          refusal: { code: 'too-many', message: `more than ${MAX_CURSORS} cursors open in this session; CLOSE some first` },
        };
      }
      if (name !== null) {
        const declared = { facts: own, holdable: /\bwith\s+hold\b/i.test(statement.text), seq: this.prepared.next() };
        this.cursors.set(name, [...(this.cursors.get(name) ?? []), declared]);
        this.cursorCount += 1;
      }
      return { facts: own, effect: name === null ? undefined : { kind: 'declare', name } };
    }
    if (/^\s*close\b/i.test(statement.text)) return { facts: own, effect: { kind: 'close', name, seq: this.prepared.next() } };
    // FETCH/MOVE: as every query declared under the name, and the protocol portal of that name.
    const known = [...(name === null ? [] : (this.cursors.get(name) ?? []).map((cursor) => cursor.facts)), ...this.portalFacts(name ?? '')];
    if (known.length === 0) {
      // A cursor Sluice did not see declared (a function may open one) would run something nobody decided on.
      return {
        facts: own,
        effect: undefined,
        refusal: { code: 'unknown-cursor', message: `cursor "${name ?? ''}" was not declared through Sluice` },
      };
    }
    return { facts: merge(own, known), effect: undefined, dependsOnNames: true };
  }

  /**
   * A statement that runs prepared statement `name`: decided as every statement the name may stand
   * for. A name Sluice never saw prepared would run something nobody decided on: refused.
   */
  private executing(own: CommandFacts, name: string): SessionStatement {
    const candidates = this.prepared.get(name)?.facts ?? [];
    if (candidates.length === 0) {
      return {
        facts: own,
        effect: undefined,
        refusal: { code: 'unknown-name', message: `prepared statement "${name}" was not prepared through Sluice` },
      };
    }
    return { facts: merge(own, candidates), effect: undefined, dependsOnNames: true };
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
    fingerprint: statement.fingerprint,
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
