import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { DEFAULT_MAX_TOKEN_LENGTH, decodeCompactJws } from './compact-jws.js';
import { KeySources, type KeyResolver } from './key-source.js';
import { ENTRA_DEFAULT_AUTHORITY_HOST, GUID_PATTERN, audienceNamesMicrosoftApi } from './microsoft-identity.js';
import { mapPrincipal } from './principal.js';
import { GRAPH_TOKEN_MESSAGE, refuse, type VerifyFailure, type VerifyResult } from './token-error.js';
import {
  SIGNATURE_ALGORITHMS,
  acceptedIssuers,
  trustedIssuersProblem,
  type AcceptedIssuer,
  type EntraIssuerConfig,
  type TrustedIssuerConfig,
} from './trusted-issuer.schema.js';
import { refusalFor } from './verification-error.js';

export interface TokenVerifierOptions {
  /** Tokens longer than this are refused before any parsing. Default 16 KiB. */
  readonly maxTokenLength?: number;
}

/**
 * Header parameters that would let the token choose its own key (RFC 7515 §4.1.2–4.1.6) or change
 * how it is processed (`crit`, `b64`, RFC 7797). A verifier that honours any of them lets an attacker
 * sign with their own key; we refuse the token outright rather than merely ignore them.
 */
const FORBIDDEN_HEADER_PARAMETERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'] as const;

/** `typ` values of access tokens (RFC 7519 §5.1, RFC 9068 §2.1); other JWT kinds (e.g. `dpop+jwt`) are refused. */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

const MAX_KID_LENGTH = 256;

const KNOWN_ALGORITHMS: ReadonlySet<string> = new Set(SIGNATURE_ALGORITHMS);

interface TrustedIssuer {
  readonly accepted: AcceptedIssuer;
  readonly keys: KeyResolver;
}

/**
 * Verifies bearer access tokens against the trusted issuers, strictly and in a fixed order
 * (docs/identity-verification.md): size, shape, header, Graph, issuer (chosen from the unverified
 * `iss`, exact match), then jose `jwtVerify` (key, signature, iss, aud, exp/nbf, algorithm), then
 * Entra tenant checks and principal mapping. Never throws; never echoes the token.
 */
export class TokenVerifier {
  private readonly issuers = new Map<string, TrustedIssuer>();
  private readonly entraConfigs: readonly EntraIssuerConfig[];
  private readonly maxTokenLength: number;

  /** `configs` are parsed with `trustedIssuersSchema`; a conflicting list throws (refuse to start). */
  constructor(configs: readonly TrustedIssuerConfig[], options: TokenVerifierOptions = {}) {
    const problem = configs.length === 0 ? 'no trusted issuers configured' : trustedIssuersProblem(configs);
    if (problem !== undefined) throw new Error(`invalid trusted issuers: ${problem}`);
    this.maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    const keySources = new KeySources();
    for (const config of configs) {
      for (const accepted of acceptedIssuers(config)) {
        this.issuers.set(accepted.issuer, { accepted, keys: keySources.resolverFor(accepted) });
      }
    }
    this.entraConfigs = configs.filter((config): config is EntraIssuerConfig => config.kind === 'entra');
  }

  async verify(token: string): Promise<VerifyResult> {
    try {
      return await this.verifyOrRefuse(token);
    } catch (error) {
      return refuse(
        'internal-error',
        'The token could not be verified because of an internal error.',
        error instanceof Error ? error.name : undefined,
      );
    }
  }

