import { Buffer } from 'node:buffer';
import { compactVerify, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { signTestToken, signTestTokenText } from './test-token.js';

describe('signTestToken', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'RS512'] as const)('produces %s signatures jose accepts', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const token = await signTestToken(privateKey, { alg, kid: 'k' }, { sub: 'x' });
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: [alg] });
    expect(payload).toEqual({ sub: 'x' });
    expect(protectedHeader).toEqual({ alg, kid: 'k' });
  });

  it('produces HMAC signatures with a byte secret', async () => {
    const secret = Buffer.from('a shared secret of reasonable length!!');
    const token = await signTestToken(secret, { alg: 'HS256' }, { sub: 'x' });
    expect((await jwtVerify(token, secret)).payload).toEqual({ sub: 'x' });
  });

  it('leaves the signature empty for alg none or no key', async () => {
    expect(await signTestToken(null, { alg: 'RS256' }, { a: 1 })).toMatch(/\.$/);
    expect((await signTestToken(Buffer.from('x'), { alg: 'none' }, { a: 1 })).endsWith('.')).toBe(true);
  });

  it('signs raw JSON text verbatim, even what a correct signer would refuse', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const token = await signTestTokenText(privateKey, '{"alg":"RS256","crit":["zzz"],"zzz":1}', '{"a":1,"a":2}');
    expect(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).toBe('{"a":1,"a":2}');
    const verified = await compactVerify(token, publicKey, { crit: { zzz: true } });
    expect(Buffer.from(verified.payload).toString()).toBe('{"a":1,"a":2}');
  });
});
