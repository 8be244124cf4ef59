export { TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';
export { GRAPH_TOKEN_MESSAGE, type TokenErrorCode, type VerifyFailure, type VerifyResult, type VerifySuccess } from './token-error.js';
export type { Principal, PrincipalKind } from './principal.js';
export {
  ENTRA_DEFAULT_CLAIMS,
  OIDC_DEFAULT_CLAIMS,
  SIGNATURE_ALGORITHMS,
  acceptedIssuers,
  entraIssuerSchema,
  oidcIssuerSchema,
  trustedIssuerSchema,
  trustedIssuersSchema,
  type AcceptedIssuer,
  type ClaimMapping,
  type EntraIssuerConfig,
  type OidcIssuerConfig,
  type SignatureAlgorithm,
  type TrustedIssuerConfig,
  type TrustedIssuerConfigInput,
} from './trusted-issuer.schema.js';
export { DEFAULT_MAX_TOKEN_LENGTH } from './compact-jws.js';
export { ENTRA_DEFAULT_AUTHORITY_HOST } from './microsoft-identity.js';
export {
  DEV_ISSUER_API_APP_ID_URI,
  DEV_ISSUER_API_CLIENT_ID,
  DEV_ISSUER_TENANT_ID,
  DEV_ISSUER_USER_SCOPE,
  DevIssuer,
  devClientSchema,
  devIssuerOptionsSchema,
  type ClientCredentialsRequest,
  type ClientCredentialsResult,
  type DevClient,
  type DevIssuerKeys,
  type DevIssuerOptions,
} from './dev-issuer.js';
export { signTestToken, signTestTokenText, type TestTokenKey } from './test-token.js';
