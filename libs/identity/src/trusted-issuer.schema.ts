import { z } from 'zod';
import {
  ENTRA_DEFAULT_AUTHORITY_HOST,
  GUID_PATTERN,
  entraJwksUri,
  entraV1Issuer,
  entraV2Issuer,
  isMicrosoftApiAudience,
} from './microsoft-identity.js';

/**
 * Trusted issuers: loaded by the control plane from sluice.yaml / env, validated here once, then
 * passed to `TokenVerifier` as typed values. docs/identity-verification.md documents every field.
 */

/** Asymmetric JWS algorithms only: `none` and HS* are refused at configuration time (DESIGN.md "Identity"). */
export const SIGNATURE_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

const algorithmSchema = z.enum(SIGNATURE_ALGORITHMS, {
  error: (issue) => {
    const input = typeof issue.input === 'string' ? issue.input : '';
    if (input.toLowerCase() === 'none') return 'alg "none" is never allowed';
    if (/^HS/i.test(input)) return 'HMAC algorithms (HS*) are never allowed for an issuer that publishes public keys';
    return `unsupported algorithm; use one of ${SIGNATURE_ALGORITHMS.join(', ')}`;
  },
});

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Absolute https URL; plain http only on loopback (tests, the development issuer). */
export function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.hash !== '') return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) return undefined;
  return 'must use https (plain http is allowed only on a loopback address)';
}

