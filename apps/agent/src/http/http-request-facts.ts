import { randomBytes } from 'node:crypto';
// Facts about one HTTP request, as policy sees them (libs/policy README, "paths"; DESIGN.md "The
// per-command flow"). Pure: no sockets.
import type { CommandFacts } from '../link/link-types.js';

/** Query parameter names whose values never leave the agent (recordings, decision requests). */
const SECRET_QUERY_KEY =
  /(token|secret|passw(or)?d|pwd|api[-_]?key|apikey|signature|sig$|^sig|auth|credential|session|^code$|^key$|private)/i;
export const REDACTED_QUERY_VALUE = '[redacted]';

/** More keys than this is refused, rather than silently dropping one a policy might test. */
export const MAX_QUERY_KEYS = 100;
/** A longer query value is refused, rather than cut short before a policy reads it. */
export const MAX_QUERY_VALUE_CHARS = 8192;
/** Recordings keep this much of each value. */
const RECORDED_QUERY_VALUE_CHARS = 1024;
const MAX_CONTENT_TYPE_CHARS = 128;
/** Method-override conventions upstream frameworks honour (the request runs as that method). */
const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;
const METHOD_OVERRIDE_QUERY_KEY = '_method';

export type RequestTargetProblem = 'not-origin-form' | 'not-canonical' | 'too-many-query-keys' | 'query-value-too-long';

export interface RequestTarget {
  /** The path exactly as the client sent it (percent-encoding kept): what policy judges and upstream receives. */
  readonly rawPath: string;
  /** The raw query string without `?` ('' when absent). */
  readonly rawQuery: string;
  /**
   * Decoded query, repeated keys joined with ',', for the decision (values as sent: a condition on
   * `include_private` must see `true`, not a redaction). Never recorded; `redactedQuery` is.
   */
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
  if (!isForwardablePath(rawPath)) return 'not-canonical';
  const pairs = splitQuery(rawQuery);
  const keys = new Set(pairs.map(([k]) => k));
  if (keys.size > MAX_QUERY_KEYS) return 'too-many-query-keys';
  if (pairs.some(([, value]) => value.length > MAX_QUERY_VALUE_CHARS)) return 'query-value-too-long';
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of pairs) query[key] = key in query ? `${query[key] ?? ''},${value}` : value;
  const redactedQuery = pairs
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${isSecretQueryKey(key) ? REDACTED_QUERY_VALUE : encodeURIComponent(value.slice(0, RECORDED_QUERY_VALUE_CHARS))}`,
    )
    .join('&');
  return { rawPath, rawQuery, query: { ...query }, redactedQuery };
}

/**
 * Whether the agent forwards this path at all. Servers disagree on `..`, `.`, `//`, `\`, `;params`
 * and encoded separators (a WHATWG-normalising upstream reads `/api/%2e%2e/internal` as `/internal`,
 * outside the connection's base path), so such paths are refused outright rather than judged: the
 * same forms libs/policy's path matching calls "not canonical". Percent-encoded unreserved
 * characters are fine (`/adm%69n` is `/admin` to policy and upstream alike).
 */
export function isForwardablePath(path: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are the point
  if (/[\u0000-\u001f\u007f\\;#]/.test(path)) return false;
  // A malformed escape; an encoded "/", "\\", ";", "%" or control character.
  if (/%(?![0-9A-Fa-f]{2})/.test(path) || /%(2[fF]|5[cC]|3[bB]|25|[01][0-9A-Fa-f]|7[fF])/.test(path)) return false;
  // An encoded "." is a dot to most servers: "/%2e%2e/" is "/../".
  const segments = path
    .replace(/%2[eE]/g, '.')
    .split('/')
    .slice(1);
  return segments.every((segment, i) => segment !== '.' && segment !== '..' && (segment !== '' || i === segments.length - 1));
}

/** Methods the request asks the upstream to run instead of its own (`X-HTTP-Method-Override`, `?_method=`). */
export function methodOverrides(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  query: Readonly<Record<string, string>>,
): string[] | 'invalid' {
  const values: string[] = [];
  for (const name of METHOD_OVERRIDE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) values.push(...(Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')));
  }
  for (const [key, value] of Object.entries(query)) if (key.toLowerCase() === METHOD_OVERRIDE_QUERY_KEY) values.push(...value.split(','));
  const methods = values.map((v) => v.trim().toUpperCase()).filter((v) => v !== '');
  if (methods.some((m) => !/^[A-Z]{1,32}$/.test(m))) return 'invalid';
  return [...new Set(methods)];
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

/**
 * Whether an approval of this request may be used by a later, identical-looking one (the retry
 * after a client gave up waiting, docs/approvals.md): not when part of what runs is missing from the
 * command text — a request body, or a query value the text shows as `[redacted]`. Such a request's
 * text gets a mark unique to it, so its approval serves the held request itself and nothing else.
 */
export function onlyThisRequest(text: string, unique: boolean): string {
  return unique ? `${text} (approval binds to this request only: ${randomBytes(6).toString('hex')})` : text;
}

/** True when the request carries a body (declared length > 0, or chunked). */
export function hasRequestBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = headers['content-length'];
  const declared = Number(Array.isArray(length) ? length[0] : length);
  return (Number.isFinite(declared) && declared > 0) || headers['transfer-encoding'] !== undefined;
}

/**
 * `http.<METHOD>` (plus `http.<OVERRIDE>` for every method override the request carries: an allow
 * must cover what the upstream will run) and the request facts; the fingerprint covers what `match`
 * reads (methods, path). The text names the methods the upstream may run; see `onlyThisRequest`.
 */
export function httpCommandFacts(
  method: string,
  target: RequestTarget,
  contentType: string | undefined,
  overrides: readonly string[] = [],
  withBody = false,
): CommandFacts {
  const upper = method.toUpperCase();
  const methods = [...new Set([upper, ...overrides])];
  const classes = methods.map((m) => `http.${m}`);
  const shown = `${upper} ${target.rawPath}${target.redactedQuery ? `?${target.redactedQuery}` : ''}${methods.length > 1 ? ` (as ${methods.slice(1).join(', ')})` : ''}`;
  const redacted = target.redactedQuery.includes(REDACTED_QUERY_VALUE);
  return {
    classes,
    tables: [],
    tablesWritten: [],
    functions: [],
    hasWhere: null,
    text: onlyThisRequest(shown, withBody || redacted),
    fingerprint: `http\u0000${classes.join(',')}\u0000${target.rawPath}`,
    http: {
      method: upper,
      path: target.rawPath,
      query: target.query,
      contentType: (contentType ?? '').slice(0, MAX_CONTENT_TYPE_CHARS),
    },
  };
}
