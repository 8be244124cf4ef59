import type { ReadableStreamDefaultReader } from 'node:stream/web';

/**
 * The only I/O of this library: GET a small JSON document (a JWKS or an OIDC discovery document)
 * from a trusted issuer. Guarded so that a broken or hostile issuer endpoint cannot hurt us:
 * no redirects followed, a byte cap, a deadline (the caller's AbortSignal), and — after a failure —
 * no new request for a back-off period, so a flood of tokens during an issuer outage does not
 * become a flood of requests (jose's own cooldown only starts after a *successful* fetch).
 */

export class DocumentFetchError extends Error {
  override readonly name = 'DocumentFetchError';
}

export interface GuardedFetchOptions {
  /** Largest response body accepted. */
  readonly maxBytes: number;
  /** After a failed fetch, fail fast for this long instead of asking the issuer again. */
  readonly failureBackoffMs: number;
  /** Shape check on the parsed JSON; a document that fails it counts as a failed fetch. */
  readonly accept: (json: unknown) => boolean;
}

/** Matches jose's `FetchImplementation` (the `customFetch` option of `createRemoteJWKSet`). */
export type GuardedFetch = (url: string, init: { readonly headers?: Headers; readonly signal: AbortSignal }) => Promise<Response>;

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  let failedAt: number | undefined;
  return async (url, init) => {
    if (failedAt !== undefined && Date.now() - failedAt < options.failureBackoffMs) {
      throw new DocumentFetchError('the last fetch failed; backing off before asking the issuer again');
    }
    try {
      const response = await fetch(url, {
        method: 'GET',
        redirect: 'manual',
        signal: init.signal,
        ...(init.headers ? { headers: init.headers } : {}),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new DocumentFetchError(`expected HTTP 200, got ${response.status}`);
      }
      const bytes = await readCapped(response, options.maxBytes);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        throw new DocumentFetchError('the response is not JSON');
      }
      if (!options.accept(json)) throw new DocumentFetchError('the response does not have the expected shape');
      failedAt = undefined;
      return new Response(bytes, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (error) {
      failedAt = Date.now();
      throw error;
    }
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new DocumentFetchError(`the response is larger than ${maxBytes} bytes`);
  }
  // undici types the body as ReadableStream<any>; it yields bytes.
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new DocumentFetchError(`the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JWK Set: an object whose `keys` is an array of objects (RFC 7517 §5). */
export function looksLikeJwks(value: unknown): boolean {
  return isJsonObject(value) && Array.isArray(value.keys) && value.keys.every(isJsonObject);
}
