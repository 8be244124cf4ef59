import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateAgentKey, hashSecret, parseAgentKey, secretMatches } from './agent-key.js';

describe('agent keys', () => {
  it('round-trips a generated key and matches only its own secret', () => {
    const key = generateAgentKey();
    const parsed = parseAgentKey(key.key);
    expect(parsed).toEqual({ id: key.id, secret: key.secret });
    expect(secretMatches(key.secret, key.secretSha256)).toBe(true);
    expect(secretMatches(generateAgentKey().secret, key.secretSha256)).toBe(false);
    expect(key.secretSha256).toBe(hashSecret(key.secret));
    expect(key.secretSha256).not.toContain(key.secret);
  });

  it('generates distinct keys', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateAgentKey().key));
    expect(keys.size).toBe(100);
  });

  it('rejects anything not shaped exactly like a key', () => {
    const key = generateAgentKey().key;
    for (const bad of [
      '',
      'sak_',
      key.toUpperCase(),
      ` ${key}`,
      `${key} `,
      `${key}x`,
      key.slice(0, -1),
      key.replace('.', '_'),
      `Bearer ${key}`,
      `${key}\n`,
    ]) {
      expect(parseAgentKey(bad)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        const parsed = parseAgentKey(s);
        return parsed === undefined || s === `sak_${parsed.id}.${parsed.secret}`;
      }),
    );
  });

  it('compares against malformed stored hashes without throwing', () => {
    expect(secretMatches('x', 'not-hex')).toBe(false);
    expect(secretMatches('x', '')).toBe(false);
  });
});
