// Which headers cross the agent, in each direction (RFC 9110 §7.6.1 hop-by-hop fields; DESIGN.md
// "Protocol notes": the client's Authorization is never forwarded). Pure.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Connection-specific fields (RFC 9110 §7.6.1, RFC 9112 §9.6) plus the legacy ones proxies drop. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Never forwarded upstream: the client's credentials, what the agent sets itself, and fields
 * frameworks read as the request's real path or client address (`X-Original-URL` makes IIS/Symfony
 * route a request to another path than the one policy judged).
 */
const CLIENT_ONLY = new Set([
  'authorization',
  'host',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
]);

/** Describe the representation as the upstream sent it: wrong once the body is rewritten. */
const REPRESENTATION = [
  'content-length',
  'etag',
  'content-encoding',
  'content-md5',
  'digest',
  'repr-digest',
  'content-digest',
  'content-range',
  'accept-ranges',
];

/** Names listed in Connection (RFC 9110 §7.6.1) are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Set<string> {
  const value = headers.connection;
  const listed = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',')) {
    const name = part.trim().toLowerCase();
    if (name) listed.add(name);
  }
  return listed;
}

export interface UpstreamHeaderOptions {
  /** Extra names to drop (e.g. the credential header the agent sets, `impersonate-*` for Kubernetes). */
  readonly drop: (name: string) => boolean;
  /** Set after filtering; the agent's credentials and forwarding fields. */
  readonly set: Readonly<Record<string, string | readonly string[]>>;
}

/** Client request headers → upstream request headers. */
export function upstreamRequestHeaders(client: IncomingHttpHeaders, options: UpstreamHeaderOptions): Record<string, string | string[]> {
  const listed = connectionListed(client);
  const out: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(client)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || CLIENT_ONLY.has(name) || options.drop(name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(options.set)) out[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  return out;
}

/** Upstream response headers → client response headers; `rewritten`: the body is not the upstream's bytes. */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>, rewritten: boolean): OutgoingHttpHeaders {
  const listed = connectionListed(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const [rawName, value] of Object.entries(upstream)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    if (rewritten && REPRESENTATION.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The bearer token of an `Authorization: Bearer …` header (RFC 6750 §2.1), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  return match?.[1];
}

/** A header value as one string (repeated fields joined as RFC 9110 §5.3 allows). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
