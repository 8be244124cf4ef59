import { describe, expect, it } from 'vitest';
import { TokenVerifier } from './token-verifier.js';
import {
  acceptedIssuers,
  entraIssuerSchema,
  oidcIssuerSchema,
  trustedIssuerSchema,
  trustedIssuersSchema,
} from './trusted-issuer.schema.js';

const TENANT = 'c3333333-4444-4555-8666-77777777777e';
const entra = { kind: 'entra', name: 'entra', tenants: [TENANT], audiences: ['api://sluice'] } as const;
const oidc = { kind: 'oidc', name: 'idp', issuer: 'https://idp.example.com/realms/main', audiences: ['sluice'] } as const;

function messages(input: unknown): string[] {
  const result = trustedIssuerSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe('trusted issuer config', () => {
  it('fills the documented defaults', () => {
    expect(entraIssuerSchema.parse(entra)).toEqual({
      ...entra,
      authorityHost: 'https://login.microsoftonline.com',
      algorithms: ['RS256'],
      clockToleranceSeconds: 60,
      requiredClaims: [],
      keyFetch: { cooldownSeconds: 30, cacheMaxAgeSeconds: 600, timeoutMs: 5000 },
      claims: { groups: 'groups', roles: 'roles', scopes: 'scp', displayName: ['name', 'app_displayname'] },
    });
    expect(oidcIssuerSchema.parse(oidc).claims).toEqual({
      groups: 'groups',
      roles: 'roles',
      scopes: 'scope',
      displayName: ['name', 'preferred_username'],
    });
    expect(oidcIssuerSchema.parse({ ...oidc, claims: { roles: 'realm_roles' } }).claims.roles).toBe('realm_roles');
  });

  it('never allows none or HMAC algorithms, and says why', () => {
    expect(messages({ ...entra, algorithms: ['none'] })).toEqual(['alg "none" is never allowed']);
    expect(messages({ ...oidc, algorithms: ['RS256', 'HS256'] })).toEqual([
      'HMAC algorithms (HS*) are never allowed for an issuer that publishes public keys',
    ]);
    expect(messages({ ...oidc, algorithms: ['RSA-OAEP'] })[0]).toMatch(/unsupported algorithm/);
    expect(messages({ ...oidc, algorithms: [] })).toHaveLength(1);
    expect(messages({ ...oidc, algorithms: ['ES256', 'PS256'] })).toEqual([]);
  });

  it('bounds the clock tolerance at five minutes', () => {
    expect(messages({ ...entra, clockToleranceSeconds: 300 })).toEqual([]);
    expect(messages({ ...entra, clockToleranceSeconds: 301 })).toHaveLength(1);
    expect(messages({ ...entra, clockToleranceSeconds: -1 })).toHaveLength(1);
  });

  it('requires https, except plain http on loopback', () => {
    expect(messages({ ...oidc, issuer: 'http://idp.example.com' })[0]).toMatch(/https/);
    expect(messages({ ...oidc, jwksUri: 'http://10.0.0.1/jwks' })[0]).toMatch(/https/);
    expect(messages({ ...oidc, issuer: 'https://user:pw@idp.example.com' })[0]).toMatch(/credentials/);
    expect(messages({ ...oidc, issuer: 'idp.example.com' })[0]).toMatch(/absolute URL/);
    expect(messages({ ...oidc, issuer: 'http://127.0.0.1:8080/realm' })).toEqual([]);
    expect(messages({ ...entra, authorityHost: 'http://localhost:8080/dev-issuer' })).toEqual([]);
    expect(messages({ ...entra, authorityHost: 'ftp://login.example.com' })).toHaveLength(1);
  });

  it('checks audiences: Entra client id GUID or App ID URI, never Graph', () => {
    expect(
      messages({ ...entra, audiences: ['d4444444-5555-4666-8777-888888888888', 'api://sluice', 'https://sluice.example.com'] }),
    ).toEqual([]);
    expect(messages({ ...entra, audiences: ['sluice'] })).toHaveLength(1);
    expect(messages({ ...entra, audiences: [] })).toHaveLength(1);
    expect(messages({ ...entra, audiences: ['00000003-0000-0000-c000-000000000000'] })[0]).toMatch(/Microsoft API/);
    expect(messages({ ...oidc, audiences: ['https://graph.microsoft.com/'] })[0]).toMatch(/Microsoft API/);
  });

  it('checks tenants: GUIDs, lower-cased, no repeats', () => {
    expect(entraIssuerSchema.parse({ ...entra, tenants: [TENANT.toUpperCase()] }).tenants).toEqual([TENANT]);
    expect(messages({ ...entra, tenants: ['contoso.onmicrosoft.com'] })).toHaveLength(1);
    expect(messages({ ...entra, tenants: ['common'] })).toHaveLength(1);
    expect(messages({ ...entra, tenants: [TENANT, TENANT.toUpperCase()] })).toHaveLength(1);
    expect(messages({ ...entra, tenants: [] })).toHaveLength(1);
  });

  it('rejects unknown fields (a typo must not silently weaken verification)', () => {
    expect(messages({ ...entra, audience: 'api://other' })).toHaveLength(1);
    expect(messages({ ...oidc, claims: { group: 'x' } })).toHaveLength(1);
    expect(messages({ ...oidc, kind: 'saml' })).toHaveLength(1);
    expect(messages({ ...oidc, name: 'Corp IdP' })).toHaveLength(1);
  });

  it('accepts the v1 issuer only on the public-cloud authority', () => {
    const publicCloud = acceptedIssuers(entraIssuerSchema.parse(entra));
    expect(publicCloud.map((accepted) => [accepted.issuer, accepted.tokenVersion, accepted.jwksUri])).toEqual([
      [`https://login.microsoftonline.com/${TENANT}/v2.0`, '2.0', `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`],
      [`https://sts.windows.net/${TENANT}/`, '1.0', `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`],
    ]);
    const other = acceptedIssuers(entraIssuerSchema.parse({ ...entra, authorityHost: 'https://login.microsoftonline.us/' }));
    expect(other.map((accepted) => accepted.issuer)).toEqual([`https://login.microsoftonline.us/${TENANT}/v2.0`]);
  });

  it('substitutes {tenantid} in a configured Entra jwksUri', () => {
    const config = entraIssuerSchema.parse({
      ...entra,
      jwksUri: 'https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys?appid=d4444444-5555-4666-8777-888888888888',
    });
    expect(acceptedIssuers(config)[0]?.jwksUri).toBe(
      `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys?appid=d4444444-5555-4666-8777-888888888888`,
    );
  });

  it('refuses a list in which iss would not select exactly one config', () => {
    expect(trustedIssuersSchema.safeParse([entra, { ...entra, name: 'entra-2' }]).error?.issues[0]?.message).toMatch(
      /both accept the issuer/,
    );
    expect(trustedIssuersSchema.safeParse([oidc, { ...oidc, issuer: 'https://other.example.com' }]).error?.issues[0]?.message).toMatch(
      /named "idp"/,
    );
    expect(trustedIssuersSchema.safeParse([]).success).toBe(false);
    expect(trustedIssuersSchema.safeParse([entra, oidc]).success).toBe(true);
  });

  it('makes the verifier refuse to start on a conflicting or empty list', () => {
    const config = entraIssuerSchema.parse(entra);
    expect(() => new TokenVerifier([config, { ...config, name: 'again' }])).toThrow(/both accept/);
    expect(() => new TokenVerifier([])).toThrow(/no trusted issuers/);
  });
});
