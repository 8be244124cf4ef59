// Issue 6, audit half, at the system level: the hash chain over recorded events (ingestion in any
// order, verify against database tampering), the sessions API (filters, pages, summary, replay) and
// the OCSF export — against the real control plane and PostgreSQL, with an agent speaking the real
// gRPC contract.
import { execFileSync } from 'node:child_process';
import { createTestDatabase, waitFor, type TestDatabase } from '@sluice/testing';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, sanitizePayload } from '../apps/control-plane/src/sessions/event-hash-chain.js';
import { FakeAgent, typicalSession } from './support/fake-agent.js';
import { CONTROL_PLANE_CLI, devToken, getJson, startControlPlane, type RunningControlPlane } from './support/system.js';

interface Verification {
  sessionId: string;
  complete: boolean;
  intact: boolean;
  events: number;
  firstBadSeq?: number;
  problem?: string;
  verifiedThroughSeq: number;
  headHash: string;
}
interface EventJson {
  seq: number;
  kind: string;
  prevHash: string | null;
  hash: string | null;
  payload: Record<string, unknown>;
}
interface SessionJson {
  id: string;
  principalId: string;
  connection: string;
  closedAt: string | null;
}

const JAN = Date.UTC(2026, 0, 1);
const STATEMENTS = [
  { text: 'SELECT * FROM customers', classes: ['sql.dml.select'], effect: 'mask', tag: 'SELECT 3' },
  { text: 'DELETE FROM customers', classes: ['sql.dml.delete'], effect: 'deny', error: '42501' },
  { text: 'INSERT INTO t VALUES (1)', classes: ['sql.dml.insert'], effect: 'allow', tag: 'INSERT 0 1' },
];

