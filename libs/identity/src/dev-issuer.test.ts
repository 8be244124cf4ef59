import { decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerServer } from '../test/local-issuer-server.js';
import { DEV_ISSUER_API_CLIENT_ID, DEV_ISSUER_TENANT_ID, DevIssuer, type DevIssuerOptions } from './dev-issuer.js';
import { TokenVerifier } from './token-verifier.js';

const clients: DevIssuerOptions['clients'] = [
  { clientId: 'demo-agent', clientSecret: 'demo-agent-secret', displayName: 'Demo AI agent', kind: 'workload', groups: ['ai-agents'] },
  { clientId: 'demo-approver', clientSecret: 'demo-approver-secret', displayName: 'Demo Approver', kind: 'user', roles: ['approver'] },
  { clientId: 'demo-admin', clientSecret: 'demo-admin-secret', displayName: 'Demo Admin', kind: 'user', roles: ['admin', 'auditor'] },
];

let server: LocalIssuerServer;
let issuer: DevIssuer;
let verifier: TokenVerifier;

beforeAll(async () => {
  server = await LocalIssuerServer.start();
  issuer = await DevIssuer.create({ authorityHost: `${server.baseUrl}/dev-issuer/`, clients });
  // Served the way the control plane will serve it.
  server.serveDocument(new URL(issuer.jwksUri).pathname, issuer.jwks());
  verifier = new TokenVerifier([issuer.trustedIssuer()]);
});

afterAll(async () => {
  await server.close();
});

async function mint(clientId: string, clientSecret: string, scope = 'api://sluice/.default'): Promise<string> {
  const result = await issuer.mintClientCredentialsToken({ clientId, clientSecret, scope });
  if (!result.ok) throw new Error(`${result.error}: ${result.error_description}`);
  return result.response.access_token;
}

