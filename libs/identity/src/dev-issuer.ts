import { Buffer } from 'node:buffer';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type GenerateKeyPairResult, type JWK } from 'jose';
import { z } from 'zod';
import { GUID_PATTERN, entraJwksUri, entraV2Issuer } from './microsoft-identity.js';
import { entraIssuerSchema, urlProblem, type EntraIssuerConfig } from './trusted-issuer.schema.js';

/**
 * A development-only token issuer that mints Entra-shaped v2 access tokens by the client-credentials
 * grant, so the demo and tests need no cloud tenant (DESIGN.md "Identity", issue 3 item 7). It lays
 * its documents out like Entra under its authority host, so the ordinary `entra` verification path,
 * with the same checks, accepts its tokens. The control plane serves it over HTTP only when
 * SLUICE_DEV_ISSUER=1, and must refuse to start with it in production.
 */

/** Obviously made-up ids ("5e1c" ≈ "sluice"), valid GUIDs so they pass the same checks as real ones. */
export const DEV_ISSUER_TENANT_ID = '00000000-5e1c-4000-8000-000000000001';
export const DEV_ISSUER_API_CLIENT_ID = '00000000-5e1c-4000-8000-000000000002';
export const DEV_ISSUER_API_APP_ID_URI = 'api://sluice';
/** The delegated scope put into tokens of `user` demo clients. */
export const DEV_ISSUER_USER_SCOPE = 'access_as_user';

const MICROSOFT_HOST = /(^|\.)(microsoftonline\.(com|us|de)|windows\.net|chinacloudapi\.cn|microsoft\.com)$/i;

export const devClientSchema = z.strictObject({
  clientId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" and "-", at most 100'),
  clientSecret: z.string().min(8).max(512),
  displayName: z.string().min(1).max(200),
  kind: z.enum(['workload', 'user']),
  groups: z.array(z.string().min(1)).default([]),
  roles: z.array(z.string().min(1)).default([]),
});

export const devIssuerOptionsSchema = z.strictObject({
  /** Where the control plane serves the issuer, e.g. http://127.0.0.1:8080/dev-issuer. Never a Microsoft host. */
  authorityHost: z
    .string()
    .superRefine((value, ctx) => {
      const problem = urlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      else if (MICROSOFT_HOST.test(new URL(value).hostname))
        ctx.addIssue({ code: 'custom', message: 'the development issuer must not pose as Microsoft' });
    })
    .transform((value) => value.replace(/\/+$/, '')),
  tenantId: z.string().regex(GUID_PATTERN).default(DEV_ISSUER_TENANT_ID),
  apiClientId: z.string().regex(GUID_PATTERN).default(DEV_ISSUER_API_CLIENT_ID),
  apiAppIdUri: z.string().startsWith('api://').default(DEV_ISSUER_API_APP_ID_URI),
  tokenLifetimeSeconds: z.number().int().min(60).max(86_400).default(3600),
  /** Advertised in the discovery document; default `{authorityHost}/{tenantId}/oauth2/v2.0/token` like Entra. */
  tokenEndpoint: z
    .string()
    .refine((value) => urlProblem(value) === undefined, 'must be an https (or loopback http) URL')
    .optional(),
  clients: z
    .array(devClientSchema)
    .min(1)
    .refine((clients) => new Set(clients.map((client) => client.clientId)).size === clients.length, 'client ids must not repeat'),
});

export type DevClient = z.output<typeof devClientSchema>;
export type DevIssuerOptions = z.input<typeof devIssuerOptionsSchema>;

export interface DevIssuerKeys {
  /** An RS256 key pair (e.g. loaded from PEM with jose `importPKCS8`/`importSPKI`); generated when absent. */
  readonly keyPair?: GenerateKeyPairResult;
  /** Seconds since the epoch; tests pass a fixed clock. */
  readonly now?: () => number;
}

export interface ClientCredentialsRequest {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Entra v2 style: `{App ID URI or API client id}/.default`. */
  readonly scope?: string;
  /** Entra v1 style: the App ID URI or API client id. */
  readonly resource?: string;
}

/** RFC 6749 §5.1 success body, or a §5.2 error body; the control plane sends either as JSON. */
export type ClientCredentialsResult =
  | { readonly ok: true; readonly response: { readonly access_token: string; readonly token_type: 'Bearer'; readonly expires_in: number } }
  | { readonly ok: false; readonly error: 'invalid_client' | 'invalid_request' | 'invalid_scope'; readonly error_description: string };

interface RegisteredClient {
  readonly client: DevClient;
  readonly secretDigest: Buffer;
}

const UNKNOWN_CLIENT_DIGEST = sha256('sluice-dev-issuer: no such client');

