import { Buffer } from 'node:buffer';
import { parseStrictJsonObject } from './strict-json.js';

/** Largest token we look at; real Entra access tokens are 1–4 KiB even with 200 groups. */
export const DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024;

export interface DecodedJws {
  /** The protected header, unverified. */
  readonly header: Record<string, unknown>;
  /** The claims, unverified: only good for choosing how to verify. */
  readonly payload: Record<string, unknown>;
  readonly signatureLength: number;
}

export type DecodeJwsResult =
  | { readonly ok: true; readonly value: DecodedJws }
  | { readonly ok: false; readonly code: 'too-large' | 'malformed'; readonly message: string };

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes a JWS Compact Serialization (RFC 7515 §7.1) strictly and without verifying it: the size cap
 * comes before any parsing, then exactly three segments, canonical unpadded base64url (RFC 7515 §2:
 * one encoding per value, so a token cannot be re-encoded into a second "different" token), valid
 * UTF-8, and JSON objects without duplicate member names for the header and the claims.
 */
export function decodeCompactJws(token: unknown, maxLength: number = DEFAULT_MAX_TOKEN_LENGTH): DecodeJwsResult {
  if (typeof token !== 'string') return malformed('The token must be a string.');
  if (token.length > maxLength) return { ok: false, code: 'too-large', message: `The token is longer than ${maxLength} characters.` };
  const segments = token.split('.');
  if (segments.length !== 3)
    return malformed('The token must have exactly three dot-separated parts (a signed JWT, not an encrypted one).');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = segments;
  if (encodedHeader === '' || encodedPayload === '') return malformed('The token header and claims must not be empty.');

  const header = decodeJsonSegment(encodedHeader);
  if (typeof header === 'string') return malformed(`The token header is ${header}.`);
  const payload = decodeJsonSegment(encodedPayload);
  if (typeof payload === 'string') return malformed(`The token claims are ${payload}.`);
  const signature = decodeSegment(encodedSignature);
  if (signature === undefined) return malformed('The token signature is not canonical base64url.');
  return { ok: true, value: { header, payload, signatureLength: signature.length } };
}

/** Returns the decoded object, or a fixed phrase saying what is wrong with the segment. */
function decodeJsonSegment(segment: string): Record<string, unknown> | string {
  const bytes = decodeSegment(segment);
  if (bytes === undefined) return 'not canonical base64url';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return 'not valid UTF-8';
  }
  const parsed = parseStrictJsonObject(text);
  if (parsed.ok) return parsed.value;
  switch (parsed.reason) {
    case 'invalid-json':
      return 'not valid JSON';
    case 'not-an-object':
      return 'not a JSON object';
    case 'duplicate-key':
      return 'JSON that repeats a member name';
  }
}

function decodeSegment(segment: string): Buffer | undefined {
  if (!BASE64URL_SEGMENT.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  // Node decodes leniently (a dangling character, non-zero padding bits): re-encoding catches both.
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

function malformed(message: string): DecodeJwsResult {
  return { ok: false, code: 'malformed', message };
}
