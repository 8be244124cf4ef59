import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jwtArb } from '../../test/sensitive-values.js';
import { findJwts } from './jwt-detector.js';

const found = (text: string): string[] => findJwts(text).map(({ start, end }) => text.slice(start, end));
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

// jwt.io's example token.
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('findJwts', () => {
  it.each([
    [`Authorization: Bearer ${JWT}`, [JWT]],
    [`{"token":"${JWT}"}`, [JWT]],
    [`${JWT} and ${JWT}`, [JWT, JWT]],
  ])('finds the token in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it('finds an unsecured token with an empty signature', () => {
    const token = `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`;
    expect(found(`t=${token}`)).toEqual([token]);
  });

  it('finds a five-segment JWE whole, including an empty encrypted key', () => {
    const token = `${b64({ alg: 'dir', enc: 'A256GCM' })}..${b64('iv-bytes')}.${b64('ciphertext')}.${b64('tag')}`;
    expect(found(token)).toEqual([token]);
  });

  it.each([
    ['header is JSON without alg', `${b64({ typ: 'JWT' })}.${b64({ sub: 1 })}.sig`],
    ['header alg is not a string', `${b64({ alg: 1 })}.${b64({ sub: 1 })}.sig`],
    ['header is not JSON', `eyJub3QganNvbg.${b64({ sub: 1 })}.sig`],
    ['header is a JSON array', `${b64([{ alg: 'HS256' }])}.${b64({ sub: 1 })}.sig`],
    ['only two segments', `${b64({ alg: 'HS256' })}.${b64({ sub: 1 })}`],
    ['empty payload', `${b64({ alg: 'HS256' })}..sig`],
    ['glued to a token character', `x${JWT}`],
    ['a bare eyJ', 'eyJ eyJ eyJ'],
  ])('finds nothing when the %s', (_why, text) => {
    expect(found(text)).toEqual([]);
  });

  it('finds generated tokens', () => {
    fc.assert(
      fc.property(jwtArb, (token) => {
        expect(found(`jwt ${token} end`)).toEqual([token]);
      }),
    );
  });
});
