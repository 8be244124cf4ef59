import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { saslprep } from './saslprep.js';
import { ScramError, type ScramErrorCode, ScramSha256Client, chooseSaslMechanism } from './scram-client.js';

describe('ScramSha256Client: RFC 7677 §3 test vector', () => {
  it('produces the exact client messages and accepts the server signature', async () => {
    const client = new ScramSha256Client({ username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(client.clientFirstMessage().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.clientFinalMessage(
      Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    );
    expect(final.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(client.verified).toBe(false);
    client.verifyServerFinal(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
    expect(client.verified).toBe(true);
  });
});

/** An independent server side, straight from RFC 5802 §3, to exercise the client's checks. */
function scramServer(password: string, salt = randomBytes(16), iterations = 4096) {
  return {
    first(clientFirst: Buffer, suffix = 'srv'): string {
      const nonce = /r=([^,]*)/.exec(clientFirst.toString())?.[1] ?? '';
      return `r=${nonce}${suffix},s=${salt.toString('base64')},i=${iterations}`;
    },
    final(clientFirst: Buffer, serverFirst: string, clientFinal: Buffer): string {
      const bare = clientFirst.toString().slice(3);
      const withoutProof = clientFinal.toString().replace(/,p=.*$/, '');
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      // Check the proof like a server would, so the test also validates what the client sent.
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const signature = createHmac('sha256', storedKey).update(authMessage).digest();
      const proof = Buffer.from(/,p=(.*)$/.exec(clientFinal.toString())?.[1] ?? '', 'base64');
      const recovered = Buffer.from(proof.map((b, i) => b ^ (signature[i] ?? 0)));
      if (!createHash('sha256').update(recovered).digest().equals(storedKey)) return 'e=invalid-proof';
      return `v=${createHmac('sha256', serverKey).update(authMessage).digest('base64')}`;
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<ScramErrorCode | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScramError) return error.code;
    throw error;
  }
  return undefined;
}

describe('ScramSha256Client against an independent server implementation', () => {
  it('completes an exchange with a random nonce and proves itself to the server', async () => {
    const server = scramServer('s3cret');
    const client = new ScramSha256Client({ password: 's3cret' });
    const first = client.clientFirstMessage();
    expect(first.toString()).toMatch(/^n,,n=,r=[A-Za-z0-9+/=]{24}$/);
    const serverFirst = server.first(first);
    const final = await client.clientFinalMessage(Buffer.from(serverFirst));
    client.verifyServerFinal(Buffer.from(server.final(first, serverFirst, final)));
    expect(client.verified).toBe(true);
  });

  it('refuses a server that does not know the password (server_signature_mismatch)', async () => {
    const real = scramServer('s3cret');
    const client = new ScramSha256Client({ password: 's3cret' });
    const first = client.clientFirstMessage();
    await client.clientFinalMessage(Buffer.from(real.first(first)));
    const forged = `v=${randomBytes(32).toString('base64')}`;
    expect(() => client.verifyServerFinal(Buffer.from(forged))).toThrow(expect.objectContaining({ code: 'server_signature_mismatch' }));
    expect(client.verified).toBe(false);
    // A truncated signature is a mismatch too, not a crash in timingSafeEqual.
    const other = new ScramSha256Client({ password: 's3cret' });
    const otherFirst = other.clientFirstMessage();
    await other.clientFinalMessage(Buffer.from(real.first(otherFirst)));
    expect(() => other.verifyServerFinal(Buffer.from('v=AAAA'))).toThrow(expect.objectContaining({ code: 'server_signature_mismatch' }));
  });

  it('reports a server-side error (e=) with the RFC error name only', async () => {
    const server = scramServer('other');
    const client = new ScramSha256Client({ password: 's3cret' });
    const first = client.clientFirstMessage();
    const serverFirst = server.first(first);
    const final = await client.clientFinalMessage(Buffer.from(serverFirst));
    const answer = server.final(first, serverFirst, final);
    expect(answer).toBe('e=invalid-proof');
    expect(() => client.verifyServerFinal(Buffer.from(answer))).toThrow(
      new ScramError('server_error', 'server rejected SCRAM authentication: invalid-proof'),
    );
    expect(() => client.verifyServerFinal(Buffer.from(answer))).toThrow(expect.objectContaining({ code: 'invalid_state' }));
  });

  const bad: [string, (nonce: string) => string, ScramErrorCode][] = [
    ['a nonce that does not extend ours', () => 'r=someoneelse,s=c2FsdA==,i=4096', 'nonce_mismatch'],
    ['a nonce that adds nothing', (n) => `r=${n},s=c2FsdA==,i=4096`, 'nonce_mismatch'],
    ['too few iterations', (n) => `r=${n}x,s=c2FsdA==,i=4095`, 'iteration_count_out_of_range'],
    ['too many iterations', (n) => `r=${n}x,s=c2FsdA==,i=100001`, 'iteration_count_out_of_range'],
    ['an absurd iteration count', (n) => `r=${n}x,s=c2FsdA==,i=${'9'.repeat(400)}`, 'iteration_count_out_of_range'],
    ['a non-decimal iteration count', (n) => `r=${n}x,s=c2FsdA==,i=0x1000`, 'malformed_server_message'],
    ['a negative iteration count', (n) => `r=${n}x,s=c2FsdA==,i=-4096`, 'malformed_server_message'],
    ['salt that is not base64', (n) => `r=${n}x,s=c2F*sdA==,i=4096`, 'malformed_server_message'],
    ['an empty salt', (n) => `r=${n}x,s=,i=4096`, 'malformed_server_message'],
    ['padding in the middle of the salt', (n) => `r=${n}x,s=c2=sdA==,i=4096`, 'malformed_server_message'],
    ['attributes out of order', (n) => `s=c2FsdA==,r=${n}x,i=4096`, 'malformed_server_message'],
    ['a missing iteration count', (n) => `r=${n}x,s=c2FsdA==`, 'malformed_server_message'],
    ['a mandatory extension', (n) => `m=ext,r=${n}x,s=c2FsdA==,i=4096`, 'unsupported_extension'],
    ['a nonce with a control character', (n) => `r=${n}\u0001,s=c2FsdA==,i=4096`, 'malformed_server_message'],
  ];
  for (const [what, serverFirst, code] of bad) {
    it(`refuses server-first-message with ${what}`, async () => {
      const client = new ScramSha256Client({ password: 'p' });
      const nonce = /r=(.*)$/.exec(client.clientFirstMessage().toString())?.[1] ?? '';
      expect(await failure(client.clientFinalMessage(Buffer.from(serverFirst(nonce))))).toBe(code);
    });
  }

  it('accepts extensions after the iteration count, and configurable bounds', async () => {
    const client = new ScramSha256Client({ password: 'p', minIterations: 1, maxIterations: 10 });
    const nonce = /r=(.*)$/.exec(client.clientFirstMessage().toString())?.[1] ?? '';
    const final = await client.clientFinalMessage(Buffer.from(`r=${nonce}x,s=c2FsdA==,i=2,x=ext`));
    expect(final.toString()).toMatch(new RegExp(`^c=biws,r=${nonce.replace(/[+/]/g, '\\$&')}x,p=`));
  });

  it('refuses steps out of order and a server-final without verifier', async () => {
    const client = new ScramSha256Client({ password: 'p' });
    expect(() => client.verifyServerFinal(Buffer.from('v=AAAA'))).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(await failure(client.clientFinalMessage(Buffer.from('r=x,s=c2FsdA==,i=4096')))).toBe('invalid_state');
    const nonce = /r=(.*)$/.exec(client.clientFirstMessage().toString())?.[1] ?? '';
    expect(() => client.clientFirstMessage()).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    await client.clientFinalMessage(Buffer.from(`r=${nonce}x,s=c2FsdA==,i=4096`));
    expect(() => client.verifyServerFinal(Buffer.from('x=1'))).toThrow(expect.objectContaining({ code: 'malformed_server_message' }));
  });

  it('is spent after a refused step: no second attempt with the same nonce', async () => {
    const client = new ScramSha256Client({ password: 'p' });
    const nonce = /r=(.*)$/.exec(client.clientFirstMessage().toString())?.[1] ?? '';
    expect(await failure(client.clientFinalMessage(Buffer.from('r=other,s=c2FsdA==,i=4096')))).toBe('nonce_mismatch');
    expect(await failure(client.clientFinalMessage(Buffer.from(`r=${nonce}x,s=c2FsdA==,i=4096`)))).toBe('invalid_state');
  });

  it('refuses a second clientFinalMessage while the first is still deriving keys', async () => {
    const client = new ScramSha256Client({ password: 'p' });
    const nonce = /r=(.*)$/.exec(client.clientFirstMessage().toString())?.[1] ?? '';
    const serverFirst = Buffer.from(`r=${nonce}x,s=c2FsdA==,i=4096`);
    const first = client.clientFinalMessage(serverFirst);
    expect(await failure(client.clientFinalMessage(serverFirst))).toBe('invalid_state');
    expect((await first).toString()).toMatch(/^c=biws,/);
  });

  it('escapes "," and "=" in the user name (RFC 5802 saslname)', () => {
    expect(new ScramSha256Client({ password: 'p', username: 'a,b=c', nonce: 'n' }).clientFirstMessage().toString()).toBe(
      'n,,n=a=2Cb=3Dc,r=n',
    );
  });

  it('never puts the password or proofs in error messages', async () => {
    const password = 'hunter2-very-secret';
    const client = new ScramSha256Client({ password });
    const first = client.clientFirstMessage();
    const server = scramServer('x');
    const final = await client.clientFinalMessage(Buffer.from(server.first(first)));
    let message = '';
    try {
      client.verifyServerFinal(Buffer.from(`v=${randomBytes(32).toString('base64')}`));
    } catch (error) {
      message = `${String(error)} ${(error as Error).stack ?? ''}`;
    }
    expect(message).toContain('server signature does not match');
    expect(message).not.toContain(password);
    expect(message).not.toContain(final.toString().split('p=')[1]);
  });

  it('picks plain SCRAM-SHA-256 from the offered mechanisms, nothing else', () => {
    expect(chooseSaslMechanism(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'])).toBe('SCRAM-SHA-256');
    expect(chooseSaslMechanism(['SCRAM-SHA-256-PLUS'])).toBeUndefined();
    expect(chooseSaslMechanism([])).toBeUndefined();
  });
});

describe('saslprep as PostgreSQL applies it', () => {
  it('follows the RFC 4013 §3 examples', () => {
    expect(saslprep('I\u00ADX')).toBe('IX');
    expect(saslprep('user')).toBe('user');
    expect(saslprep('USER')).toBe('USER');
    expect(saslprep('\u00AA')).toBe('a');
    expect(saslprep('\u2168')).toBe('IX');
  });

  it('maps non-ASCII spaces to U+0020, drops B.1 characters and applies NFKC', () => {
    expect(saslprep('a\u00A0b\u3000c')).toBe('a b c');
    expect(saslprep('\uFB01x')).toBe('fix');
    expect(saslprep('e\u0301')).toBe('\u00E9');
    expect(saslprep('pa\u200Dss\uFE0F')).toBe('pass');
    expect(saslprep('\u200B')).toBe(' '); // PostgreSQL's C.1.2 table includes U+200B
  });

  it('uses the raw password where PostgreSQL does', () => {
    expect(saslprep('\u0007bell')).toBe('\u0007bell'); // pure ASCII: used as is, control characters included
    expect(saslprep('\u0627\u0031')).toBe('\u0627\u0031'); // bidi: RandALCat must also end the string
    expect(saslprep('\u05D0a\u05D1')).toBe('\u05D0a\u05D1'); // bidi: RandALCat mixed with LCat
    expect(saslprep('\u00AD')).toBe('\u00AD'); // empty after mapping
    expect(saslprep('\uE000\uFB01')).toBe('\uE000\uFB01'); // private use (C.3)
    expect(saslprep('\u0221\uFB01')).toBe('\u0221\uFB01'); // unassigned in Unicode 3.2 (A.1)
    expect(saslprep('\u{1F525}\uFB01')).toBe('\u{1F525}\uFB01'); // emoji: unassigned in Unicode 3.2
    expect(saslprep('\uD800\uFB01')).toBe('\uD800\uFB01'); // lone surrogate: not valid UTF-8
    expect(saslprep('\u2028\uFB01')).toBe('\u2028\uFB01'); // line separator (C.2.2)
  });

  it('accepts a right-to-left password that starts and ends with RandALCat characters', () => {
    expect(saslprep('\u05D0\u05D1')).toBe('\u05D0\u05D1');
    expect(saslprep('\uFB2A\u05D0')).toBe('\u05E9\u05C1\u05D0'); // NFKC decomposes the presentation form
  });
});
