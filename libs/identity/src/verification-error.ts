import { errors } from 'jose';
import { KeyResolutionError } from './key-source.js';
import { refuse, type VerifyFailure } from './token-error.js';

/**
 * Maps what `jwtVerify` (and our key resolver inside it) throws to a refusal. jose checks, in order:
 * header/alg, key, signature, then claims — so a claim error is only ever reported for a token whose
 * signature was good. The `detail` is for logs; jose messages name claims, never their values.
 */
export function refusalFor(error: unknown): VerifyFailure {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : undefined;
  if (error instanceof KeyResolutionError) {
    switch (error.reason) {
      case 'unknown-key':
        return refuse('unknown-key', 'The token is signed with a key the issuer does not publish (unknown kid).', detail);
      case 'ambiguous-key':
        return refuse('unknown-key', 'The token does not identify its signing key unambiguously (kid).', detail);
      case 'unavailable':
        return refuse('keys-unavailable', "The issuer's signing keys could not be fetched; try again shortly.", detail);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refuse('signature-invalid', 'The token signature is not valid.', detail);
  if (error instanceof errors.JWTExpired) return refuse('expired', 'The token has expired.', detail);
  if (error instanceof errors.JWTClaimValidationFailed) return claimRefusal(error.claim, error.reason, detail);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse('algorithm-not-allowed', 'The token algorithm is not accepted for its issuer.', detail);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return refuse('malformed', 'The token is not a well-formed signed JWT.', detail);
  }
  return refuse('internal-error', 'The token could not be verified because of an internal error.', detail);
}

function claimRefusal(claim: string, reason: string, detail: string | undefined): VerifyFailure {
  if (reason === 'missing') return refuse('missing-claim', `The token lacks the required "${claim}" claim.`, detail);
  if (reason === 'invalid') return refuse('invalid-claim', `The "${claim}" claim has the wrong type.`, detail);
  switch (claim) {
    case 'nbf':
    case 'iat':
      return refuse('not-yet-valid', 'The token is not valid yet.', detail);
    case 'aud':
      return refuse('audience-mismatch', 'The token is not for the Sluice API (audience); request a token for the Sluice API.', detail);
    case 'iss':
      return refuse('unknown-issuer', 'The token issuer is not trusted.', detail);
    default:
      return refuse('invalid-claim', `The "${claim}" claim has an unexpected value.`, detail);
  }
}