describe('DevIssuer', () => {
  it('lays out its documents like Entra under its authority host', () => {
    expect(issuer.issuer).toBe(`${server.baseUrl}/dev-issuer/${DEV_ISSUER_TENANT_ID}/v2.0`);
    expect(issuer.jwksUri).toBe(`${server.baseUrl}/dev-issuer/${DEV_ISSUER_TENANT_ID}/discovery/v2.0/keys`);
    expect(issuer.discoveryDocument()).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      token_endpoint: `${server.baseUrl}/dev-issuer/${DEV_ISSUER_TENANT_ID}/oauth2/v2.0/token`,
      grant_types_supported: ['client_credentials'],
    });
    const [key] = issuer.jwks().keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(key?.kid).toEqual(expect.any(String));
    expect(key).not.toHaveProperty('d');
    expect(key).not.toHaveProperty('p');
  });

  it('mints an Entra-shaped v2 app-only token that the ordinary entra path verifies', async () => {
    const token = await mint('demo-agent', 'demo-agent-secret');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.jwks().keys[0]?.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: issuer.issuer,
      aud: DEV_ISSUER_API_CLIENT_ID,
      tid: DEV_ISSUER_TENANT_ID,
      azp: 'demo-agent',
      idtyp: 'app',
      ver: '2.0',
      groups: ['ai-agents'],
    });
    expect(claims.sub).toBe(claims.oid);
    expect(claims).not.toHaveProperty('scp');
    expect(claims).not.toHaveProperty('roles');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims.uti).toEqual(expect.any(String));

    const result = await verifier.verify(token);
    if (!result.ok) throw new Error(result.message);
    expect(result.principal).toMatchObject({
      id: `entra:${DEV_ISSUER_TENANT_ID}:${String(claims.oid)}`,
      issuerName: 'sluice-dev-issuer',
      kind: 'workload',
      appId: 'demo-agent',
      displayName: 'Demo AI agent',
      groups: ['ai-agents'],
      roles: [],
      groupOverage: false,
    });
  });

  it('mints delegated-shaped tokens for user clients, with roles', async () => {
    const result = await verifier.verify(await mint('demo-admin', 'demo-admin-secret', `${DEV_ISSUER_API_CLIENT_ID}/.default`));
    if (!result.ok) throw new Error(result.message);
    expect(result.principal).toMatchObject({
      kind: 'user',
      displayName: 'Demo Admin',
      roles: ['admin', 'auditor'],
      scopes: ['access_as_user'],
      appId: 'demo-admin',
    });
    expect(result.principal.subject).not.toBe(result.principal.claims.sub);
  });

  it('gives each client a stable object id, and each token its own id', async () => {
    const first = decodeJwt(await mint('demo-agent', 'demo-agent-secret'));
    const second = decodeJwt(await mint('demo-agent', 'demo-agent-secret'));
    const other = decodeJwt(await mint('demo-approver', 'demo-approver-secret'));
    expect(first.oid).toBe(second.oid);
    expect(first.oid).not.toBe(other.oid);
    expect(first.uti).not.toBe(second.uti);
  });

  it('refuses a wrong secret and an unknown client alike', async () => {
    const wrongSecret = await issuer.mintClientCredentialsToken({
      clientId: 'demo-agent',
      clientSecret: 'demo-admin-secret',
      scope: 'api://sluice/.default',
    });
    const unknown = await issuer.mintClientCredentialsToken({
      clientId: 'nobody',
      clientSecret: 'demo-agent-secret',
      scope: 'api://sluice/.default',
    });
    const empty = await issuer.mintClientCredentialsToken({ clientId: 'demo-agent', clientSecret: '', scope: 'api://sluice/.default' });
    const prefix = await issuer.mintClientCredentialsToken({
      clientId: 'demo-agent',
      clientSecret: 'demo-agent-secre',
      scope: 'api://sluice/.default',
    });
    for (const result of [wrongSecret, unknown, empty, prefix]) {
      expect(result).toEqual({ ok: false, error: 'invalid_client', error_description: 'client authentication failed' });
    }
  });

  it('only issues tokens for the Sluice API', async () => {
    const request = { clientId: 'demo-agent', clientSecret: 'demo-agent-secret' };
    expect(await issuer.mintClientCredentialsToken({ ...request, scope: 'https://graph.microsoft.com/.default' })).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    expect(await issuer.mintClientCredentialsToken({ ...request, scope: 'api://sluice' })).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    expect(await issuer.mintClientCredentialsToken({ ...request, resource: 'api://other' })).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    expect(await issuer.mintClientCredentialsToken(request)).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(await issuer.mintClientCredentialsToken({ ...request, scope: 'api://sluice/.default', resource: 'api://sluice' })).toMatchObject(
      { ok: false, error: 'invalid_request' },
    );
    expect(await issuer.mintClientCredentialsToken({ ...request, resource: 'api://sluice' })).toMatchObject({ ok: true });
  });

  it('is not trusted by a verifier configured for another dev issuer key', async () => {
    const other = await DevIssuer.create({ authorityHost: `${server.baseUrl}/dev-issuer`, clients });
    const result = await other.mintClientCredentialsToken({
      clientId: 'demo-agent',
      clientSecret: 'demo-agent-secret',
      scope: 'api://sluice/.default',
    });
    if (!result.ok) throw new Error(result.error);
    // Same issuer string, different key: the published key set decides.
    expect(await verifier.verify(result.response.access_token)).toMatchObject({ ok: false, code: 'unknown-key' });
  });

  it('honours the clock and token lifetime it is given, so expiry is enforced by the verifier', async () => {
    const past = await DevIssuer.create(
      { authorityHost: `${server.baseUrl}/dev-issuer`, clients, tokenLifetimeSeconds: 600 },
      { keyPair: await generateKeyPair('RS256', { extractable: true }), now: () => Math.floor(Date.now() / 1000) - 3600 },
    );
    server.serveDocument('/past/keys', past.jwks());
    const pastVerifier = new TokenVerifier([past.trustedIssuer({ jwksUri: `${server.baseUrl}/past/keys` })]);
    const result = await past.mintClientCredentialsToken({
      clientId: 'demo-agent',
      clientSecret: 'demo-agent-secret',
      scope: 'api://sluice/.default',
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.response.expires_in).toBe(600);
    expect(await pastVerifier.verify(result.response.access_token)).toMatchObject({ ok: false, code: 'expired' });
  });

  it('validates its options', async () => {
    const base = { authorityHost: 'http://127.0.0.1:8080/dev-issuer', clients };
    await expect(DevIssuer.create({ ...base, authorityHost: 'https://login.microsoftonline.com' })).rejects.toThrow(/pose as Microsoft/);
    await expect(DevIssuer.create({ ...base, authorityHost: 'http://sluice.example.com/dev-issuer' })).rejects.toThrow(/https/);
    await expect(DevIssuer.create({ ...base, clients: [...clients, clients[0]!] })).rejects.toThrow(/must not repeat/);
    await expect(DevIssuer.create({ ...base, clients: [{ ...clients[0]!, clientSecret: 'short' }] })).rejects.toThrow();
    await expect(DevIssuer.create({ ...base, clients: [] })).rejects.toThrow();
    const ecKeys = await generateKeyPair('ES256', { extractable: true });
    await expect(DevIssuer.create(base, { keyPair: ecKeys })).rejects.toThrow(/RSA/);
  });
});
