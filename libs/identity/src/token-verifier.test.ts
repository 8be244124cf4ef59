import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { exportSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuerServer, createSigningKey, type SigningKey } from '../test/local-issuer-server.js';
import { signTestToken, signTestTokenText } from './test-token.js';
import type { TokenErrorCode, VerifyResult } from './token-error.js';
import { TokenVerifier } from './token-verifier.js';
import { trustedIssuersSchema } from './trusted-issuer.schema.js';

const TENANT = 'a1111111-2222-4333-8444-5555555555bc';
const SECOND_TENANT = '22222222-2222-4333-8444-555555555555';
const UNLISTED_TENANT = '33333333-2222-4333-8444-555555555555';
const V1_TENANT = '44444444-2222-4333-8444-555555555555';
const API_CLIENT_ID = '99999999-8888-4777-8666-555555555555';
const APP_ID_URI = 'api://sluice-test';
const AGENT_OID = 'aaaaaaaa-0000-4000-8000-000000000001';
const USER_OID = 'aaaaaaaa-0000-4000-8000-000000000002';
const AGENT_CLIENT_ID = 'cccccccc-0000-4000-8000-000000000003';

let server: LocalIssuerServer;
let issuerKey: SigningKey;
let attackerKey: SigningKey;
let verifier: TokenVerifier;
let v2Issuer: string;

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  server = await LocalIssuerServer.start();
  issuerKey = await createSigningKey('issuer-key-1');
  attackerKey = await createSigningKey('attacker-key');
  server.publishKeys([issuerKey.publicJwk]);
  server.serveDocument('/oidc/.well-known/openid-configuration', {
    issuer: `${server.baseUrl}/oidc`,
    jwks_uri: `${server.baseUrl}/oidc/jwks`,
  });
  v2Issuer = `${server.baseUrl}/${TENANT}/v2.0`;
  const configs = trustedIssuersSchema.parse([
    // Entra with another authority host (as the development issuer uses): v2 issuers only.
    {
      kind: 'entra',
      name: 'entra-local',
      tenants: [TENANT, SECOND_TENANT],
      authorityHost: server.baseUrl,
      audiences: [API_CLIENT_ID, APP_ID_URI],
    },
    // Public-cloud Entra (v1 and v2 issuers), keys served locally through the `{tenantid}` template.
    {
      kind: 'entra',
      name: 'entra-public',
      tenants: [V1_TENANT],
      audiences: [API_CLIENT_ID, APP_ID_URI],
      jwksUri: `${server.baseUrl}/{tenantid}/discovery/v2.0/keys`,
    },
    { kind: 'oidc', name: 'corp-idp', issuer: `${server.baseUrl}/oidc`, audiences: ['sluice'] },
  ]);
  verifier = new TokenVerifier(configs);
});

afterAll(async () => {
  await server.close();
});

const issuerHeader = () => ({ alg: 'RS256', typ: 'JWT', kid: issuerKey.kid });

/** An Entra v2 app-only access token's claims (mcp-and-entra.md §3.3). */
function appOnlyClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const issuedAt = now();
  return {
    aud: API_CLIENT_ID,
    iss: v2Issuer,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 3600,
    azp: AGENT_CLIENT_ID,
    azpacr: '1',
    idtyp: 'app',
    oid: AGENT_OID,
    sub: AGENT_OID,
    tid: TENANT,
    roles: ['Sluice.Agent'],
    uti: 'dGVzdC11dGktMDAx',
    ver: '2.0',
    ...overrides,
  };
}

function delegatedClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return appOnlyClaims({
    idtyp: 'user',
    oid: USER_OID,
    sub: 'pairwise-subject-for-this-app',
    scp: 'Sessions.Read Sessions.Write',
    name: 'Ada Lovelace',
    preferred_username: 'ada@example.com',
    roles: ['approver'],
    groups: ['group-1', 'group-2'],
    ...overrides,
  });
}

function issuerSigned(payload: Record<string, unknown>, header: Record<string, unknown> = issuerHeader()): Promise<string> {
  return signTestToken(issuerKey.privateKey, header, payload);
}

