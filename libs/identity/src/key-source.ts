import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FlattenedJWSInput,
  type RemoteJWKSet,
} from 'jose';
import { createGuardedFetch, isJsonObject, looksLikeJwks } from './guarded-fetch.js';
import { urlProblem, type AcceptedIssuer, type TrustedIssuerConfig } from './trusted-issuer.schema.js';

const MAX_JWKS_BYTES = 256 * 1024;
const MAX_DISCOVERY_BYTES = 64 * 1024;

/** Why no key came out of the resolver; mapped to a TokenErrorCode by the verifier. */
export class KeyResolutionError extends Error {
  override readonly name = 'KeyResolutionError';
  constructor(
    readonly reason: 'unknown-key' | 'ambiguous-key' | 'unavailable',
    detail: string,
  ) {
    super(detail);
  }
}

export type KeyResolver = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/**
 * One jose `createRemoteJWKSet` per key-set URL, created once and kept for the verifier's life:
 * it caches the keys, refetches when the cache is older than `cacheMaxAgeSeconds`, and refetches on
 * an unknown `kid` at most once per `cooldownSeconds` — so a rotated key is picked up without a
 * restart, and a flood of made-up `kid`s costs the issuer one request per cooldown.
 */
export class KeySources {
  private readonly byUrl = new Map<string, RemoteJWKSet>();
  private readonly discovered = new Map<string, () => Promise<RemoteJWKSet>>();

  resolverFor(accepted: AcceptedIssuer): KeyResolver {
    const { config, jwksUri } = accepted;
    const remote = jwksUri !== undefined ? constant(this.remoteSet(jwksUri, config)) : this.discoveredSet(config);
    return async (header, token) => {
      let keySet: RemoteJWKSet;
      try {
        keySet = await remote();
      } catch (error) {
        throw new KeyResolutionError('unavailable', `OIDC discovery failed: ${describe(error)}`);
      }
      try {
        return await keySet(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey)
          throw new KeyResolutionError('unknown-key', 'no key in the issuer key set matches kid and alg');
        if (error instanceof errors.JWKSMultipleMatchingKeys)
          throw new KeyResolutionError('ambiguous-key', 'several keys in the issuer key set match');
        throw new KeyResolutionError('unavailable', `fetching the issuer key set failed: ${describe(error)}`);
      }
    };
  }

  private remoteSet(url: string, config: TrustedIssuerConfig): RemoteJWKSet {
    const existing = this.byUrl.get(url);
    if (existing) return existing;
    const { cooldownSeconds, cacheMaxAgeSeconds, timeoutMs } = config.keyFetch;
    const created = createRemoteJWKSet(new URL(url), {
      cooldownDuration: cooldownSeconds * 1000,
      cacheMaxAge: cacheMaxAgeSeconds * 1000,
      timeoutDuration: timeoutMs,
      [customFetch]: createGuardedFetch({ maxBytes: MAX_JWKS_BYTES, failureBackoffMs: cooldownSeconds * 1000, accept: looksLikeJwks }),
    });
    this.byUrl.set(url, created);
    return created;
  }

  /**
   * OIDC Discovery 1.0 §4: GET `{issuer}/.well-known/openid-configuration`; the document's `issuer`
   * must equal ours exactly (§4.3), else anyone serving that path could substitute keys. Done on
   * first use, then remembered; a failure is retried no sooner than the cooldown.
   */
  private discoveredSet(config: TrustedIssuerConfig): () => Promise<RemoteJWKSet> {
    if (config.kind !== 'oidc') throw new Error('only oidc issuers use discovery');
    const existing = this.discovered.get(config.issuer);
    if (existing) return existing;
    const { issuer } = config;
    const { cooldownSeconds, timeoutMs } = config.keyFetch;
    const guardedFetch = createGuardedFetch({
      maxBytes: MAX_DISCOVERY_BYTES,
      failureBackoffMs: cooldownSeconds * 1000,
      accept: (json) =>
        isJsonObject(json) && json.issuer === issuer && typeof json.jwks_uri === 'string' && urlProblem(json.jwks_uri) === undefined,
    });
    let pending: Promise<RemoteJWKSet> | undefined;
    const load = (): Promise<RemoteJWKSet> => {
      pending ??= (async () => {
        const response = await guardedFetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
          headers: new Headers({ accept: 'application/json' }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const document = (await response.json()) as { jwks_uri: string };
        return this.remoteSet(document.jwks_uri, config);
      })();
      // Forget a failure so a later call may retry (the guarded fetch enforces the back-off).
      pending.catch(() => {
        pending = undefined;
      });
      return pending;
    };
    this.discovered.set(issuer, load);
    return load;
  }
}

function constant<T>(value: T): () => Promise<T> {
  const promise = Promise.resolve(value);
  return () => promise;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'unknown error';
}
