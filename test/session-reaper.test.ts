// Sessions whose agent never reported their end (it crashed with clients connected) are closed by
// the control plane once their token has been expired for a while — against a real control plane
// and PostgreSQL, with a fake agent speaking the real protocol.
import { execFileSync } from 'node:child_process';
import { createTestDatabase, waitFor, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/fake-agent.js';
import { CONTROL_PLANE_CLI, devToken, startControlPlane, type RunningControlPlane } from './support/system.js';

describe('the control plane closes sessions no agent will report', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let sql: pg.Client;
  let fake: FakeAgent;
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    db = await createTestDatabase();
    cp = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_SESSION_REAP_INTERVAL_MS: '1000',
    });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    fake = new FakeAgent(cp.grpcPort, agentKey, 'crashing-agent', ['reaped-db']);
    await fake.ready();
  }, 120_000);

  afterAll(async () => {
    fake.close();
    await sql.end();
    await cp.process.stop('SIGTERM');
    await db.drop();
  });

  const closed = async (id: string) =>
    (
      await sql.query<{ closed_at: Date | null; close_reason: string | null }>(
        'SELECT closed_at, close_reason FROM sessions WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('closes a session once its token has been expired for five minutes, and only then', async () => {
    const token = await devToken(cp, 'demo-agent');
    const stale = await fake.openSession('reaped-db', token);
    const recent = await fake.openSession('reaped-db', token);
    const live = await fake.openSession('reaped-db', token);
    // As if the agent crashed long ago: one token expired 10 minutes ago, one 1 minute ago.
    await sql.query(`UPDATE sessions SET token_expires_at = now() - interval '10 minutes' WHERE id = $1`, [stale.sessionId]);
    await sql.query(`UPDATE sessions SET token_expires_at = now() - interval '1 minute' WHERE id = $1`, [recent.sessionId]);
    const reaped = await waitFor(async () => {
      const row = await closed(stale.sessionId);
      return row?.closed_at ? row : undefined;
    }, 15_000);
    expect(reaped.close_reason).toMatch(/agent never reported the end/);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two more sweeps
    expect((await closed(recent.sessionId))?.closed_at).toBeNull();
    expect((await closed(live.sessionId))?.closed_at).toBeNull();
  });
});
