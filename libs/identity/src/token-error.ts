import type { Principal } from './principal.js';

/**
 * Why a token was refused. A string union so callers can `switch` on it exhaustively (the jose
 * style); every code maps to an HTTP 401 `invalid_token` except `keys-unavailable` and
 * `internal-error`, which are the verifier's fault, not the caller's (see docs/identity-verification.md).
 */
export type TokenErrorCode =
  | 'too-large'
  | 'malformed'
  | 'algorithm-not-allowed'
  | 'forbidden-header'
  | 'token-type-not-allowed'
  | 'graph-token'
  | 'unknown-issuer'
  | 'tenant-not-allowed'
  | 'issuer-tenant-mismatch'
  | 'unknown-key'
  | 'signature-invalid'
  | 'expired'
  | 'not-yet-valid'
  | 'audience-mismatch'
  | 'missing-claim'
  | 'invalid-claim'
  | 'keys-unavailable'
  | 'internal-error';

export interface VerifySuccess {
  readonly ok: true;
  readonly principal: Principal;
}

export interface VerifyFailure {
  readonly ok: false;
  readonly code: TokenErrorCode;
  /** Safe to show the client: fixed text (plus, at most, a claim name from our own config). Never echoes the token. */
  readonly message: string;
  /** For logs only (jose error code, fetch failure): never contains the token or its claims. */
  readonly detail?: string;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

export function refuse(code: TokenErrorCode, message: string, detail?: string): VerifyFailure {
  return detail === undefined ? { ok: false, code, message } : { ok: false, code, message, detail };
}

export const GRAPH_TOKEN_MESSAGE =
  'This is an access token for Microsoft Graph (or another Microsoft API); Sluice cannot and will not verify it. ' +
  'Request an access token for the Sluice API instead (for example scope=api://<sluice-app-id>/.default).';
