import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalIssuerServer, createSigningKey, type SigningKey } from '../test/local-issuer-server.js';
import { signTestToken } from './test-token.js';
import { TokenVerifier } from './token-verifier.js';
import { trustedIssuersSchema, type TrustedIssuerConfigInput } from './trusted-issuer.schema.js';

/**
 * Key fetching against a real local HTTP server. Time is moved with a fake `Date` only (jose's
 * cache and cooldown read `Date.now()`); sockets and timeouts stay real, and nothing sleeps.
 */

const TENANT = 'b2222222-3333-4444-8555-66666666666d';
const AUDIENCE = 'api://sluice-keys';
const COOLDOWN_SECONDS = 30;
const CACHE_MAX_AGE_SECONDS = 600;

let server: LocalIssuerServer;
let keyA: SigningKey;
let keyB: SigningKey;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-09-01T10:00:00Z'));
  server = await LocalIssuerServer.start();
  keyA = await createSigningKey('key-a');
  keyB = await createSigningKey('key-b');
  server.publishKeys([keyA.publicJwk]);
});

afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

function entraVerifier(overrides: Partial<TrustedIssuerConfigInput> = {}): TokenVerifier {
  const config = {
    kind: 'entra',
    name: 'entra-keys',
    tenants: [TENANT],
    authorityHost: server.baseUrl,
    audiences: [AUDIENCE],
    keyFetch: { cooldownSeconds: COOLDOWN_SECONDS, cacheMaxAgeSeconds: CACHE_MAX_AGE_SECONDS, timeoutMs: 2000 },
    ...overrides,
  };
  return new TokenVerifier(trustedIssuersSchema.parse([config]));
}

function tokenFor(key: SigningKey, kid: string = key.kid): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return signTestToken(
    key.privateKey,
    { alg: 'RS256', typ: 'JWT', kid },
    {
      iss: `${server.baseUrl}/${TENANT}/v2.0`,
      aud: AUDIENCE,
      tid: TENANT,
      oid: 'a0000000-0000-4000-8000-000000000001',
      sub: 'a0000000-0000-4000-8000-000000000001',
      idtyp: 'app',
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 86_400,
      ver: '2.0',
    },
  );
}

function advanceSeconds(seconds: number): void {
  vi.setSystemTime(new Date(Date.now() + seconds * 1000));
}

describe('JWKS rotation and refetch limits', () => {
  it('fetches from the Entra key path of the tenant', async () => {
    const verifier = entraVerifier();
    expect((await verifier.verify(await tokenFor(keyA))).ok).toBe(true);
    expect(server.requests).toEqual([`/${TENANT}/discovery/v2.0/keys`]);
  });

  it('picks up a newly published key without a restart, once the cooldown has passed', async () => {
    const verifier = entraVerifier();
    expect((await verifier.verify(await tokenFor(keyA))).ok).toBe(true);
    expect(server.keyRequests()).toBe(1);

    server.publishKeys([keyA.publicJwk, keyB.publicJwk]);
    const tokenB = await tokenFor(keyB);
    // Within the cooldown after a fetch, an unknown kid does not cause another request.
    expect(await verifier.verify(tokenB)).toMatchObject({ ok: false, code: 'unknown-key' });
    expect(server.keyRequests()).toBe(1);

    advanceSeconds(COOLDOWN_SECONDS + 1);
    expect((await verifier.verify(tokenB)).ok).toBe(true);
    expect(server.keyRequests()).toBe(2);
    // Both keys are now cached: no further requests.
    expect((await verifier.verify(await tokenFor(keyA))).ok).toBe(true);
    expect(server.keyRequests()).toBe(2);
  });

  it('stops accepting a key the issuer withdrew once the cache expires', async () => {
    const verifier = entraVerifier();
    const tokenA = await tokenFor(keyA);
    expect((await verifier.verify(tokenA)).ok).toBe(true);
    server.publishKeys([keyB.publicJwk]);
    advanceSeconds(CACHE_MAX_AGE_SECONDS + 1);
    expect(await verifier.verify(tokenA)).toMatchObject({ ok: false, code: 'unknown-key' });
  });

  it('answers a flood of 200 unknown kids with at most one request per cooldown', async () => {
    const verifier = entraVerifier();
    expect((await verifier.verify(await tokenFor(keyA))).ok).toBe(true);
    expect(server.keyRequests()).toBe(1);
    const flood = await Promise.all(Array.from({ length: 200 }, (_, index) => tokenFor(keyB, `made-up-${index}`)));

    const first = await Promise.all(flood.map((token) => verifier.verify(token)));
    expect(first.every((result) => !result.ok && result.code === 'unknown-key')).toBe(true);
    expect(server.keyRequests()).toBe(1);

    advanceSeconds(COOLDOWN_SECONDS + 1);
    const second = await Promise.all(flood.map((token) => verifier.verify(token)));
    expect(second.every((result) => !result.ok && result.code === 'unknown-key')).toBe(true);
    expect(server.keyRequests()).toBe(2);

    // Sequentially, too.
    advanceSeconds(COOLDOWN_SECONDS + 1);
    for (const token of flood) expect((await verifier.verify(token)).ok).toBe(false);
    expect(server.keyRequests()).toBe(3);
  });

  it('shares one key set between the verifications of a burst on a cold cache', async () => {
    const verifier = entraVerifier();
    const token = await tokenFor(keyA);
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.keyRequests()).toBe(1);
  });
});