  private async verifyOrRefuse(token: string): Promise<VerifyResult> {
    // 1–2. Size cap before any parsing, then a strict compact JWS.
    const decoded = decodeCompactJws(token, this.maxTokenLength);
    if (!decoded.ok) return refuse(decoded.code, decoded.message);
    const { header, payload } = decoded.value;

    // 3. Header, before we trust anything the token says about itself.
    const headerRefusal = checkHeader(header);
    if (headerRefusal) return headerRefusal;

    // 4. A token for Microsoft Graph: refuse with a message that tells the caller what to do.
    if (audienceNamesMicrosoftApi(payload.aud)) return refuse('graph-token', GRAPH_TOKEN_MESSAGE);

    // 5. The issuer config, from the UNVERIFIED `iss` by exact match; it only picks keys and rules.
    const iss = payload.iss;
    if (iss === undefined) return refuse('missing-claim', 'The token lacks the required "iss" claim.');
    if (typeof iss !== 'string') return refuse('invalid-claim', 'The "iss" claim has the wrong type.');
    const trusted = this.issuers.get(iss);
    if (!trusted) {
      return this.namesUnlistedEntraTenant(iss)
        ? refuse('tenant-not-allowed', 'The token comes from a Microsoft Entra tenant that is not allowed.')
        : refuse('unknown-issuer', 'The token issuer is not trusted.');
    }
    const { accepted, keys } = trusted;
    const { config } = accepted;
    if (!(config.algorithms as readonly string[]).includes(header.alg as string)) {
      return refuse('algorithm-not-allowed', 'The token algorithm is not accepted for its issuer.');
    }

    // 6. Key, signature and registered claims, by jose.
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, keys, verifyOptions(accepted));
      claims = verified.payload;
    } catch (error) {
      return refusalFor(error);
    }

    // 7. What jose leaves to us.
    const claimRefusal = checkVerifiedClaims(accepted, claims);
    if (claimRefusal) return claimRefusal;
    const mapped = mapPrincipal(accepted, claims);
    return mapped.ok ? { ok: true, principal: mapped.principal } : refuse(mapped.code, mapped.message);
  }

  /** `{authorityHost}/{guid}/v2.0` (or the v1 form) of a configured Entra authority, for a tenant not on its list. */
  private namesUnlistedEntraTenant(iss: string): boolean {
    return this.entraConfigs.some((config) => {
      const v2Prefix = `${config.authorityHost}/`;
      if (iss.startsWith(v2Prefix) && iss.endsWith('/v2.0')) {
        return GUID_PATTERN.test(iss.slice(v2Prefix.length, -'/v2.0'.length).toLowerCase());
      }
      const v1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/$/.exec(iss);
      return config.authorityHost === ENTRA_DEFAULT_AUTHORITY_HOST && v1 !== null && GUID_PATTERN.test((v1[1] ?? '').toLowerCase());
    });
  }
}

function checkHeader(header: Record<string, unknown>): VerifyFailure | undefined {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string' || alg === '') return refuse('malformed', 'The token header has no "alg".');
  // `none` and HS* are in no issuer's allow-list: refused here whatever the issuer says.
  if (!KNOWN_ALGORITHMS.has(alg))
    return refuse('algorithm-not-allowed', 'The token algorithm is not accepted; Sluice accepts only asymmetric signatures.');
  for (const name of FORBIDDEN_HEADER_PARAMETERS) {
    if (Object.hasOwn(header, name)) {
      return refuse(
        'forbidden-header',
        `The token header carries "${name}"; Sluice never takes keys or processing rules from the token itself.`,
      );
    }
  }
  if (Object.hasOwn(header, 'nonce')) return refuse('graph-token', GRAPH_TOKEN_MESSAGE);
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase()))) {
    return refuse('token-type-not-allowed', 'The token is not an access token (header "typ").');
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH)) {
    return refuse('malformed', 'The token header "kid" must be a short non-empty string.');
  }
  return undefined;
}

function verifyOptions(accepted: AcceptedIssuer): JWTVerifyOptions {
  const { config } = accepted;
  const required = config.kind === 'entra' ? ['exp', 'iat', 'sub', 'tid', 'oid'] : ['exp', 'iat', 'sub'];
  return {
    issuer: accepted.issuer,
    audience: [...config.audiences],
    algorithms: [...config.algorithms],
    clockTolerance: config.clockToleranceSeconds,
    requiredClaims: [...new Set([...required, ...config.requiredClaims])],
  };
}

function checkVerifiedClaims(accepted: AcceptedIssuer, claims: Record<string, unknown>): VerifyFailure | undefined {
  // Decision: an `aud` array is accepted only with a single member. A token minted for several
  // resources can be replayed to us by any of them (confused deputy); Entra never issues one.
  if (Array.isArray(claims.aud) && claims.aud.length !== 1) {
    return refuse('audience-mismatch', 'The token is for several audiences; request a token for the Sluice API alone.');
  }
  // jose checks `iat` only for its type; a token issued in the future is not valid yet.
  const iat = claims.iat as number;
  if (iat > Date.now() / 1000 + accepted.config.clockToleranceSeconds)
    return refuse('not-yet-valid', 'The token is not valid yet (issued in the future).');
  if (accepted.config.kind === 'entra') {
    const { tid } = claims;
    if (typeof tid !== 'string') return refuse('invalid-claim', 'The "tid" claim has the wrong type.');
    // The tenant in `iss` chose the key set and passed the allow-list; `tid` must be the same tenant.
    if (tid !== accepted.tenantId)
      return refuse('issuer-tenant-mismatch', 'The token tenant (tid) does not match the tenant of its issuer (iss).');
  }
  return undefined;
}
