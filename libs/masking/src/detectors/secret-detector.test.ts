import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomTokenArb } from '../../test/sensitive-values.js';
import { entropy, findSecrets } from './secret-detector.js';

const found = (text: string): string[] => findSecrets(text).map(({ start, end }) => text.slice(start, end));

describe('findSecrets', () => {
  it.each([
    [
      'an AWS-style secret access key',
      'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9sL2KEY',
      ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9sL2KEY'],
    ],
    ['a base64url session token', 'session=Zk3mQ9xT2vLp8RwN4sYb7HcJ1dFgK6eA', ['Zk3mQ9xT2vLp8RwN4sYb7HcJ1dFgK6eA']],
    ['base64 with padding', '"dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMw=="', ['dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMw==']],
    ['a 32-char hex API key', 'api_key: 9f86d081884c7d659a2feaa0c55ad015', ['9f86d081884c7d659a2feaa0c55ad015']],
    [
      'a git commit hash (indistinguishable from a hex key)',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      ['3f786850e387550fdab836ed7e6dc881de23001b'],
    ],
  ])('finds %s', (_what, text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['an upper-case UUID', '550E8400-E29B-41D4-A716-446655440000'],
    ['a camelCase identifier', 'getUserAccountSettingsById2'],
    ['a PascalCase identifier', 'PostgreSQL16DatabaseMigrationV3Step2'],
    ['an upper snake constant', 'MAX_CONNECTIONS_PER_HOST_2026_Default'],
    ['a kebab header name', 'X-Forwarded-For-Client-IP-Address-V2'],
    ['a file path', '/home/User1/Documents/Report2026'],
    ['a URL path', 'https://github.com/owner/RepoName123/blob/main/src/SomeFile2.ts'],
    ['an ISO timestamp', '2026-11-26T10:15:30.123456Z'],
    ['a long decimal number', '123456789012345678901234567890'],
    ['hex without digits', 'deadbeefcafebabedeadbeefcafebabe'],
    ['a low-entropy mixed string', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaA1'],
    ['a token shorter than 24 characters', 'Zk3mQ9xT2vLp8RwN4sYb7Hc'],
    ['lower-case letters and digits only', 'k8s9x7q2m4n6p1r3t5v0w2y4'],
    ['a run longer than 1024 characters (encoded data)', 'Zk3mQ9xT2vLp8RwN4sYb7HcJ'.repeat(50)],
    ['English prose', 'The quick brown fox jumps over the lazy dog 42 times'],
  ])('finds nothing in %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  it('computes Shannon entropy in bits per character', () => {
    expect(entropy('aaaa', 0, 4)).toBe(0);
    expect(entropy('abab', 0, 4)).toBe(1);
    expect(entropy('abcdefgh', 0, 8)).toBe(3);
  });

  it('finds most random base64url tokens of 24–64 characters', () => {
    // The word-likeness guard rejects a few random tokens by design; require ≥ 90 % recall.
    const samples = fc.sample(randomTokenArb, { numRuns: 500, seed: 42 });
    const hits = samples.filter((token) => found(` ${token} `).length === 1).length;
    expect(hits / samples.length).toBeGreaterThan(0.9);
  });
});
