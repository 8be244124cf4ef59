// The keep-alive connection pool towards one upstream (undici 7; libraries.md §10 "forward normal
// requests with undici Pool"), with the TLS settings the connection configures.
import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';

export interface UpstreamTls {
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly serverName?: string | undefined;
  readonly insecureSkipVerify: boolean;
}

/** Largest response head the upstream may send. */
const MAX_UPSTREAM_HEADER_BYTES = 65_536;
const KEEP_ALIVE_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export async function createUpstreamPool(url: URL, tls: UpstreamTls | undefined, maxConnections: number): Promise<Pool> {
  const https = url.protocol === 'https:';
  const connect = https
    ? {
        ...(tls?.caFile ? { ca: await readFile(tls.caFile) } : {}),
        ...(tls?.certFile ? { cert: await readFile(tls.certFile) } : {}),
        ...(tls?.keyFile ? { key: await readFile(tls.keyFile) } : {}),
        ...(tls?.serverName ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
        minVersion: 'TLSv1.2' as const,
        timeout: CONNECT_TIMEOUT_MS,
      }
    : { timeout: CONNECT_TIMEOUT_MS };
  return new Pool(url.origin, {
    connections: maxConnections,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: MAX_UPSTREAM_HEADER_BYTES,
    connect,
  });
}

/** The upstream URL's path without a trailing slash ('' for the root), prefixed to every request path. */
export function basePathOf(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}