function issuerSignedText(payloadText: string, headerText: string = JSON.stringify(issuerHeader())): Promise<string> {
  return signTestTokenText(issuerKey.privateKey, headerText, payloadText);
}

async function expectRefused(token: string, code: TokenErrorCode): Promise<VerifyResult> {
  const result = await verifier.verify(token);
  expect(result.ok ? 'accepted' : result.code).toBe(code);
  if (!result.ok) {
    // The client-facing text and the log detail never echo the token or any part of it.
    for (const part of token.split('.').filter((segment) => segment.length > 8)) {
      expect(result.message).not.toContain(part);
      expect(result.detail ?? '').not.toContain(part);
    }
  }
  return result;
}

async function expectAccepted(token: string) {
  const result = await verifier.verify(token);
  if (!result.ok) throw new Error(`expected the token to be accepted, got ${result.code}: ${result.message}`);
  return result.principal;
}

describe('hostile tokens: each refused with its own code', () => {
  it('refuses alg "none" in any spelling', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectRefused(await signTestToken(null, { alg, typ: 'JWT' }, appOnlyClaims()), 'algorithm-not-allowed');
    }
  });

  it('refuses HS256 signed with the issuer public key as the HMAC secret (key confusion)', async () => {
    const pem = await exportSPKI(issuerKey.publicKey);
    for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(issuerKey.publicJwk))]) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        await expectRefused(await signTestToken(secret, { alg, typ: 'JWT', kid: issuerKey.kid }, appOnlyClaims()), 'algorithm-not-allowed');
      }
    }
  });

  it('refuses an algorithm the issuer does not allow even though it is asymmetric', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), alg: 'RS384' }), 'algorithm-not-allowed');
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), alg: 'ES256' }), 'algorithm-not-allowed');
  });

  it('refuses a token signed by another key under the issuer kid', async () => {
    const forged = await signTestToken(attackerKey.privateKey, issuerHeader(), appOnlyClaims());
    await expectRefused(forged, 'signature-invalid');
  });

  it('refuses a tampered token (claims changed after signing)', async () => {
    const [header, , signature] = (await issuerSigned(appOnlyClaims())).split('.');
    const tampered = Buffer.from(JSON.stringify(appOnlyClaims({ roles: ['Sluice.Admin'] }))).toString('base64url');
    await expectRefused(`${header}.${tampered}.${signature}`, 'signature-invalid');
  });

  it('refuses an unknown kid', async () => {
    await expectRefused(
      await signTestToken(attackerKey.privateKey, { alg: 'RS256', kid: attackerKey.kid }, appOnlyClaims()),
      'unknown-key',
    );
  });

  it('refuses expired tokens, and accepts one expired within the clock tolerance', async () => {
    const issuedAt = now() - 7200;
    await expectRefused(await issuerSigned(appOnlyClaims({ iat: issuedAt, nbf: issuedAt, exp: issuedAt + 3600 })), 'expired');
    await expectAccepted(await issuerSigned(appOnlyClaims({ iat: now() - 3630, nbf: now() - 3630, exp: now() - 30 })));
  });

  it('refuses tokens not valid yet (nbf, or iat in the future)', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims({ nbf: now() + 3600 })), 'not-yet-valid');
    await expectRefused(await issuerSigned(appOnlyClaims({ iat: now() + 3600, nbf: undefined })), 'not-yet-valid');
  });

  it('refuses a token for another audience', async () => {
    const result = await expectRefused(await issuerSigned(appOnlyClaims({ aud: 'api://someone-else' })), 'audience-mismatch');
    expect(result.ok ? '' : result.message).toContain('Sluice API');
  });

  it('decision: an aud array is accepted only when it has exactly one member, ours', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims({ aud: [API_CLIENT_ID, 'api://someone-else'] })), 'audience-mismatch');
    await expectRefused(await issuerSigned(appOnlyClaims({ aud: [] })), 'audience-mismatch');
    await expectAccepted(await issuerSigned(appOnlyClaims({ aud: [API_CLIENT_ID] })));
  });

  it('refuses an issuer that is not trusted, matching iss exactly', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims({ iss: 'https://evil.example.com/' })), 'unknown-issuer');
    await expectRefused(await issuerSigned(appOnlyClaims({ iss: `${v2Issuer}/` })), 'unknown-issuer');
    await expectRefused(await issuerSigned(appOnlyClaims({ iss: v2Issuer.toUpperCase() })), 'unknown-issuer');
    await expectRefused(await issuerSigned(appOnlyClaims({ iss: undefined })), 'missing-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ iss: 42 })), 'invalid-claim');
  });

  it('refuses an Entra token whose tid differs from the tenant in iss (both tenants allowed)', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims({ tid: SECOND_TENANT })), 'issuer-tenant-mismatch');
    await expectRefused(await issuerSigned(appOnlyClaims({ tid: TENANT.toUpperCase() })), 'issuer-tenant-mismatch');
  });

  it('refuses a tenant that is not on the allow-list, in v2 and v1 issuer forms', async () => {
    const v2 = appOnlyClaims({ iss: `${server.baseUrl}/${UNLISTED_TENANT}/v2.0`, tid: UNLISTED_TENANT });
    await expectRefused(await issuerSigned(v2), 'tenant-not-allowed');
    const v1 = appOnlyClaims({ iss: `https://sts.windows.net/${UNLISTED_TENANT}/`, tid: UNLISTED_TENANT });
    await expectRefused(await issuerSigned(v1), 'tenant-not-allowed');
  });

  it('refuses Graph tokens (by audience or nonce header) with a message to request a Sluice API token', async () => {
    for (const aud of [
      '00000003-0000-0000-c000-000000000000',
      'https://graph.microsoft.com',
      'https://graph.microsoft.com/',
      [API_CLIENT_ID, 'https://graph.microsoft.com'],
    ]) {
      const result = await expectRefused(await issuerSigned(appOnlyClaims({ aud })), 'graph-token');
      expect(result.ok ? '' : result.message).toMatch(/Sluice API/);
    }
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), nonce: 'Z2xvYmFs' }), 'graph-token');
  });

  it('refuses jku, x5u, jwk and x5c headers, even with a valid signature by the attacker key they point at', async () => {
    const attackerJwks = `${server.baseUrl}/attacker/jwks`;
    const attackerHeader = { alg: 'RS256', kid: attackerKey.kid };
    const before = server.count((path) => path.startsWith('/attacker'));
    const headers = [
      { ...attackerHeader, jku: attackerJwks },
      { ...attackerHeader, x5u: `${server.baseUrl}/attacker/cert.pem` },
      { ...attackerHeader, jwk: attackerKey.publicJwk },
      { ...attackerHeader, x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
      // The same, under the issuer's kid.
      { ...issuerHeader(), jwk: attackerKey.publicJwk },
    ];
    for (const header of headers) {
      await expectRefused(await signTestToken(attackerKey.privateKey, header, appOnlyClaims()), 'forbidden-header');
    }
    expect(server.count((path) => path.startsWith('/attacker'))).toBe(before);
  });

  it('refuses any crit header (and b64)', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), crit: ['exp'], exp: 1 }), 'forbidden-header');
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), crit: [] }), 'forbidden-header');
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), b64: false }), 'forbidden-header');
  });

  it('refuses malformed tokens: segments, base64url, JSON, types', async () => {
    const good = await issuerSigned(appOnlyClaims());
    const [h = '', p = '', s = ''] = good.split('.');
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const cases = [
      '',
      'not-a-jwt',
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      `${h}..${s}`,
      `.${p}.${s}`,
      `${h}.${p}.${s}=`,
      `${h}=.${p}.${s}`,
      `${h}.${p}!.${s}`,
      ` ${good}`,
      `${good}\n`,
      `${h}.${p}.A`, // a dangling base64url character (length ≡ 1 mod 4)
      `${b64('{"alg":"RS256"')}.${p}.${s}`,
      `${b64('[]')}.${p}.${s}`,
      `${b64('"RS256"')}.${p}.${s}`,
      `${b64('null')}.${p}.${s}`,
      `${h}.${b64('not json')}.${s}`,
      `${h}.${b64('[1,2]')}.${s}`,
      `${h}.${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}.${s}`, // invalid UTF-8
      `${b64(JSON.stringify({ typ: 'JWT' }))}.${p}.${s}`, // no alg
      `${b64(JSON.stringify({ alg: 7 }))}.${p}.${s}`,
      `${b64(JSON.stringify({ alg: 'RS256', kid: 7 }))}.${p}.${s}`,
      `${b64(JSON.stringify({ alg: 'RS256', kid: 'k'.repeat(300) }))}.${p}.${s}`,
    ];
    for (const token of cases) await expectRefused(token, 'malformed');
    expect((await verifier.verify(42 as unknown as string)).ok).toBe(false);
  });

  it('refuses non-canonical base64url (same bytes, different text)', async () => {
    const good = await issuerSigned(appOnlyClaims());
    const [h = '', p = '', s = ''] = good.split('.');
    // The last character of a segment whose length ≡ 2 or 3 (mod 4) carries padding bits; set one.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bump = (segment: string) => segment.slice(0, -1) + alphabet.charAt(alphabet.indexOf(segment.slice(-1)) + 1);
    const candidates = [`${bump(h)}.${p}.${s}`, `${h}.${bump(p)}.${s}`, `${h}.${p}.${bump(s)}`].filter((token, index) => {
      const segment = token.split('.')[index] ?? '';
      return segment.length % 4 !== 0 && Buffer.from(segment, 'base64url').equals(Buffer.from(good.split('.')[index] ?? '', 'base64url'));
    });
    for (const token of candidates) await expectRefused(token, 'malformed');
    // A 256-byte RS256 signature encodes to 342 characters (≡ 2 mod 4), so at least that case always runs.
    expect(candidates.length).toBeGreaterThan(0);
  });

  it('refuses a 1 MB token, and one just over the cap, before parsing or fetching anything', async () => {
    const before = server.requests.length;
    await expectRefused('a'.repeat(1024 * 1024), 'too-large');
    const big = await issuerSigned(appOnlyClaims({ padding: 'x'.repeat(16 * 1024) }));
    await expectRefused(big, 'too-large');
    expect(server.requests.length).toBe(before);
  });

  it('refuses duplicated claims, however the member name is spelled', async () => {
    const claims = JSON.stringify(appOnlyClaims()).slice(1, -1);
    await expectRefused(await issuerSignedText(`{"aud":"api://someone-else",${claims}}`), 'malformed');
    await expectRefused(await issuerSignedText(`{"\\u0061ud":"api://someone-else",${claims}}`), 'malformed');
    await expectRefused(await issuerSignedText(`{${claims},"_claim_names":{"groups":"a","groups":"b"}}`), 'malformed');
    const header = JSON.stringify(issuerHeader()).slice(1, -1);
    await expectRefused(await issuerSignedText(JSON.stringify(appOnlyClaims()), `{"alg":"none",${header}}`), 'malformed');
  });

  it('refuses claims of the wrong type', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims({ exp: String(now() + 3600) })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ iat: String(now()) })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ nbf: null })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ roles: 'Sluice.Admin' })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ roles: ['ok', 7] })), 'invalid-claim');
    await expectRefused(await issuerSigned(delegatedClaims({ groups: { 0: 'group-1' } })), 'invalid-claim');
    await expectRefused(await issuerSigned(delegatedClaims({ scp: ['Sessions.Read', 1] })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ idtyp: 'robot' })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ oid: 'ada@example.com' })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ ver: '1.0' })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ azp: 12 })), 'invalid-claim');
    await expectRefused(await issuerSigned(appOnlyClaims({ tid: 7 })), 'invalid-claim');
  });

  it('refuses tokens missing a required claim', async () => {
    for (const claim of ['exp', 'iat', 'sub', 'tid', 'oid']) {
      await expectRefused(await issuerSigned(appOnlyClaims({ [claim]: undefined })), 'missing-claim');
    }
  });

  it('refuses JWTs that are not access tokens by typ, and accepts at+jwt', async () => {
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), typ: 'dpop+jwt' }), 'token-type-not-allowed');
    await expectRefused(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), typ: 7 }), 'token-type-not-allowed');
    await expectAccepted(await issuerSigned(appOnlyClaims(), { ...issuerHeader(), typ: 'at+jwt' }));
  });

  it('never throws and never accepts on arbitrary input (property)', async () => {
    const known = new Set<string>([
      'too-large',
      'malformed',
      'algorithm-not-allowed',
      'forbidden-header',
      'token-type-not-allowed',
      'graph-token',
      'unknown-issuer',
      'tenant-not-allowed',
      'missing-claim',
      'invalid-claim',
    ]);
    const segment = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='.split('')),
      maxLength: 80,
    });
    const jsonSegment = fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));
    const token = fc.oneof(
      fc.string(),
      segment,
      fc.tuple(jsonSegment, jsonSegment, segment).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(token, async (input) => {
        const result = await verifier.verify(input);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(known.has(result.code)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a token signed by a key the issuer does not publish, whatever the claims (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('roles', 'groups', 'scp', 'idtyp', 'x', 'aud'), fc.jsonValue()), async (extra) => {
        const token = await signTestToken(attackerKey.privateKey, issuerHeader(), appOnlyClaims(extra));
        expect((await verifier.verify(token)).ok).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

describe('valid tokens are accepted and mapped', () => {
  it('maps an Entra v2 app-only token to a workload principal keyed by (tid, oid)', async () => {
    const claims = appOnlyClaims({ groups: ['ai-agents'] });
    const principal = await expectAccepted(await issuerSigned(claims));
    expect(principal).toMatchObject({
      id: `entra:${TENANT}:${AGENT_OID}`,
      issuer: v2Issuer,
      issuerName: 'entra-local',
      tenantId: TENANT,
      subject: AGENT_OID,
      kind: 'workload',
      appId: AGENT_CLIENT_ID,
      roles: ['Sluice.Agent'],
      groups: ['ai-agents'],
      scopes: [],
      groupOverage: false,
      tokenId: 'dGVzdC11dGktMDAx',
    });
    expect(principal.expiresAt.getTime()).toBe((claims.exp as number) * 1000);
    expect(principal.displayName).toBeUndefined();
    expect(principal.claims).toEqual(claims);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('maps an Entra v2 delegated token to a user principal keyed by oid, never by email or sub', async () => {
    const principal = await expectAccepted(await issuerSigned(delegatedClaims()));
    expect(principal).toMatchObject({
      id: `entra:${TENANT}:${USER_OID}`,
      subject: USER_OID,
      kind: 'user',
      displayName: 'Ada Lovelace',
      appId: AGENT_CLIENT_ID,
      scopes: ['Sessions.Read', 'Sessions.Write'],
      roles: ['approver'],
      groups: ['group-1', 'group-2'],
      groupOverage: false,
    });
  });

  it('tells app-only from delegated without idtyp: no scp and oid = sub is a workload', async () => {
    expect((await expectAccepted(await issuerSigned(appOnlyClaims({ idtyp: undefined })))).kind).toBe('workload');
    expect((await expectAccepted(await issuerSigned(delegatedClaims({ idtyp: undefined })))).kind).toBe('user');
    // No scp but a pairwise sub: not a service principal.
    expect((await expectAccepted(await issuerSigned(appOnlyClaims({ idtyp: undefined, sub: 'pairwise' })))).kind).toBe('user');
    // Entra Agent ID app-only tokens may carry scp "/": no scope at all.
    const agent = await expectAccepted(await issuerSigned(appOnlyClaims({ idtyp: undefined, scp: '/' })));
    expect(agent.kind).toBe('workload');
    expect(agent.scopes).toEqual([]);
  });

  it('accepts the App ID URI audience as well as the client id', async () => {
    await expectAccepted(await issuerSigned(appOnlyClaims({ aud: APP_ID_URI })));
  });

  it('maps Entra v1 app-only and delegated tokens (sts.windows.net issuer, appid)', async () => {
    const issuedAt = now();
    const v1 = {
      aud: APP_ID_URI,
      iss: `https://sts.windows.net/${V1_TENANT}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 3600,
      appid: AGENT_CLIENT_ID,
      appidacr: '1',
      app_displayname: 'Nightly report agent',
      idtyp: 'app',
      oid: AGENT_OID,
      sub: AGENT_OID,
      tid: V1_TENANT,
      roles: ['Sluice.Agent'],
      ver: '1.0',
    };
    const app = await expectAccepted(await issuerSigned(v1, { ...issuerHeader(), x5t: issuerKey.kid }));
    expect(app).toMatchObject({
      id: `entra:${V1_TENANT}:${AGENT_OID}`,
      kind: 'workload',
      appId: AGENT_CLIENT_ID,
      issuerName: 'entra-public',
      displayName: 'Nightly report agent',
    });

    const delegated = {
      ...v1,
      idtyp: undefined,
      app_displayname: undefined,
      oid: USER_OID,
      sub: 'pairwise',
      scp: 'user_impersonation',
      name: 'Grace Hopper',
      upn: 'grace@example.com',
    };
    const user = await expectAccepted(await issuerSigned(delegated));
    expect(user).toMatchObject({
      id: `entra:${V1_TENANT}:${USER_OID}`,
      kind: 'user',
      displayName: 'Grace Hopper',
      scopes: ['user_impersonation'],
    });
    // `ver` must agree with the issuer form.
    await expectRefused(await issuerSigned({ ...v1, ver: '2.0' }), 'invalid-claim');
    // The v2 issuer of the same public-cloud tenant is accepted too.
    await expectAccepted(await issuerSigned(appOnlyClaims({ iss: `https://login.microsoftonline.com/${V1_TENANT}/v2.0`, tid: V1_TENANT })));
  });

  it('flags group overage (distributed groups claim or hasgroups) and never reports "no groups" silently', async () => {
    const distributed = delegatedClaims({
      groups: undefined,
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: 'https://graph.windows.net/tenant/users/oid/getMemberObjects' } },
    });
    expect(await expectAccepted(await issuerSigned(distributed))).toMatchObject({ groups: [], groupOverage: true });
    expect(await expectAccepted(await issuerSigned(delegatedClaims({ groups: undefined, hasgroups: true })))).toMatchObject({
      groups: [],
      groupOverage: true,
    });
    // A partial list next to an overage marker is not trusted either.
    expect(await expectAccepted(await issuerSigned(delegatedClaims({ hasgroups: true })))).toMatchObject({
      groups: [],
      groupOverage: true,
    });
  });

  it('verifies a generic OIDC issuer through discovery', async () => {
    const issuedAt = now();
    const claims = {
      iss: `${server.baseUrl}/oidc`,
      aud: 'sluice',
      sub: 'svc-reporting',
      client_id: 'svc-reporting',
      scope: 'db.read db.write',
      iat: issuedAt,
      exp: issuedAt + 600,
      jti: 'token-1',
      roles: ['reader'],
    };
    const principal = await expectAccepted(await issuerSigned(claims));
    expect(principal).toMatchObject({
      id: 'oidc:corp-idp:svc-reporting',
      kind: 'workload',
      scopes: ['db.read', 'db.write'],
      tokenId: 'token-1',
      roles: ['reader'],
    });
    expect(principal.tenantId).toBeUndefined();
    const human = await expectAccepted(
      await issuerSigned({ ...claims, sub: 'user-7', azp: 'web-console', client_id: undefined, name: 'Lin' }),
    );
    expect(human).toMatchObject({ id: 'oidc:corp-idp:user-7', kind: 'user', appId: 'web-console', displayName: 'Lin' });
    await expectRefused(await issuerSigned({ ...claims, aud: API_CLIENT_ID }), 'audience-mismatch');
  });
});