describe('a failing or hostile key endpoint', () => {
  it('reports keys-unavailable on HTTP errors and backs off instead of hammering the issuer', async () => {
    server.scriptReplies((_path, response) => {
      response.writeHead(503).end();
      return true;
    });
    const verifier = entraVerifier();
    const token = await tokenFor(keyA);
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)));
    expect(results.every((result) => !result.ok && result.code === 'keys-unavailable')).toBe(true);
    for (let index = 0; index < 20; index += 1) expect(await verifier.verify(token)).toMatchObject({ code: 'keys-unavailable' });
    expect(server.keyRequests()).toBe(1);

    server.scriptReplies(undefined);
    advanceSeconds(COOLDOWN_SECONDS + 1);
    expect((await verifier.verify(token)).ok).toBe(true);
    expect(server.keyRequests()).toBe(2);
  });

  it('does not follow a redirect to another key set', async () => {
    const attacker = await createSigningKey('attacker');
    server.scriptReplies((path, response) => {
      if (path.startsWith('/attacker')) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attacker.publicJwk] }));
        return true;
      }
      response.writeHead(302, { location: `${server.baseUrl}/attacker/keys` }).end();
      return true;
    });
    const result = await entraVerifier().verify(await tokenFor(attacker));
    expect(result).toMatchObject({ ok: false, code: 'keys-unavailable' });
    expect(server.count((path) => path.startsWith('/attacker'))).toBe(0);
  });

  it.each([
    ['an oversized key set', JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) }), /larger than/],
    ['a body that is not JSON', '<html>', /not JSON/],
    ['JSON that is not a key set', '{"keys":"none"}', /expected shape/],
  ])('refuses %s as keys-unavailable', async (_name, body, why) => {
    server.scriptReplies((_path, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return true;
    });
    const result = await entraVerifier().verify(await tokenFor(keyA));
    expect(result).toMatchObject({
      ok: false,
      code: 'keys-unavailable',
      message: "The issuer's signing keys could not be fetched; try again shortly.",
    });
    expect(result.ok ? '' : result.detail).toMatch(why);
  });

  it('gives up on a key endpoint that never answers, within its deadline', async () => {
    server.scriptReplies(() => true); // accept the request, never respond
    const result = await entraVerifier({ keyFetch: { timeoutMs: 200 } }).verify(await tokenFor(keyA));
    expect(result).toMatchObject({ ok: false, code: 'keys-unavailable' });
  });

  it('reports keys-unavailable when the key endpoint cannot be reached at all', async () => {
    const verifier = entraVerifier();
    const token = await tokenFor(keyA);
    await server.close();
    server = await LocalIssuerServer.start(); // a fresh server for afterEach; the verifier points at the closed port
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'keys-unavailable' });
  });
});

describe('OIDC discovery', () => {
  function oidcVerifier(): TokenVerifier {
    return new TokenVerifier(
      trustedIssuersSchema.parse([{ kind: 'oidc', name: 'idp', issuer: `${server.baseUrl}/realm`, audiences: ['sluice'] }]),
    );
  }

  function oidcToken(key: SigningKey): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    return signTestToken(
      key.privateKey,
      { alg: 'RS256', kid: key.kid },
      { iss: `${server.baseUrl}/realm`, aud: 'sluice', sub: 'u1', iat: issuedAt, exp: issuedAt + 600 },
    );
  }

  it('uses the jwks_uri of a discovery document whose issuer matches exactly, fetched once', async () => {
    server.serveDocument('/realm/.well-known/openid-configuration', {
      issuer: `${server.baseUrl}/realm`,
      jwks_uri: `${server.baseUrl}/realm/certs/jwks`,
    });
    const verifier = oidcVerifier();
    expect((await verifier.verify(await oidcToken(keyA))).ok).toBe(true);
    expect((await verifier.verify(await oidcToken(keyA))).ok).toBe(true);
    expect(server.requests).toEqual(['/realm/.well-known/openid-configuration', '/realm/certs/jwks']);
  });

  it('refuses a discovery document naming another issuer, and retries no sooner than the cooldown', async () => {
    server.serveDocument('/realm/.well-known/openid-configuration', {
      issuer: 'https://attacker.example.com/realm',
      jwks_uri: `${server.baseUrl}/attacker/jwks`,
    });
    const verifier = oidcVerifier();
    const token = await oidcToken(keyA);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'keys-unavailable' });
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'keys-unavailable' });
    expect(server.requests).toEqual(['/realm/.well-known/openid-configuration']);

    server.serveDocument('/realm/.well-known/openid-configuration', {
      issuer: `${server.baseUrl}/realm`,
      jwks_uri: `${server.baseUrl}/realm/jwks`,
    });
    advanceSeconds(COOLDOWN_SECONDS + 1);
    expect((await verifier.verify(token)).ok).toBe(true);
  });

  it('refuses a discovery document whose jwks_uri is plain http to a non-loopback host', async () => {
    server.serveDocument('/realm/.well-known/openid-configuration', {
      issuer: `${server.baseUrl}/realm`,
      jwks_uri: 'http://keys.example.com/jwks',
    });
    expect(await oidcVerifier().verify(await oidcToken(keyA))).toMatchObject({ ok: false, code: 'keys-unavailable' });
  });
});