const endpointUrl = z.string().superRefine((value, ctx) => {
  const problem = urlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** `{tenantid}` in an Entra `jwksUri` is replaced by each allowed tenant id. */
export const TENANT_PLACEHOLDER = '{tenantid}';

const jwksUriTemplate = z.string().superRefine((value, ctx) => {
  const problem = urlProblem(value.replaceAll(TENANT_PLACEHOLDER, '00000000-0000-0000-0000-000000000000'));
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const claimName = z.string().min(1).max(200);

const notMicrosoftApi = (value: string) => !isMicrosoftApiAudience(value);
const MICROSOFT_API_AUDIENCE_MESSAGE = 'a Microsoft API (Graph) audience can never be accepted; use the Sluice API client id or App ID URI';

const entraAudience = z
  .string()
  .refine(
    (value) => GUID_PATTERN.test(value) || value.startsWith('api://') || value.startsWith('https://'),
    'an Entra audience is the API client id (lower-case GUID) or an App ID URI (api://… or https://…)',
  )
  .refine(notMicrosoftApi, MICROSOFT_API_AUDIENCE_MESSAGE);

const oidcAudience = z.string().min(1).max(1000).refine(notMicrosoftApi, MICROSOFT_API_AUDIENCE_MESSAGE);

export interface ClaimMapping {
  /** Claim holding group ids (an array of strings). */
  readonly groups: string;
  /** Claim holding role names (an array of strings). */
  readonly roles: string;
  /** Claim holding scopes (a space-separated string or an array of strings). */
  readonly scopes: string;
  /** Claims tried in order for a display name (for people to read; never used to authorize). */
  readonly displayName: readonly string[];
}

export const ENTRA_DEFAULT_CLAIMS: ClaimMapping = {
  groups: 'groups',
  roles: 'roles',
  scopes: 'scp',
  displayName: ['name', 'app_displayname'],
};
export const OIDC_DEFAULT_CLAIMS: ClaimMapping = {
  groups: 'groups',
  roles: 'roles',
  scopes: 'scope',
  displayName: ['name', 'preferred_username'],
};

function claimMappingSchema(defaults: ClaimMapping) {
  return z
    .strictObject({
      groups: claimName.default(defaults.groups),
      roles: claimName.default(defaults.roles),
      scopes: claimName.default(defaults.scopes),
      displayName: z
        .array(claimName)
        .min(1)
        .max(10)
        .default([...defaults.displayName]),
    })
    .prefault({});
}

/** How keys are fetched: jose refetches on an unknown `kid` at most once per cooldown. */
const keyFetchSchema = z
  .strictObject({
    cooldownSeconds: z.number().int().min(1).max(3600).default(30),
    cacheMaxAgeSeconds: z.number().int().min(60).max(86_400).default(600),
    timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
  })
  .prefault({});

const commonFields = {
  /** Lower-case slug; part of principal ids for `oidc` issuers, so renaming one changes its principals. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, at most 63'),
  algorithms: z.array(algorithmSchema).min(1).default(['RS256']),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
  requiredClaims: z.array(claimName).max(50).default([]),
  keyFetch: keyFetchSchema,
};

export const entraIssuerSchema = z
  .strictObject({
    kind: z.literal('entra'),
    ...commonFields,
    tenants: z
      .array(z.string().transform((value) => value.toLowerCase()))
      .min(1)
      .refine((tenants) => tenants.every((tenant) => GUID_PATTERN.test(tenant)), 'every tenant must be a tenant id (GUID)')
      .refine((tenants) => new Set(tenants).size === tenants.length, 'tenants must not repeat'),
    authorityHost: endpointUrl.default(ENTRA_DEFAULT_AUTHORITY_HOST).transform((value) => value.replace(/\/+$/, '')),
    audiences: z.array(entraAudience).min(1),
    /** Overrides `{authorityHost}/{tenantid}/discovery/v2.0/keys`; may contain `{tenantid}`. */
    jwksUri: jwksUriTemplate.optional(),
    claims: claimMappingSchema(ENTRA_DEFAULT_CLAIMS),
  })
  .superRefine((config, ctx) => {
    const url = new URL(config.authorityHost);
    if (url.search !== '') ctx.addIssue({ code: 'custom', path: ['authorityHost'], message: 'must not contain a query' });
  });

export const oidcIssuerSchema = z.strictObject({
  kind: z.literal('oidc'),
  ...commonFields,
  /** Compared byte for byte with `iss`; also the base of OIDC discovery when `jwksUri` is absent. */
  issuer: endpointUrl,
  jwksUri: endpointUrl.optional(),
  audiences: z.array(oidcAudience).min(1),
  claims: claimMappingSchema(OIDC_DEFAULT_CLAIMS),
});

export const trustedIssuerSchema = z.discriminatedUnion('kind', [entraIssuerSchema, oidcIssuerSchema]);

/** The whole list: names and accepted issuer strings must be unique, so `iss` selects exactly one config. */
export const trustedIssuersSchema = z
  .array(trustedIssuerSchema)
  .min(1)
  .superRefine((configs, ctx) => {
    const problem = trustedIssuersProblem(configs);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

export type EntraIssuerConfig = z.output<typeof entraIssuerSchema>;
export type OidcIssuerConfig = z.output<typeof oidcIssuerSchema>;
export type TrustedIssuerConfig = z.output<typeof trustedIssuerSchema>;
export type TrustedIssuerConfigInput = z.input<typeof trustedIssuerSchema>;

/** One exact `iss` value a config accepts, with what it implies. */
export interface AcceptedIssuer {
  readonly issuer: string;
  readonly config: TrustedIssuerConfig;
  /** Entra only: the tenant named in the issuer. */
  readonly tenantId?: string;
  /** Entra only: the token version the issuer form implies (`ver` claim). */
  readonly tokenVersion?: '1.0' | '2.0';
  /** Where the keys for tokens from this issuer come from; `undefined` = OIDC discovery. */
  readonly jwksUri: string | undefined;
}

/**
 * Entra: v2 `{authorityHost}/{tid}/v2.0` per tenant, plus v1 `https://sts.windows.net/{tid}/` only on
 * the public cloud authority. Both versions of a tenant share the tenant's v2 key set.
 */
export function acceptedIssuers(config: TrustedIssuerConfig): AcceptedIssuer[] {
  switch (config.kind) {
    case 'oidc':
      return [{ issuer: config.issuer, config, jwksUri: config.jwksUri }];
    case 'entra':
      return config.tenants.flatMap((tenantId) => {
        const jwksUri = config.jwksUri?.replaceAll(TENANT_PLACEHOLDER, tenantId) ?? entraJwksUri(config.authorityHost, tenantId);
        const v2: AcceptedIssuer = {
          issuer: entraV2Issuer(config.authorityHost, tenantId),
          config,
          tenantId,
          tokenVersion: '2.0',
          jwksUri,
        };
        if (config.authorityHost !== ENTRA_DEFAULT_AUTHORITY_HOST) return [v2];
        return [v2, { issuer: entraV1Issuer(tenantId), config, tenantId, tokenVersion: '1.0', jwksUri }];
      });
  }
}

export function trustedIssuersProblem(configs: readonly TrustedIssuerConfig[]): string | undefined {
  const names = new Set<string>();
  const issuers = new Map<string, string>();
  for (const config of configs) {
    if (names.has(config.name)) return `two trusted issuers are named "${config.name}"`;
    names.add(config.name);
    for (const { issuer } of acceptedIssuers(config)) {
      const owner = issuers.get(issuer);
      if (owner !== undefined) return `trusted issuers "${owner}" and "${config.name}" both accept the issuer ${issuer}`;
      issuers.set(issuer, config.name);
    }
  }
  return undefined;
}
