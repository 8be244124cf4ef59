import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Agent keys look like `sak_<id>.<secret>`: a 16-hex-digit public id used to find the record, and
 * 32 random bytes (base64url) of which only a SHA-256 is stored. A fast hash is enough: the secret
 * has 256 bits of entropy, so there is nothing to brute-force.
 */
const KEY_PATTERN = /^sak_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedAgentKey {
  readonly id: string;
  readonly secret: string;
}

export interface GeneratedAgentKey extends ParsedAgentKey {
  /** The full key, shown once to the operator and never stored. */
  readonly key: string;
  readonly secretSha256: string;
}

export function generateAgentKey(): GeneratedAgentKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `sak_${id}.${secret}`, secretSha256: hashSecret(secret) };
}

/** Undefined for anything that is not shaped like an agent key. */
export function parseAgentKey(presented: string): ParsedAgentKey | undefined {
  const match = KEY_PATTERN.exec(presented);
  if (!match?.[1] || !match[2]) return undefined;
  return { id: match[1], secret: match[2] };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
