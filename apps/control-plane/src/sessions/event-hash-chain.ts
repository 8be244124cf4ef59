import { createHash } from 'node:crypto';

// The per-session hash chain over recorded events (DESIGN.md "Recording and audit"; docs/audit.md
// "Hash chain"). Pure: no database, no clock. Changing anything here changes every hash ever
// stored — the encoding is versioned ("v1") and must never be edited in place.

/** What event 1 of every session chains from. */
export const GENESIS_HASH = '0'.repeat(64);

/** Kinds that end a session's log: a log without one is not complete. */
export const TERMINAL_KINDS: ReadonlySet<string> = new Set(['session.closed', 'session.terminated']);

/** Payloads nest at most this deep (deeper ones are recorded as malformed, never stored as sent). */
export const MAX_PAYLOAD_DEPTH = 64;

const HASH_DOMAIN = 'sluice.session-event.v1';

/** The fields of one event that its hash covers. */
export interface ChainedEventFields {
  readonly sessionId: string;
  readonly seq: number;
  readonly kind: string;
  readonly occurredAt: Date;
  readonly payload: unknown;
}

/**
 * Canonical JSON (after RFC 8785): object keys sorted by UTF-16 code units, no whitespace, numbers
 * and strings as ECMAScript's JSON.stringify writes them, non-finite numbers as null. The same value
 * always encodes to the same text, whatever key order or spacing it arrived with — so the hash of
 * a payload survives PostgreSQL's jsonb normalisation.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** SHA-256 (hex) of one event chained to the hash of the event before it. */
export function eventHash(event: ChainedEventFields, prevHash: string): string {
  return eventHashOfJson(event, prevHash, canonicalJson(event.payload));
}

/**
 * The same hash, for a caller that already holds the payload's canonical JSON (`payloadJson` must be
 * `canonicalJson(payload)`): of the canonical JSON of `[domain, session id, seq, kind, occurred at,
 * payload, previous hash]`, with the payload spliced in as is.
 */
export function eventHashOfJson(event: Omit<ChainedEventFields, 'payload'>, prevHash: string, payloadJson: string): string {
  const head = canonicalJson([HASH_DOMAIN, event.sessionId.toLowerCase(), event.seq, event.kind, event.occurredAt.toISOString()]);
  const encoded = `${head.slice(0, -1)},${payloadJson},${JSON.stringify(prevHash)}]`;
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}

export type SanitizedPayload = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

// Lone UTF-16 surrogates and NUL cannot be stored in PostgreSQL text/jsonb; they become U+FFFD.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storableString(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/**
 * A parsed payload made storable exactly as it will later be read back: strings and keys without
 * NUL or lone surrogates, non-finite numbers as null, nesting bounded. Keys such as `__proto__`
 * stay ordinary data (Object.fromEntries defines them; it never sets a prototype). The readable
 * definition: ingestion uses storablePayloadJson, which its tests hold equal to this.
 */
export function sanitizePayload(value: unknown, depth = 0): SanitizedPayload {
  if (depth > MAX_PAYLOAD_DEPTH) return { ok: false, problem: `payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels` };
  if (value === null || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') return { ok: true, value: Number.isFinite(value) ? value : null };
  if (typeof value === 'string') return { ok: true, value: storableString(value) };
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value as unknown[]) {
      const clean = sanitizePayload(item, depth + 1);
      if (!clean.ok) return clean;
      items.push(clean.value);
    }
    return { ok: true, value: items };
  }
  if (typeof value === 'object') {
    const entries: [string, unknown][] = [];
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const clean = sanitizePayload(item, depth + 1);
      if (!clean.ok) return clean;
      entries.push([storableString(key), clean.value]);
    }
    return { ok: true, value: Object.fromEntries(entries) };
  }
  return { ok: false, problem: `payload holds a ${typeof value}` };
}

export type StorableJson = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly problem: string };

/**
 * `canonicalJson(sanitizePayload(value).value)` in one pass, without building the sanitised copy:
 * what ingestion stores and hashes. Fails exactly when `sanitizePayload` does.
 */
