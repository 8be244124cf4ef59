import type { ColumnDescription } from '@sluice/postgres-wire';
import type { SluiceError } from './pg-errors.js';
import type { CompiledMask } from './result-masker.js';
import type { ParsedStatement } from './prepared-statements.js';

/**
 * One Bind of a portal name through Sluice, and the decision it was made under. A name may have
 * several (a second Bind of an existing name fails on the server, which keeps the first): an Execute
 * is decided and masked as all of them.
 */
export interface PortalInfo {
  /** What the portal runs, as decided (every candidate statement of the name bound, when there were several). */
  readonly decided: ParsedStatement;
  /** Position of the Bind in the session's message order (a transaction ending after it drops the portal). */
  readonly seq: number;
}

/** The columns of the portal an Execute runs, filled by the internal Describe(P) sent just before it. */
export interface ExecuteColumns {
  columns: readonly ColumnDescription[] | undefined;
}

/** Everything needed to record a command's completion. */
export interface CommandRecord {
  readonly text: string;
  readonly startedAt: number;
  /** Run when the server reports the command done without error (DEALLOCATE takes effect then). */
  readonly onSuccess?: () => void;
}

/**
 * What the backend will answer, in order. Every client message we forward that the server answers
 * pushes one of these; every backend response is attributed to the head. After an ErrorResponse the
 * server skips everything up to the next Sync, and so do we.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export type Expectation =
  | {
      readonly kind: 'query';
      readonly mask: CompiledMask | undefined;
      /** What its statements read and write: computed result columns are masked by their tables' rules. */
      readonly tables: readonly string[];
      readonly commands: readonly CommandRecord[];
      /** Set when the Query was replaced by a poison that makes the server fail it. */
      readonly refusal: Refusal | undefined;
      completed: number;
      /** Position in the session's message order: an idle ReadyForQuery drops portals bound before it. */
      readonly seq: number;
    }
  | { readonly kind: 'parse'; readonly refusal: Refusal | undefined; readonly command: CommandRecord }
  | { readonly kind: 'bind'; readonly refusal: Refusal | undefined }
  | {
      readonly kind: 'describe';
      /** Whether what is described is masked (its column origins are then resolved first). */
      readonly masked: boolean;
      /** Sent by the agent before a masked Execute: its answer fills `columns` and is not forwarded. */
      readonly internal: ExecuteColumns | undefined;
    }
  | {
      readonly kind: 'execute';
      readonly mask: CompiledMask | undefined;
      readonly tables: readonly string[];
      /** The portal's columns (masked Executes only). */
      readonly columns: ExecuteColumns;
      readonly command: CommandRecord;
      rows: number;
    }
  | { readonly kind: 'close'; readonly onSuccess: (() => void) | undefined }
  | { readonly kind: 'sync'; readonly seq: number };

/** A refused command, and the unique token its poison carries so we can recognise the server's error. */
export interface Refusal {
  readonly token: string;
  readonly error: SluiceError;
}

export class ResponseTracker {
  private readonly queue: Expectation[] = [];

  expect(expectation: Expectation): void {
    this.queue.push(expectation);
  }

  get head(): Expectation | undefined {
    return this.queue[0];
  }

  shift(): Expectation | undefined {
    return this.queue.shift();
  }

  /** After an error in the extended protocol: drop what the server will skip, up to the next Sync. */
  skipToSync(): Expectation[] {
    const skipped: Expectation[] = [];
    while (this.queue.length > 0 && this.queue[0]?.kind !== 'sync') {
      const next = this.queue.shift();
      if (next) skipped.push(next);
    }
    return skipped;
  }

  /** Refusals still waiting for their poison error (to recognise it by token). */
  pendingRefusals(): Refusal[] {
    const refusals: Refusal[] = [];
    for (const e of this.queue) if ((e.kind === 'query' || e.kind === 'parse' || e.kind === 'bind') && e.refusal) refusals.push(e.refusal);
    return refusals;
  }

  get length(): number {
    return this.queue.length;
  }
}
