import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import type { CliIo } from './cli-io.js';
import { CredentialsStore } from './credentials-store.js';

interface Sent {
  url: string;
  init: RequestInit;
}

/** The CLI in-process, with a fake server answering every request with `answer`. */
async function harness(answer: (url: URL) => Response, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  const sent: Sent[] = [];
  let out = '';
  let err = '';
  const io: CliIo = {
    env: { SLUICE_CONFIG_DIR: dir, ...env },
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      sent.push({ url, init: init ?? {} });
      return Promise.resolve(answer(new URL(url)));
    },
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readStdin: () => Promise.resolve(''),
    writeStream: () => Promise.resolve(),
    now: () => new Date('2026-01-31T10:00:00Z'),
  };
  return {
    store: new CredentialsStore(dir),
    sent,
    run: async (...argv: string[]) => {
      out = '';
      err = '';
      const code = await runCli(argv, io);
      return { code, out, err };
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const stored = { token: 'tok-A', expiresAt: null, obtainedAt: '2026-01-31T09:00:00Z', method: 'token' as const };

describe('sluice (in-process)', () => {
  it('sends a stored token only to the server it was stored for', async () => {
    const h = await harness(() => json(200, []));
    await h.store.put('https://a.example', stored);
    expect((await h.run('principals', 'list', '--server', 'https://a.example')).code).toBe(0);
    expect(new Headers(h.sent[0]?.init.headers).get('authorization')).toBe('Bearer tok-A');
    const other = await h.run('principals', 'list', '--server', 'https://evil.example');
    expect(other.code).toBe(1);
    expect(other.err).toContain('not logged in to https://evil.example');
    expect(h.sent).toHaveLength(1);
  });

  it('never follows redirects with the token', async () => {
    const h = await harness(() => json(200, []));
    await h.store.put('https://a.example', stored);
    await h.run('principals', 'list', '--server', 'https://a.example');
    expect(h.sent[0]?.init.redirect).toBe('error');
    expect(h.sent[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('refuses plain http to another host, and allows it on loopback', async () => {
    const h = await harness(() => json(200, []), { SLUICE_TOKEN: 'tok' });
    const remote = await h.run('principals', 'list', '--server', 'http://cp.example:8080');
    expect(remote.code).toBe(1);
    expect(remote.err).toContain('refusing plain http');
    expect(h.sent).toHaveLength(0);
    expect((await h.run('principals', 'list', '--server', 'http://127.0.0.1:8080')).code).toBe(0);
  });

  it('refuses an expired stored token before sending it', async () => {
    const h = await harness(() => json(200, []));
    await h.store.put('https://a.example', { ...stored, expiresAt: '2026-01-31T09:59:59Z' });
    const result = await h.run('sessions', 'list', '--server', 'https://a.example');
    expect(result.err).toContain('expired at 2026-01-31T09:59:59Z');
    expect(h.sent).toHaveLength(0);
  });

  it('reports HTTP errors with the status and the server’s own message, without a stack', async () => {
    const h = await harness((url) =>
      url.pathname.startsWith('/api/v1/approvals')
        ? json(404, { message: 'Cannot GET /api/v1/approvals?status=pending', error: 'Not Found', statusCode: 404 })
        : json(401, { statusCode: 401, code: 'expired', message: 'the token has expired' }),
    );
    await h.store.put('https://a.example', stored);
    const missing = await h.run('approvals', 'list', '--server', 'https://a.example');
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toBe('sluice: GET /api/v1/approvals: HTTP 404: Cannot GET /api/v1/approvals?status=pending\n');
    const unauthorized = await h.run('sessions', 'list', '--server', 'https://a.example');
    expect(unauthorized.err).toContain('HTTP 401: the token has expired (run "sluice login"');
    expect(unauthorized.err).not.toContain('tok-A');
    expect(unauthorized.err).not.toContain('    at ');
  });

  it('maps verify results to exit codes: 0 intact and complete, 1 tampered, 3 incomplete', async () => {
    let verdict = { intact: true, complete: true };
    const h = await harness(() =>
      json(200, { sessionId: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a', events: 3, verifiedThroughSeq: 3, headHash: 'ab', ...verdict }),
    );
    await h.store.put('https://a.example', stored);
    const id = '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a';
    expect((await h.run('sessions', 'verify', id, '--server', 'https://a.example')).code).toBe(0);
    verdict = { intact: false, complete: false };
    const tampered = await h.run('sessions', 'verify', id, '--server', 'https://a.example');
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('TAMPERED');
    verdict = { intact: true, complete: false };
    expect((await h.run('sessions', 'verify', id, '--server', 'https://a.example')).code).toBe(3);
    expect((await h.run('sessions', 'verify', 'not-an-id', '--server', 'https://a.example')).code).toBe(2);
  });

  it('requires a comment to deny, and a reason to revoke', async () => {
    const h = await harness(() => json(200, {}));
    await h.store.put('https://a.example', stored);
    expect((await h.run('approvals', 'deny', 'ap-1', '--server', 'https://a.example')).code).toBe(2);
    expect((await h.run('principals', 'revoke', 'p-1', '--server', 'https://a.example')).code).toBe(2);
    expect(h.sent).toHaveLength(0);
  });
});