describe('audit', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let sql: pg.Client;
  let agent: FakeAgent;
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  let adminToken = '';
  let agentToken = '';
  let approverToken = '';

  const verify = (id: string) => getJson<Verification>(`${cp.httpUrl}/api/v1/sessions/${id}/verify`, adminToken);

  /** A fresh, fully recorded and closed session. */
  async function recordedSession(startAt = JAN): Promise<{ sessionId: string; principalId: string }> {
    const opened = await agent.openSession('orders-db', agentToken);
    await agent.record(opened.sessionId, typicalSession(opened.principalId, 'orders-db', STATEMENTS, startAt));
    await agent.closeSession(opened.sessionId);
    return opened;
  }

  /** Runs SQL as a database superuser would, with the append-only trigger out of the way. */
  async function tamper(statement: string, params: unknown[]): Promise<void> {
    await sql.query('SET session_replication_role = replica');
    try {
      await sql.query(statement, params);
    } finally {
      await sql.query('SET session_replication_role = origin');
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    cp = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey });
    adminToken = await devToken(cp, 'demo-admin');
    agentToken = await devToken(cp, 'demo-agent');
    approverToken = await devToken(cp, 'demo-approver');
    agent = new FakeAgent(cp.grpcPort, agentKey, 'audit-agent', ['orders-db', 'billing-db']);
    await agent.ready();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    agent.close();
    await sql.end();
    await cp.process.stop();
    await db.drop();
  });

  describe('the hash chain', () => {
    it('chains events that arrive out of order, in several batches and again after a resend', async () => {
      const { sessionId, principalId } = await agent.openSession('orders-db', agentToken);
      const events = typicalSession(principalId, 'orders-db', STATEMENTS.slice(0, 1), JAN);
      // 4 and 5 first: stored, acknowledged, but not chainable yet.
      await agent.record(sessionId, events.slice(3));
      const waiting = await verify(sessionId);
      expect(waiting).toMatchObject({ intact: true, complete: false, firstBadSeq: 1, events: 2 });
      // Two batches at once (the link does not wait between them), one a resend of the other.
      agent.send(sessionId, events.slice(0, 2));
      await agent.record(sessionId, events.slice(0, 3));
      const done = await verify(sessionId);
      expect(done).toMatchObject({ intact: true, complete: true, events: 5, verifiedThroughSeq: 5 });

      const stored = await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/events`, adminToken);
      expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(stored[0]?.prevHash).toBe('0'.repeat(64));
      for (let i = 1; i < stored.length; i++) expect(stored[i]?.prevHash).toBe(stored[i - 1]?.hash);
      expect(stored.at(-1)?.hash).toBe(done.headHash);
      // The head is also written outside the database, for a later comparison.
      const sealed = await cp.process.waitForLog((l) => l.msg === 'session log sealed' && l.sessionId === sessionId);
      expect(sealed.headHash).toBe(done.headHash);
    });

    it('does not store or acknowledge events for a session that is not the agent’s', async () => {
      const { sessionId } = await agent.openSession('orders-db', agentToken);
      const other = new FakeAgent(cp.grpcPort, agentKey, 'other-agent', ['crm-db']);
      try {
        await other.ready();
        other.send(sessionId, [{ seq: 1, kind: 'session.opened', payload: { forged: true } }]);
        await new Promise((r) => setTimeout(r, 300));
        expect(other.acked(sessionId, 1)).toBe(false);
        const stored = await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/events`, adminToken);
        expect(stored).toEqual([]);
      } finally {
        other.close();
      }
    });

    it('records a malformed event in its place, so the log has no hole and stays verifiable', async () => {
      const { sessionId, principalId } = await agent.openSession('orders-db', agentToken);
      const events = typicalSession(principalId, 'orders-db', [], JAN);
      await agent.record(sessionId, [
        events[0]!,
        { seq: 2, kind: 'command.received', payload: '{not json' },
        { seq: 3, kind: 'Bad Kind!', payload: {} },
        { seq: 4, kind: 'command.received', payload: { text: 'a\u0000b', deep: JSON.parse('[[[[[[[[1]]]]]]]]') as unknown } },
        { ...events[1]!, seq: 5 },
      ]);
      const stored = await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/events`, adminToken);
      expect(stored.map((e) => e.kind)).toEqual([
        'session.opened',
        'event.malformed',
        'event.malformed',
        'command.received',
        'session.closed',
      ]);
      expect(stored[1]?.payload).toEqual({ problem: 'payload is not JSON', kind: 'command.received' });
      expect(stored[3]?.payload.text).toBe('a\uFFFDb');
      expect(await verify(sessionId)).toMatchObject({ intact: true, complete: true });
    });

    it('keeps canonical JSON unchanged through PostgreSQL jsonb (property, as stored)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          const clean = sanitizePayload({ value });
          if (!clean.ok) return;
          const text = canonicalJson(clean.value);
          const { rows } = await sql.query<{ v: unknown }>('SELECT $1::jsonb AS v', [text]);
          expect(canonicalJson(rows[0]?.v)).toBe(text);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('verify detects database tampering', () => {
    it('an altered payload', async () => {
      const { sessionId } = await recordedSession();
      expect(await verify(sessionId)).toMatchObject({ intact: true, complete: true, events: 11 });
      await tamper(`UPDATE session_events SET payload = jsonb_set(payload, '{text}', '"SELECT 1"') WHERE session_id = $1 AND seq = 5`, [
        sessionId,
      ]);
      expect(await verify(sessionId)).toMatchObject({ intact: false, complete: false, firstBadSeq: 5 });
    });

    it('an altered decision effect, kind or time', async () => {
      for (const edit of [
        `UPDATE session_events SET payload = jsonb_set(payload, '{effect}', '"allow"') WHERE session_id = $1 AND seq = 6`,
        `UPDATE session_events SET kind = 'command.completed' WHERE session_id = $1 AND seq = 6`,
        `UPDATE session_events SET occurred_at = occurred_at + interval '1 hour' WHERE session_id = $1 AND seq = 6`,
      ]) {
        const { sessionId } = await recordedSession();
        await tamper(edit, [sessionId]);
        expect(await verify(sessionId), edit).toMatchObject({ intact: false, firstBadSeq: 6 });
      }
    });

    it('a deleted event, in the middle or at the end', async () => {
      const middle = await recordedSession();
      await tamper(`DELETE FROM session_events WHERE session_id = $1 AND seq = 6`, [middle.sessionId]);
      expect(await verify(middle.sessionId)).toMatchObject({
        intact: false,
        firstBadSeq: 6,
        problem: expect.stringContaining('deleted') as string,
      });

      const tail = await recordedSession();
      await tamper(`DELETE FROM session_events WHERE session_id = $1 AND seq >= 9`, [tail.sessionId]);
      expect(await verify(tail.sessionId)).toMatchObject({ intact: false, complete: false, firstBadSeq: 9 });
    });

    it('two events whose seq numbers were swapped', async () => {
      const { sessionId } = await recordedSession();
      await tamper(`UPDATE session_events SET seq = 1000 WHERE session_id = $1 AND seq = 5`, [sessionId]);
      await tamper(`UPDATE session_events SET seq = 5 WHERE session_id = $1 AND seq = 6`, [sessionId]);
      await tamper(`UPDATE session_events SET seq = 6 WHERE session_id = $1 AND seq = 1000`, [sessionId]);
      expect(await verify(sessionId)).toMatchObject({ intact: false, firstBadSeq: 5 });
    });

    it('an event moved to another session', async () => {
      const a = await recordedSession();
      const b = await recordedSession();
      await tamper(`DELETE FROM session_events WHERE session_id = $1 AND seq = 5`, [b.sessionId]);
      await tamper(`UPDATE session_events SET session_id = $2 WHERE session_id = $1 AND seq = 5`, [a.sessionId, b.sessionId]);
      expect(await verify(b.sessionId)).toMatchObject({ intact: false, firstBadSeq: 5 });
      expect(await verify(a.sessionId)).toMatchObject({ intact: false, firstBadSeq: 5 });
    });

    it('while the database itself refuses edits and deletions of recorded events', async () => {
      const { sessionId } = await recordedSession();
      await expect(
        sql.query(`UPDATE session_events SET payload = '{}' WHERE session_id = $1 AND seq = 2`, [sessionId]),
      ).rejects.toMatchObject({
        code: '42501',
      });
      await expect(sql.query(`DELETE FROM session_events WHERE session_id = $1`, [sessionId])).rejects.toMatchObject({ code: '42501' });
      await expect(sql.query(`TRUNCATE session_events CASCADE`)).rejects.toMatchObject({ code: '42501' });
      expect(await verify(sessionId)).toMatchObject({ intact: true, complete: true });
    });
  });

  describe('the sessions API', () => {
    it('summarises a session with counts by effect', async () => {
      const { sessionId, principalId } = await recordedSession();
      const summary = await getJson<Record<string, unknown>>(`${cp.httpUrl}/api/v1/sessions/${sessionId}`, adminToken);
      expect(summary).toMatchObject({
        id: sessionId,
        principalId,
        principal: { id: principalId, kind: 'workload', displayName: 'Demo AI agent' },
        connection: 'orders-db',
        agentId: 'audit-agent',
        closeReason: 'client_closed',
        events: 11,
        statements: 3,
        decisions: { mask: 1, deny: 1, allow: 1 },
      });
      const missing = await fetch(`${cp.httpUrl}/api/v1/sessions/00000000-0000-4000-8000-000000000000`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(missing.status).toBe(404);
    });

    it('replays the statements with their decisions and completions, a page at a time', async () => {
      const { sessionId } = await recordedSession();
      type Replay = {
        statements: { seq: number; text: string; decision: { effect: string }; completion: { tag: string | null; error: string | null } }[];
        events: { kind: string }[];
        nextAfterSeq: number | null;
      };
      const whole = await getJson<Replay>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/replay`, adminToken);
      expect(whole.statements.map((s) => [s.text, s.decision.effect, s.completion.tag ?? s.completion.error])).toEqual([
        ['SELECT * FROM customers', 'mask', 'SELECT 3'],
        ['DELETE FROM customers', 'deny', '42501'],
        ['INSERT INTO t VALUES (1)', 'allow', 'INSERT 0 1'],
      ]);
      expect(whole.events.map((e) => e.kind)).toEqual(['session.opened', 'session.closed']);
      expect(whole.nextAfterSeq).toBeNull();

      const first = await getJson<Replay>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/replay?limit=2`, adminToken);
      expect(first.statements.map((s) => s.seq)).toEqual([2, 5]);
      expect(first.nextAfterSeq).toBe(7);
      const rest = await getJson<Replay>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/replay?limit=2&afterSeq=7`, adminToken);
      expect(rest.statements.map((s) => s.seq)).toEqual([8]);
      expect(rest.nextAfterSeq).toBeNull();
    });

    it('lists sessions filtered by principal, connection, time and effect, in pages', async () => {
      const billing = await agent.openSession('billing-db', agentToken);
      await agent.record(
        billing.sessionId,
        typicalSession(
          billing.principalId,
          'billing-db',
          [{ text: 'SELECT 1', classes: ['sql.dml.select'], effect: 'review', tag: 'SELECT 1' }],
          JAN,
        ),
      );
      const list = (query: string) => getJson<SessionJson[]>(`${cp.httpUrl}/api/v1/sessions?${query}`, adminToken);

      expect((await list('connection=billing-db')).map((s) => s.id)).toEqual([billing.sessionId]);
      expect((await list('effect=review')).map((s) => s.id)).toEqual([billing.sessionId]);
      expect((await list(`principal=${encodeURIComponent(billing.principalId)}`)).length).toBeGreaterThan(1);
      expect(await list('principal=nobody')).toEqual([]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const stillOpen = await list(`from=${future}`);
      expect(stillOpen.map((s) => s.id)).toContain(billing.sessionId);
      expect(stillOpen.every((s) => s.closedAt === null)).toBe(true);
      expect(await list(`to=${new Date(JAN).toISOString()}`)).toEqual([]);

      // Keyset pages: every session once, newest first, however the list is cut.
      const all = await list('limit=500');
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const response: Response = await fetch(`${cp.httpUrl}/api/v1/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        paged.push(...((await response.json()) as SessionJson[]).map((s) => s.id));
        cursor = response.headers.get('x-next-cursor');
        if (cursor) expect(response.headers.get('link')).toContain('rel="next"');
      } while (cursor);
      expect(paged).toEqual(all.map((s) => s.id));
      expect(all.length).toBeGreaterThan(3);
    });

    it('validates filters and refuses forged cursors with 400', async () => {
      for (const query of [
        'effect=maybe',
        'limit=0',
        'limit=501',
        'from=yesterday',
        'cursor=AAAA',
        'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
        'extra=1',
      ]) {
        const response = await fetch(`${cp.httpUrl}/api/v1/sessions?${query}`, { headers: { authorization: `Bearer ${adminToken}` } });
        expect(response.status, query).toBe(400);
      }
    });

    it('is for auditors and admins only', async () => {
      const { sessionId } = await recordedSession();
      for (const path of [
        '/api/v1/sessions',
        `/api/v1/sessions/${sessionId}`,
        `/api/v1/sessions/${sessionId}/verify`,
        `/api/v1/sessions/${sessionId}/replay`,
        '/api/v1/audit/export',
      ]) {
        for (const token of [approverToken, agentToken]) {
          const response = await fetch(`${cp.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
          expect(response.status, path).toBe(403);
        }
        expect((await fetch(`${cp.httpUrl}${path}`)).status, path).toBe(401);
      }
    });
  });

  describe('the export', () => {
    it('streams OCSF JSON lines for a time range, oldest first, one per event', async () => {
      const start = Date.UTC(2025, 5, 1);
      const { sessionId } = await recordedSession(start);
      const response = await fetch(
        `${cp.httpUrl}/api/v1/audit/export?from=${new Date(start).toISOString()}&to=${new Date(start + 60_000).toISOString()}`,
        { headers: { authorization: `Bearer ${adminToken}` } },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/x-ndjson');
      const text = await response.text();
      expect(text.endsWith('\n')).toBe(true);
      const lines = text
        .trimEnd()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as Record<string, unknown> & {
              metadata: { uid: string; correlation_uid: string };
              time: number;
              unmapped: { sluice: { kind: string; hash: string } };
            },
        );
      expect(lines).toHaveLength(11);
      expect(new Set(lines.map((l) => l.metadata.correlation_uid))).toEqual(new Set([sessionId]));
      expect(lines.map((l) => l.time)).toEqual([...lines.map((l) => l.time)].sort((a, b) => a - b));
      expect(lines.map((l) => l.class_uid)).toEqual([3003, 6005, 6005, 6005, 6005, 6005, 6005, 6005, 6005, 6005, 3002]);
      expect(lines[5]).toMatchObject({ activity_name: 'Delete', disposition_id: 2, query_info: { query_string: 'DELETE FROM customers' } });
      const events = await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${sessionId}/events`, adminToken);
      expect(lines.map((l) => l.unmapped.sluice.hash)).toEqual(events.map((e) => e.hash));

      const empty = await fetch(`${cp.httpUrl}/api/v1/audit/export?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(await empty.text()).toBe('');
      const bad = await fetch(`${cp.httpUrl}/api/v1/audit/export?from=last-week`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(bad.status).toBe(400);
    });

    it('pages through more events than one query reads, without repeating or skipping one', async () => {
      const { sessionId } = await agent.openSession('orders-db', agentToken);
      const at = Date.UTC(2024, 0, 1);
      // 2,500 events with only 5 distinct times: the keyset must order within equal times too.
      const events = Array.from({ length: 2_500 }, (_, i) => ({
        seq: i + 1,
        kind: 'command.received',
        payload: { text: `SELECT ${i}` },
        at: at + (i % 5),
      }));
      for (let i = 0; i < events.length; i += 500) await agent.record(sessionId, events.slice(i, i + 500));
      const response = await fetch(
        `${cp.httpUrl}/api/v1/audit/export?from=${new Date(at).toISOString()}&to=${new Date(at + 1000).toISOString()}`,
        {
          headers: { authorization: `Bearer ${adminToken}` },
        },
      );
      const uids = (await response.text())
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { metadata: { uid: string } }).metadata.uid);
      expect(uids).toHaveLength(2_500);
      expect(new Set(uids).size).toBe(2_500);
      await waitFor(async () => ((await verify(sessionId)).verifiedThroughSeq === 2_500 ? true : undefined));
    });
  });
});