export function storablePayloadJson(value: unknown): StorableJson {
  const out: string[] = [];
  const problem = writeStorable(value, 0, out);
  return problem === null ? { ok: true, json: out.join('') } : { ok: false, problem };
}

function writeStorable(value: unknown, depth: number, out: string[]): string | null {
  if (depth > MAX_PAYLOAD_DEPTH) return `payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels`;
  if (value === null) {
    out.push('null');
    return null;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return null;
    case 'number':
      out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
      return null;
    case 'string':
      out.push(JSON.stringify(storableString(value)));
      return null;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          const problem = writeStorable(value[i], depth + 1, out);
          if (problem !== null) return problem;
        }
        out.push(']');
        return null;
      }
      // Keys that become equal once made storable collapse, the last one winning (as Object.fromEntries does).
      const fields = new Map<string, string>();
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const encoded: string[] = [];
        const problem = writeStorable(item, depth + 1, encoded);
        if (problem !== null) return problem;
        fields.set(storableString(key), encoded.join(''));
      }
      const keys = [...fields.keys()].sort();
      out.push('{');
      keys.forEach((key, i) => out.push(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:${fields.get(key) ?? 'null'}`));
      out.push('}');
      return null;
    }
    default:
      return `payload holds a ${typeof value}`;
  }
}

/** One stored event as verification reads it back. */
export interface StoredChainEvent extends ChainedEventFields {
  readonly prevHash: string | null;
  readonly hash: string | null;
}

/** What the chain table remembers of a session: the chained prefix and how many events were stored. */
export interface ChainHeadRecord {
  readonly chainedSeq: number;
  readonly headHash: string;
  readonly storedCount: number;
}

export interface ChainVerification {
  /** Events stored for the session. */
  readonly events: number;
  /** Every event from 1 to the session's end is present and chained. */
  readonly complete: boolean;
  /** No stored event was altered, removed or reordered since it was recorded. */
  readonly intact: boolean;
  readonly firstBadSeq?: number;
  readonly problem?: string;
  /** The last event the chain was verified through, and its hash (0 and the genesis value when none). */
  readonly verifiedThroughSeq: number;
  readonly headHash: string;
}

/** What the verifier needs to know about the session besides its events. */
export interface SessionFacts {
  readonly exists: boolean;
  readonly closed: boolean;
  readonly principalId: string;
  readonly connection: string;
}

type WalkStop =
  | { readonly kind: 'gap'; readonly missingSeq: number }
  | { readonly kind: 'unchained'; readonly seq: number }
  | { readonly kind: 'relinked'; readonly seq: number }
  | { readonly kind: 'altered'; readonly seq: number }
  | { readonly kind: 'mismatched-opening'; readonly seq: number; readonly what: string };

/**
 * Recomputes a session's chain from its stored rows, fed in seq order (in pages, so memory stays
 * bounded), and judges it against the chain head recorded at ingestion. The rows alone cannot show
 * that events at the end were removed; the head record can (docs/audit.md "What verify proves").
 */
export class ChainVerifier {
  private expected = 1;
  private prev = GENESIS_HASH;
  private lastKind: string | undefined;
  private stop: WalkStop | undefined;

  constructor(
    private readonly sessionId: string,
    private readonly session: SessionFacts,
  ) {}

  /** Feeds the next stored event; false once verification has stopped (no need to read further). */
  push(row: StoredChainEvent): boolean {
    if (this.stop) return false;
    if (row.seq !== this.expected) {
      this.stop = { kind: 'gap', missingSeq: this.expected };
      return false;
    }
    if (row.hash === null || row.prevHash === null) {
      this.stop = { kind: 'unchained', seq: row.seq };
      return false;
    }
    if (row.prevHash !== this.prev) {
      this.stop = { kind: 'relinked', seq: row.seq };
      return false;
    }
    if (eventHash({ ...row, sessionId: this.sessionId }, this.prev) !== row.hash) {
      this.stop = { kind: 'altered', seq: row.seq };
      return false;
    }
    if (row.seq === 1 && row.kind === 'session.opened') {
      const mismatch = this.openingMismatch(row.payload);
      if (mismatch) {
        this.stop = { kind: 'mismatched-opening', seq: 1, what: mismatch };
        return false;
      }
    }
    this.prev = row.hash;
    this.lastKind = row.kind;
    this.expected += 1;
    return true;
  }

  /** The verdict, given the head recorded at ingestion (undefined: none) and the number of rows stored. */
  result(head: ChainHeadRecord | undefined, storedEvents: number): ChainVerification {
    const through = this.expected - 1;
    const base = { events: storedEvents, verifiedThroughSeq: through, headHash: this.prev };
    const tampered = (firstBadSeq: number | undefined, problem: string): ChainVerification => ({
      ...base,
      complete: false,
      intact: false,
      ...(firstBadSeq === undefined ? {} : { firstBadSeq }),
      problem,
    });
    const incomplete = (firstBadSeq: number | undefined, problem: string): ChainVerification => ({
      ...base,
      complete: false,
      intact: true,
      ...(firstBadSeq === undefined ? {} : { firstBadSeq }),
      problem,
    });

    const stop = this.stop;
    if (stop) {
      switch (stop.kind) {
        case 'altered':
          return tampered(stop.seq, `event ${stop.seq} was altered after it was recorded (its content does not match its hash)`);
        case 'relinked':
          return tampered(stop.seq, `event ${stop.seq} does not follow event ${stop.seq - 1} (events were reordered or replaced)`);
        case 'unchained':
          return tampered(stop.seq, `event ${stop.seq} has no hash although every event before it is stored`);
        case 'mismatched-opening':
          return tampered(stop.seq, `the session record does not match its recorded opening (${stop.what})`);
        case 'gap':
          break;
      }
    }
    if (!head) {
      return storedEvents === 0 && this.session.exists
        ? incomplete(undefined, 'no events have been recorded for this session yet')
        : tampered(storedEvents === 0 ? undefined : 1, 'the chain record of this session is missing');
    }
    if (stop?.kind === 'gap') {
      if (stop.missingSeq <= head.chainedSeq)
        return tampered(stop.missingSeq, `event ${stop.missingSeq} was deleted after it was recorded`);
      if (storedEvents < head.storedCount) return tampered(undefined, `${head.storedCount - storedEvents} recorded event(s) were deleted`);
      return incomplete(stop.missingSeq, `event ${stop.missingSeq} has not been received yet; the events after it wait to be chained`);
    }
    if (head.chainedSeq > through) {
      return tampered(through + 1, `events ${through + 1} to ${head.chainedSeq} were deleted after they were recorded`);
    }
    if (head.chainedSeq === through && head.headHash !== this.prev) {
      return tampered(through === 0 ? undefined : through, 'the chain head does not match the recorded events');
    }
    if (storedEvents < head.storedCount) return tampered(undefined, `${head.storedCount - storedEvents} recorded event(s) were deleted`);
    if (through === 0) return incomplete(undefined, 'no events have been recorded for this session yet');
    if (this.lastKind === undefined || !TERMINAL_KINDS.has(this.lastKind)) {
      return incomplete(
        undefined,
        this.session.closed
          ? `the log ends at event ${through} without session.closed (the closing events have not arrived)`
          : `the session is still open; its log runs to event ${through} so far`,
      );
    }
    return { ...base, complete: true, intact: true };
  }

  private openingMismatch(payload: unknown): string | undefined {
    if (typeof payload !== 'object' || payload === null) return undefined;
    const opened = payload as { connection?: unknown; principal?: { id?: unknown } };
    if (typeof opened.connection === 'string' && opened.connection !== this.session.connection) return 'connection';
    const principalId = opened.principal?.id;
    if (typeof principalId === 'string' && principalId !== this.session.principalId) return 'principal';
    return undefined;
  }
}
