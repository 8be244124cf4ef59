import { GUID_PATTERN } from './microsoft-identity.js';
import type { AcceptedIssuer, ClaimMapping } from './trusted-issuer.schema.js';

/**
 * Who is asking, as recorded with every event (DESIGN.md "Identity"). Built only from a verified
 * token. `id` is the stable key that policy, revocation and the audit trail use.
 */
export interface Principal {
  /** `entra:{tid}:{oid}` or `oidc:{issuerName}:{sub}`. Never derived from email/UPN. */
  readonly id: string;
  /** The exact `iss` of the token. */
  readonly issuer: string;
  /** The `name` of the trusted-issuer config that accepted it. */
  readonly issuerName: string;
  readonly tenantId?: string;
  /** Entra: `oid` (immutable object id); OIDC: `sub`. */
  readonly subject: string;
  readonly kind: PrincipalKind;
  /** For people to read only; mutable at the issuer, so never used to authorize. */
  readonly displayName?: string;
  /** The client application: `azp` (Entra v2, OIDC) or `appid` (Entra v1). */
  readonly appId?: string;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /**
   * The issuer left the group list out (Entra: more than 200 groups → `_claim_names.groups`, or
   * `hasgroups`). `groups` is then empty, and policy must deny or resolve — never read it as "no groups".
   */
  readonly groupOverage: boolean;
  /** `jti`, or Entra's `uti`. */
  readonly tokenId?: string;
  readonly expiresAt: Date;
  /** The verified claims, kept for the audit record. */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type PrincipalKind = 'workload' | 'user';

export type PrincipalMapping =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly code: 'invalid-claim'; readonly message: string };

/**
 * Maps verified claims to a principal. Claim types are checked here: a claim we rely on with the
 * wrong type refuses the token (fail closed) rather than being ignored.
 */
export function mapPrincipal(accepted: AcceptedIssuer, claims: Record<string, unknown>): PrincipalMapping {
  const { config } = accepted;
  const mapping: ClaimMapping = config.claims;

  const exp = claims.exp;
  // A number jose accepted can still be beyond what a Date holds (e.g. 1e300); an Invalid Date downstream would throw.
  if (typeof exp !== 'number' || Number.isNaN(new Date(exp * 1000).getTime())) return invalid('exp');
  const groups = stringArrayClaim(claims, mapping.groups);
  if (groups === undefined) return invalid(mapping.groups);
  const roles = stringArrayClaim(claims, mapping.roles);
  if (roles === undefined) return invalid(mapping.roles);
  const scopes = scopesClaim(claims, mapping.scopes);
  if (scopes === undefined) return invalid(mapping.scopes);
  const tokenId = optionalStrings(claims, ['jti', 'uti']);
  if (tokenId === null) return invalid('jti');
  const displayName = firstString(claims, mapping.displayName);
  const groupOverage = hasGroupOverage(claims, mapping.groups);

  const common = {
    issuer: accepted.issuer,
    issuerName: config.name,
    groups: groupOverage ? [] : groups,
    roles,
    scopes,
    groupOverage,
    expiresAt: new Date(exp * 1000),
    claims: Object.freeze({ ...claims }),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(tokenId !== undefined ? { tokenId } : {}),
  };

  switch (config.kind) {
    case 'entra': {
      const { tid, oid, sub } = claims;
      // The verifier has already refused a `tid` that differs from the tenant in `iss`; checked again so this never maps one.
      if (typeof tid !== 'string' || tid !== accepted.tenantId) return invalid('tid');
      if (typeof oid !== 'string' || !GUID_PATTERN.test(oid)) return invalid('oid');
      if (typeof sub !== 'string' || sub === '') return invalid('sub');
      const version = claims.ver;
      if (version !== undefined && version !== accepted.tokenVersion) return invalid('ver');
      const appId = optionalStrings(claims, [accepted.tokenVersion === '1.0' ? 'appid' : 'azp']);
      if (appId === null) return invalid(accepted.tokenVersion === '1.0' ? 'appid' : 'azp');
      const kind = entraKind(claims.idtyp, scopes, oid, sub);
      if (kind === undefined) return invalid('idtyp');
      return ok({ ...common, id: `entra:${tid}:${oid}`, tenantId: tid, subject: oid, kind, ...(appId !== undefined ? { appId } : {}) });
    }
    case 'oidc': {
      const { sub } = claims;
      if (typeof sub !== 'string' || sub === '') return invalid('sub');
      const appId = optionalStrings(claims, ['azp', 'client_id']);
      if (appId === null) return invalid('azp');
      // RFC 9068 §2.2: with no resource owner (client credentials) `sub` identifies the client itself.
      const kind: PrincipalKind = appId !== undefined && appId === sub ? 'workload' : 'user';
      return ok({ ...common, id: `oidc:${config.name}:${sub}`, subject: sub, kind, ...(appId !== undefined ? { appId } : {}) });
    }
  }
}