export class DevIssuer {
  /** `{authorityHost}/{tenantId}/v2.0`, as in an Entra v2 token. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly tenantId: string;
  readonly apiClientId: string;
  readonly apiAppIdUri: string;
  private readonly clients: ReadonlyMap<string, RegisteredClient>;

  private constructor(
    private readonly options: z.output<typeof devIssuerOptionsSchema>,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK & { kid: string },
    private readonly now: () => number,
  ) {
    this.tenantId = options.tenantId;
    this.apiClientId = options.apiClientId;
    this.apiAppIdUri = options.apiAppIdUri;
    this.issuer = entraV2Issuer(options.authorityHost, options.tenantId);
    this.jwksUri = entraJwksUri(options.authorityHost, options.tenantId);
    this.tokenEndpoint = options.tokenEndpoint ?? `${options.authorityHost}/${options.tenantId}/oauth2/v2.0/token`;
    this.clients = new Map(options.clients.map((client) => [client.clientId, { client, secretDigest: sha256(client.clientSecret) }]));
  }

  /** Validates the options (throws a ZodError listing what is wrong) and generates a key pair unless given one. */
  static async create(options: DevIssuerOptions, keys: DevIssuerKeys = {}): Promise<DevIssuer> {
    const parsed = devIssuerOptionsSchema.parse(options);
    const keyPair = keys.keyPair ?? (await generateKeyPair('RS256', { extractable: true }));
    if (keyPair.privateKey.algorithm.name !== 'RSASSA-PKCS1-v1_5')
      throw new Error('the development issuer signs with RS256: give it an RSA key pair');
    const exported = await exportJWK(keyPair.publicKey);
    const kid = await calculateJwkThumbprint(exported);
    const publicJwk = { ...exported, kid, use: 'sig', alg: 'RS256' };
    return new DevIssuer(parsed, keyPair.privateKey, publicJwk, keys.now ?? (() => Math.floor(Date.now() / 1000)));
  }

  /** Served at `{authorityHost}/{tenantId}/v2.0/.well-known/openid-configuration`. */
  discoveryDocument(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      token_endpoint: this.tokenEndpoint,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      response_types_supported: ['token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: [`${this.apiAppIdUri}/.default`],
    };
  }

  /** Served at `{authorityHost}/{tenantId}/discovery/v2.0/keys`. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** The `entra` trusted-issuer config that accepts this issuer's tokens through the ordinary path. */
  trustedIssuer(overrides: { readonly name?: string; readonly jwksUri?: string } = {}): EntraIssuerConfig {
    return entraIssuerSchema.parse({
      kind: 'entra',
      name: overrides.name ?? 'sluice-dev-issuer',
      tenants: [this.tenantId],
      authorityHost: this.options.authorityHost,
      audiences: [this.apiClientId, this.apiAppIdUri],
      algorithms: ['RS256'],
      ...(overrides.jwksUri !== undefined ? { jwksUri: overrides.jwksUri } : {}),
    });
  }

  /**
   * The client-credentials grant (RFC 6749 §4.4) as Entra does it: the client secret is compared in
   * constant time (an unknown client id costs the same as a wrong secret), the resource is named by
   * `scope={resource}/.default` or `resource=…`, and `aud` is always the API client id (v2 tokens).
   */
  async mintClientCredentialsToken(request: ClientCredentialsRequest): Promise<ClientCredentialsResult> {
    const registered = this.clients.get(request.clientId);
    const secretMatches = timingSafeEqual(sha256(request.clientSecret), registered?.secretDigest ?? UNKNOWN_CLIENT_DIGEST);
    if (!registered || !secretMatches) return { ok: false, error: 'invalid_client', error_description: 'client authentication failed' };

    const resourceProblem = this.resourceProblem(request);
    if (resourceProblem) return resourceProblem;

    const { client } = registered;
    const issuedAt = this.now();
    const expiresIn = this.options.tokenLifetimeSeconds;
    const oid = derivedGuid('oid', this.tenantId, client.clientId);
    const common = {
      aud: this.apiClientId,
      iss: this.issuer,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + expiresIn,
      azp: client.clientId,
      azpacr: '1',
      oid,
      tid: this.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '2.0',
      ...(client.roles.length > 0 ? { roles: client.roles } : {}),
      ...(client.groups.length > 0 ? { groups: client.groups } : {}),
    };
    const claims =
      client.kind === 'workload'
        ? { ...common, idtyp: 'app', sub: oid, app_displayname: client.displayName }
        : {
            ...common,
            idtyp: 'user',
            sub: derivedSubject(this.tenantId, client.clientId),
            name: client.displayName,
            scp: DEV_ISSUER_USER_SCOPE,
          };
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.publicJwk.kid })
      .sign(this.privateKey);
    return { ok: true, response: { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn } };
  }

  private resourceProblem(request: ClientCredentialsRequest): ClientCredentialsResult | undefined {
    const known = [this.apiAppIdUri, this.apiClientId];
    if ((request.scope === undefined) === (request.resource === undefined)) {
      return {
        ok: false,
        error: 'invalid_request',
        error_description: `give exactly one of scope=${this.apiAppIdUri}/.default or resource`,
      };
    }
    if (request.scope !== undefined && !known.some((resource) => request.scope === `${resource}/.default`)) {
      return { ok: false, error: 'invalid_scope', error_description: `the only scope offered is ${this.apiAppIdUri}/.default` };
    }
    if (request.resource !== undefined && !known.includes(request.resource)) {
      return { ok: false, error: 'invalid_scope', error_description: `the only resource offered is ${this.apiAppIdUri}` };
    }
    return undefined;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A stable GUID per (tenant, client), shaped like a version-5 UUID; object ids must be GUIDs. */
function derivedGuid(...parts: string[]): string {
  const hash = createHash('sha256')
    .update(`sluice-dev-issuer\u0000${parts.join('\u0000')}`)
    .digest();
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Entra's delegated `sub` is pairwise and opaque, unlike `oid`. */
function derivedSubject(tenantId: string, clientId: string): string {
  return createHash('sha256')
    .update(`sluice-dev-issuer\u0000sub\u0000${tenantId}\u0000${clientId}`)
    .digest()
    .subarray(0, 24)
    .toString('base64url');
}
