import { Buffer } from 'node:buffer';
import { createHmac, webcrypto } from 'node:crypto';
import type { CryptoKey } from 'jose';

/** A private key (RS*, PS*, ES*, EdDSA), an HMAC secret (HS*), or null for an unsigned token. */
export type TestTokenKey = CryptoKey | Uint8Array | null;

/**
 * Signs an arbitrary header and payload as a compact JWS — including things a correct signer would
 * refuse to produce (`crit`, `jku`, `alg: none`) — so tests anywhere in the repository can build
 * hostile tokens. The signature algorithm comes from the header's `alg`.
 */
export function signTestToken(
  key: TestTokenKey,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  return signTestTokenText(key, JSON.stringify(header), JSON.stringify(payload));
}

/** The same, with the header and payload JSON text used verbatim (duplicate members, broken JSON). */
export async function signTestTokenText(key: TestTokenKey, headerText: string, payloadText: string): Promise<string> {
  const signingInput = `${base64url(headerText)}.${base64url(payloadText)}`;
  const alg = algOf(headerText);
  if (key === null || alg === 'none' || typeof alg !== 'string') return `${signingInput}.`;
  const data = Buffer.from(signingInput, 'ascii');
  if (key instanceof Uint8Array) {
    return `${signingInput}.${createHmac(`sha${alg.slice(2)}`, key)
      .update(data)
      .digest('base64url')}`;
  }
  const signature = await webcrypto.subtle.sign(signParameters(key, alg), key, data);
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

function signParameters(key: CryptoKey, alg: string): webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams {
  const bits = Number(alg.slice(2));
  switch (key.algorithm.name) {
    case 'RSA-PSS':
      return { name: 'RSA-PSS', saltLength: bits / 8 };
    case 'ECDSA':
      return { name: 'ECDSA', hash: `SHA-${bits}` };
    default:
      return { name: key.algorithm.name };
  }
}

function algOf(headerText: string): unknown {
  try {
    const parsed: unknown = JSON.parse(headerText);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).alg : undefined;
  } catch {
    return undefined;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