/**
 * Entra app-only vs delegated (mcp-and-entra.md §3.3, §3.8 step 6): `idtyp` is authoritative when
 * present ('app' → workload, 'user' → user; any other value refuses the token). Without it, a token
 * with no delegated scope and `oid === sub` is a service principal (workload); anything else is a user.
 */
function entraKind(idtyp: unknown, scopes: readonly string[], oid: string, sub: string): PrincipalKind | undefined {
  if (idtyp === 'app') return 'workload';
  if (idtyp === 'user') return 'user';
  if (idtyp !== undefined) return undefined;
  return scopes.length === 0 && oid === sub ? 'workload' : 'user';
}

/** OIDC Core §5.6.2 distributed claims, and Entra's implicit-flow `hasgroups`. */
function hasGroupOverage(claims: Record<string, unknown>, groupsClaim: string): boolean {
  const names = claims._claim_names;
  const distributed = typeof names === 'object' && names !== null && Object.hasOwn(names, groupsClaim);
  return distributed || claims.hasgroups === true;
}

/** Absent → []; an array of strings → a frozen copy; anything else → undefined (refuse). */
function stringArrayClaim(claims: Record<string, unknown>, name: string): readonly string[] | undefined {
  if (!Object.hasOwn(claims, name)) return Object.freeze([]);
  const value = claims[name];
  if (!Array.isArray(value) || !value.every((member): member is string => typeof member === 'string')) return undefined;
  return Object.freeze([...value]);
}

/**
 * Scopes are a space-separated string (`scp`, RFC 9068 `scope`) or an array of strings. Entra Agent
 * ID app-only tokens may carry `scp: "/"`, which is no scope at all, so it is dropped.
 */
function scopesClaim(claims: Record<string, unknown>, name: string): readonly string[] | undefined {
  if (!Object.hasOwn(claims, name)) return Object.freeze([]);
  const value = claims[name];
  let scopes: string[];
  if (typeof value === 'string') scopes = value.split(' ');
  else if (Array.isArray(value) && value.every((member): member is string => typeof member === 'string')) scopes = [...value];
  else return undefined;
  return Object.freeze(scopes.filter((scope) => scope !== '' && scope !== '/'));
}

/**
 * The first of `names` that is present, if it is a non-empty string; undefined when none is present;
 * null (refuse) when any present one has another type — a bad claim is never skipped over.
 */
function optionalStrings(claims: Record<string, unknown>, names: readonly string[]): string | undefined | null {
  let found: string | undefined;
  for (const name of names) {
    if (!Object.hasOwn(claims, name)) continue;
    const value = claims[name];
    if (typeof value !== 'string' || value === '') return null;
    found ??= value;
  }
  return found;
}

function firstString(claims: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function ok(principal: Principal): PrincipalMapping {
  return { ok: true, principal: Object.freeze(principal) };
}

function invalid(claim: string): PrincipalMapping {
  return { ok: false, code: 'invalid-claim', message: `The "${claim}" claim is missing or has the wrong type.` };
}
