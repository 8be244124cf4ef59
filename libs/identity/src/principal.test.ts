import { describe, expect, it } from 'vitest';
import { mapPrincipal } from './principal.js';
import { acceptedIssuers, entraIssuerSchema, oidcIssuerSchema } from './trusted-issuer.schema.js';

const TENANT = 'e5555555-6666-4777-8888-99999999999a';
const OID = 'f0000000-0000-4000-8000-000000000001';
const [entraV2] = acceptedIssuers(
  entraIssuerSchema.parse({ kind: 'entra', name: 'entra', tenants: [TENANT], audiences: ['api://sluice'] }),
);
const [customOidc] = acceptedIssuers(
  oidcIssuerSchema.parse({
    kind: 'oidc',
    name: 'keycloak',
    issuer: 'https://kc.example.com/realms/ops',
    audiences: ['sluice'],
    claims: { groups: 'memberOf', roles: 'realm_roles', scopes: 'scp', displayName: ['nickname', 'name'] },
  }),
);

const exp = 2_000_000_000;

describe('mapPrincipal', () => {
  it('reads the claims named by the mapping, in the mapping order for the display name', () => {
    const mapped = mapPrincipal(customOidc!, {
      sub: 'u-1',
      exp,
      memberOf: ['ops'],
      groups: ['ignored'],
      realm_roles: ['dba'],
      scp: ['read', 'write'],
      name: 'Full Name',
      nickname: 'Nick',
    });
    expect(mapped).toMatchObject({
      ok: true,
      principal: { id: 'oidc:keycloak:u-1', groups: ['ops'], roles: ['dba'], scopes: ['read', 'write'], displayName: 'Nick', kind: 'user' },
    });
  });

  it('detects overage on the mapped groups claim', () => {
    const mapped = mapPrincipal(customOidc!, { sub: 'u-1', exp, _claim_names: { memberOf: 'src' } });
    expect(mapped).toMatchObject({ ok: true, principal: { groups: [], groupOverage: true } });
    expect(mapPrincipal(customOidc!, { sub: 'u-1', exp, _claim_names: { groups: 'src' } })).toMatchObject({
      ok: true,
      principal: { groupOverage: false },
    });
  });

  it('keys Entra principals by tenant and object id, never by email-like claims', () => {
    const mapped = mapPrincipal(entraV2!, {
      tid: TENANT,
      oid: OID,
      sub: 'pairwise',
      exp,
      scp: 'a',
      upn: 'x@example.com',
      email: 'x@example.com',
      preferred_username: 'x@example.com',
    });
    expect(mapped).toMatchObject({ ok: true, principal: { id: `entra:${TENANT}:${OID}`, subject: OID, kind: 'user' } });
    expect(mapped.ok && mapped.principal.displayName).toBeFalsy();
  });

  it('refuses, rather than maps, a tid other than the tenant of the issuer', () => {
    expect(mapPrincipal(entraV2!, { tid: 'e5555555-6666-4777-8888-000000000000', oid: OID, sub: OID, exp })).toMatchObject({
      ok: false,
      code: 'invalid-claim',
    });
  });

  it('refuses a jti, uti or azp that is not a string, even next to a good alternative, and an empty sub', () => {
    expect(mapPrincipal(customOidc!, { sub: 'u-1', exp, jti: 5 })).toMatchObject({ ok: false, code: 'invalid-claim' });
    expect(mapPrincipal(customOidc!, { sub: 'u-1', exp, jti: 'ok', uti: 5 })).toMatchObject({ ok: false, code: 'invalid-claim' });
    expect(mapPrincipal(customOidc!, { sub: 'u-1', exp, azp: 5, client_id: 'u-1' })).toMatchObject({ ok: false, code: 'invalid-claim' });
    expect(mapPrincipal(customOidc!, { sub: '', exp })).toMatchObject({ ok: false, code: 'invalid-claim' });
  });

  it('refuses an exp beyond what a date can hold', () => {
    expect(mapPrincipal(customOidc!, { sub: 'u-1', exp: 1e300 })).toMatchObject({ ok: false, code: 'invalid-claim' });
  });

  it('returns frozen values so nobody downstream edits a principal', () => {
    const mapped = mapPrincipal(customOidc!, { sub: 'u-1', exp, realm_roles: ['dba'] });
    if (!mapped.ok) throw new Error(mapped.message);
    expect(Object.isFrozen(mapped.principal.roles)).toBe(true);
    expect(Object.isFrozen(mapped.principal.claims)).toBe(true);
  });
});
