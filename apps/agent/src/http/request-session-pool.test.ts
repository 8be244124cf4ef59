import { inspect } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { OpenSessionResult } from '../link/link-types.js';
import type { Recorder, SessionRecorder } from '../recording/recorder.js';
import { SessionRegistry } from '../sessions/session-registry.js';
import { RequestSessionPool, SessionEndedError } from './request-session-pool.js';

const principal = {
  id: 'p1',
  kind: 'workload',
  displayName: 'Agent',
  groups: ['ai-agents'],
  roles: [],
  scopes: [],
  appId: 'a',
  groupOverage: false,
};

function setup(open: (token: string) => Promise<OpenSessionResult>, idleMs = 60_000) {
  const recorded: { sessionId: string; kind: string; payload: Record<string, unknown> }[] = [];
  const closed: string[] = [];
  let next = 0;
  const openSession = vi.fn(async ({ token }: { token: string }) => open(token));
  const controlPlane = {
    openSession,
    closeSession: vi.fn((sessionId: string) => {
      closed.push(sessionId);
      return Promise.resolve();
    }),
  } as unknown as ControlPlaneClient;
  const recorder = {
    forSession: (sessionId: string): SessionRecorder =>
      ({
        sessionId,
        record: (kind: string, payload: Record<string, unknown>) => recorded.push({ sessionId, kind, payload }),
      }) as unknown as SessionRecorder,
  } as unknown as Recorder;
  const sessions = new SessionRegistry();
  const pool = new RequestSessionPool({
    protocol: 'http',
    connection: 'api',
    idleMs,
    controlPlane,
    recorder,
    sessions,
    logger: pino({ level: 'silent' }),
  });
  const opened = (): OpenSessionResult => ({
    opened: true,
    sessionId: `s${++next}`,
    principal,
    tokenExpiresAt: new Date(Date.now() + 3_600_000),
  });
  return { pool, sessions, recorded, closed, openSession, opened };
}

const client = { address: '127.0.0.1:1', application: 'curl' };

describe('RequestSessionPool', () => {
  it('opens one session per token and reuses it, also for concurrent first requests', async () => {
    const t = setup(() => Promise.resolve(t.opened()));
    const [a, b] = await Promise.all([t.pool.acquire('tok-1', client), t.pool.acquire('tok-1', client)]);
    const c = await t.pool.acquire('tok-1', client);
    const other = await t.pool.acquire('tok-2', client);
    expect(a.ok && b.ok && c.ok && other.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok || !other.ok) return;
    expect(b.session).toBe(a.session);
    expect(c.session).toBe(a.session);
    expect(other.session).not.toBe(a.session);
    expect(t.openSession).toHaveBeenCalledTimes(2);
    expect(t.sessions.size).toBe(2);
  });

  it('passes refusals through and does not keep them', async () => {
    const t = setup(() => Promise.resolve({ opened: false, code: 'invalid_token', message: 'expired' }));
    expect(await t.pool.acquire('bad', client)).toEqual({ ok: false, code: 'invalid_token', message: 'expired', unavailable: false });
    await t.pool.acquire('bad', client);
    expect(t.openSession).toHaveBeenCalledTimes(2);
  });

  it('fails closed when the control plane does not answer', async () => {
    const t = setup(() => Promise.reject(new Error('deadline')));
    const result = await t.pool.acquire('tok', client);
    expect(result).toMatchObject({ ok: false, unavailable: true });
  });

  it('revocation aborts the requests in flight, forgets the session, and the next request opens again', async () => {
    const t = setup(() => Promise.resolve(t.opened()));
    const first = await t.pool.acquire('tok', client);
    if (!first.ok) throw new Error('not opened');
    const scope = first.session.begin();
    expect(t.sessions.revoke('p1', 'leaked')).toBe(1);
    expect(scope?.signal.aborted).toBe(true);
    expect(scope?.signal.reason).toBeInstanceOf(SessionEndedError);
    expect((scope?.signal.reason as SessionEndedError).code).toBe('revoked');
    expect(first.session.begin()).toBeUndefined();
    expect(t.closed).toEqual(['s1']);
    expect(t.recorded.filter((e) => e.kind === 'session.closed')).toEqual([
      { sessionId: 's1', kind: 'session.closed', payload: { reason: 'revoked' } },
    ]);
    const again = await t.pool.acquire('tok', client);
    expect(again.ok && again.session.sessionId).toBe('s2');
  });

  it('closes a session after the idle window, but not while a request is in flight', async () => {
    vi.useFakeTimers();
    try {
      const t = setup(() => Promise.resolve(t.opened()), 1_000);
      const acquired = await t.pool.acquire('tok', client);
      if (!acquired.ok) throw new Error('not opened');
      const scope = acquired.session.begin();
      vi.advanceTimersByTime(5_000);
      expect(acquired.session.isEnded).toBe(false);
      expect(acquired.session.busy).toBe(true);
      scope?.done();
      vi.advanceTimersByTime(999);
      expect(acquired.session.isEnded).toBe(false);
      vi.advanceTimersByTime(2);
      expect(acquired.session.isEnded).toBe(true);
      expect(t.closed).toEqual(['s1']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends the session when the token expires', async () => {
    vi.useFakeTimers();
    try {
      const t = setup(() => Promise.resolve({ opened: true, sessionId: 's9', principal, tokenExpiresAt: new Date(Date.now() + 10_000) }));
      const acquired = await t.pool.acquire('tok', client);
      if (!acquired.ok) throw new Error('not opened');
      const scope = acquired.session.begin();
      vi.advanceTimersByTime(10_001);
      expect((scope?.signal.reason as SessionEndedError).code).toBe('token_expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('never keeps the token itself', async () => {
    const t = setup(() => Promise.resolve(t.opened()));
    await t.pool.acquire('super-secret-token', client);
    expect(JSON.stringify(t.recorded)).not.toContain('super-secret-token');
    // Sessions are keyed by a SHA-256 of the token.
    const open = (t.pool as unknown as { open: Map<string, unknown> }).open;
    expect(open.size).toBe(1);
    expect([...open.keys()][0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(inspect(open, { depth: 3 })).not.toContain('super-secret-token');
  });
});
