// Facts about one HTTP request, as policy sees them (libs/policy README, "paths"; DESIGN.md "The
// per-command flow"). Pure: no sockets.
import type { CommandFacts } from '../link/link-types.js';

/** Query parameter names whose values never leave the agent (recordings, decision requests). */
const SECRET_QUERY_KEY =
  /(token|secret|passw(or)?d|pwd|api[-_]?key|apikey|signature|sig$|^sig|auth|credential|session|^code$|^key$|private)/i;
export const REDACTED_QUERY_VALUE = '[redacted]';

/** More keys than this is refused, rather than silently dropping one a policy might test. */
export const MAX_QUERY_KEYS = 100;
const MAX_QUERY_VALUE_CHARS = 1024;
const MAX_CONTENT_TYPE_CHARS = 128;

export type RequestTargetProblem = 'not-origin-form' | 'too-many-query-keys';

export interface RequestTarget {
  /** The path exactly as the client sent it (percent-encoding kept): what policy judges and upstream receives. */
  readonly rawPath: string;
  /** The raw query string without `?` ('' when absent). */
  readonly rawQuery: string;
  /** Decoded query, repeated keys joined with ',' (secret-looking values redacted). */
  readonly query: Readonly<Record<string, string>>;
  /** The query re-encoded with secret-looking values redacted: safe to record. */
  readonly redactedQuery: string;
}

/**
 * Splits an origin-form request target (`/path?query`, RFC 9112 §3.2.1). Absolute-form
 * (`http://other/…`), authority-form and `*` are refused: the agent only ever forwards to its one
 * upstream, and what policy judged must be exactly what is forwarded.
 */
export function parseRequestTarget(url: string): RequestTarget | RequestTargetProblem {
  if (!url.startsWith('/')) return 'not-origin-form';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const pairs = splitQuery(rawQuery);
  const keys = new Set(pairs.map(([k]) => k));
  if (keys.size > MAX_QUERY_KEYS) return 'too-many-query-keys';
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of pairs) {
    const shown = isSecretQueryKey(key) ? REDACTED_QUERY_VALUE : value.slice(0, MAX_QUERY_VALUE_CHARS);
    query[key] = key in query ? `${query[key] ?? ''},${shown}` : shown;
  }
  const redactedQuery = pairs
    .map(([key, value]) => `${encodeURIComponent(key)}=${isSecretQueryKey(key) ? REDACTED_QUERY_VALUE : encodeURIComponent(value)}`)
    .join('&');
  return { rawPath, rawQuery, query: { ...query }, redactedQuery };
}

export function isSecretQueryKey(key: string): boolean {
  return SECRET_QUERY_KEY.test(key);
}

/** `application/x-www-form-urlencoded` decoding of one component; malformed escapes stay as written. */
export function decodeQueryComponent(text: string): string {
  const plus = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** `a=1&b&c=2` → [['a','1'], ['b',''], ['c','2']]; empty pieces are skipped. */
export function splitQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  const out: [string, string][] = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    out.push(
      eq < 0 ? [decodeQueryComponent(piece), ''] : [decodeQueryComponent(piece.slice(0, eq)), decodeQueryComponent(piece.slice(eq + 1))],
    );
  }
  return out;
}

/** `http.<METHOD>` plus the request facts; the fingerprint covers what `match` reads (method, path). */
export function httpCommandFacts(method: string, target: RequestTarget, contentType: string | undefined): CommandFacts {
  const upper = method.toUpperCase();
  return {
    classes: [`http.${upper}`],
    tables: [],
    tablesWritten: [],
    functions: [],
    hasWhere: null,
    text: `${upper} ${target.rawPath}${target.redactedQuery ? `?${target.redactedQuery}` : ''}`,
    fingerprint: `http\u0000${upper}\u0000${target.rawPath}`,
    http: {
      method: upper,
      path: target.rawPath,
      query: target.query,
      contentType: (contentType ?? '').slice(0, MAX_CONTENT_TYPE_CHARS),
    },
  };
}
