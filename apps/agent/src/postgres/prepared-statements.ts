import type { CommandFacts } from '../link/link-types.js';
import type { CompiledMask } from './result-masker.js';
import type { SessionEffect } from './sql-facts.js';

/** A statement Parsed through Sluice, as it was decided. */
export interface ParsedStatement {
  readonly facts: readonly CommandFacts[];
  /** Undefined: results pass untouched. */
  readonly mask: CompiledMask | undefined;
  /** The decision cache's invalidation epoch when this was decided: a newer one means decide again. */
  readonly epoch: number;
  /** The text, for statements whose meaning depends on session names (classified again at each use). */
  readonly sql: string;
  /**
   * FETCH/MOVE/EXECUTE (and EXPLAIN … EXECUTE): what they run is whatever the cursor or prepared
   * name means when they run, so they are classified and decided again at every Bind and Execute.
   */
  readonly dependsOnNames: boolean;
  /** What running it does to the session's names (DECLARE, CLOSE, DEALLOCATE), applied at Execute. */
  readonly effects: readonly SessionEffect[];
}

/** What one name may refer to on the server; `seq` orders it against later DEALLOCATE/Close. */
export type PreparedCandidate =
  | { readonly seq: number; readonly source: 'protocol'; readonly statement: ParsedStatement }
  | { readonly seq: number; readonly source: 'sql'; readonly facts: CommandFacts };

/**
 * Everything a prepared-statement name may stand for. The agent forwards messages before the server
 * answers the earlier ones, so it cannot know whether a Parse or PREPARE of a name that already
 * exists succeeded (the server keeps the first and fails with 42P05) or whether a DEALLOCATE ran. It
 * keeps every candidate instead and uses all of them (a statement is decided and masked as the union
 * of what the name may mean); candidates are dropped only when the server confirms a DEALLOCATE or
 * Close, or when an unnamed Parse replaces the unnamed statement (which always succeeds or leaves
 * none). Over-masking after a refused duplicate is the price of never masking too little.
 */
export class PreparedEntry {
  readonly candidates: PreparedCandidate[] = [];

  /** Facts of every candidate (for SQL EXECUTE and for deciding again). */
  get facts(): CommandFacts[] {
    return this.candidates.flatMap((c) => (c.source === 'protocol' ? c.statement.facts : [c.facts]));
  }

  /** Whether a Describe(S) answer needs column origins resolved (some candidate is masked). */
  get masked(): boolean {
    return this.candidates.some((c) => c.source === 'sql' || c.statement.mask !== undefined);
  }
}

/** The session's prepared-statement names; SQL PREPARE and protocol Parse share one name space. */
export class PreparedStatements {
  /** Statements one name may stand for at once, and in all (beyond: refused, 54000). */
  static readonly MAX_PER_NAME = 32;
  static readonly MAX_TOTAL = 10_000;
  static readonly LIMIT_MESSAGE = `too many prepared statements in this session (at most ${PreparedStatements.MAX_TOTAL}, ${PreparedStatements.MAX_PER_NAME} per name until DEALLOCATE)`;

  private readonly entries = new Map<string, PreparedEntry>();
  private counter = 0;
  private total = 0;

  /** A position in the session's message order (taken when a message is forwarded). */
  next(): number {
    this.counter += 1;
    return this.counter;
  }

  get(name: string): PreparedEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * A Parse forwarded to the server: the unnamed statement is replaced, a named one may be (or 42P05).
   * False (nothing recorded) when the limits are reached: the caller refuses the Parse.
   */
  addParsed(name: string, statement: ParsedStatement): boolean {
    if (name === '') this.drop('');
    return this.add(name, { seq: this.next(), source: 'protocol', statement });
  }

  /** A SQL PREPARE forwarded to the server; false when the limits are reached (refuse it). */
  addPrepared(name: string, facts: CommandFacts): boolean {
    return this.add(name, { seq: this.next(), source: 'sql', facts });
  }

  private add(name: string, candidate: PreparedCandidate): boolean {
    const entry = this.entries.get(name) ?? new PreparedEntry();
    if (entry.candidates.length >= PreparedStatements.MAX_PER_NAME || this.total >= PreparedStatements.MAX_TOTAL) return false;
    entry.candidates.push(candidate);
    this.total += 1;
    this.entries.set(name, entry);
    return true;
  }

  /** Forget a name now (a refused Parse: Bind of it is then refused, which is the safe side). */
  drop(name: string): void {
    this.total -= this.entries.get(name)?.candidates.length ?? 0;
    this.entries.delete(name);
  }

  /**
   * The server confirmed DEALLOCATE/Close of `name` (null: all) forwarded at position `seq`: every
   * candidate created before it is gone; candidates forwarded after it stay.
   */
  forget(name: string | null, seq: number): void {
    const names = name === null ? [...this.entries.keys()] : [name];
    for (const key of names) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      const kept = entry.candidates.filter((c) => c.seq > seq);
      this.total -= entry.candidates.length - kept.length;
      if (kept.length === 0) this.entries.delete(key);
      else entry.candidates.splice(0, entry.candidates.length, ...kept);
    }
  }
}
