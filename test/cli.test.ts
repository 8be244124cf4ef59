// Issue 6 item 9: the `sluice` CLI (built, as `pnpm sluice` runs it) against a real control plane —
// login, sessions, verify, principals, export; approvals and policy as far as the server has them.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent, typicalSession } from './support/fake-agent.js';
import { CONTROL_PLANE_CLI, DEV_ISSUER_SECRET, devToken, startControlPlane, type RunningControlPlane } from './support/system.js';

const CLI = resolve(import.meta.dirname, '../apps/cli/dist/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('sluice CLI', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let agent: FakeAgent;
  let sessionId = '';
  let principalId = '';
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  /** An auditor/admin whose token the CLI obtained itself (client credentials). */
  let admin: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    cp = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey });
    agent = new FakeAgent(cp.grpcPort, agentKey, 'cli-agent', ['orders-db']);
    await agent.ready();
    const opened = await agent.openSession('orders-db', await devToken(cp, 'demo-agent'));
    sessionId = opened.sessionId;
    principalId = opened.principalId;
    await agent.record(
      sessionId,
      typicalSession(
        principalId,
        'orders-db',
        [
          { text: 'SELECT full_name FROM customers', classes: ['sql.dml.select'], effect: 'mask', tag: 'SELECT 3' },
          { text: 'DROP TABLE customers', classes: ['sql.ddl.drop'], effect: 'deny', error: '42501' },
        ],
        Date.UTC(2026, 0, 1),
      ),
    );
    await agent.closeSession(sessionId);
    admin = { SLUICE_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'sluice-cli-admin-')), SLUICE_SERVER: cp.httpUrl };
  });

  afterAll(async () => {
    agent.close();
    await cp.process.stop();
    await db.drop();
  });

  describe('login', () => {
    it('gets a token with client credentials and stores it readable by the user only', async () => {
      const login = await sluice(['login', '--client-id', 'demo-admin'], { ...admin, SLUICE_CLIENT_SECRET: DEV_ISSUER_SECRET });
      expect(login.stderr).toBe('');
      expect(login.code).toBe(0);
      expect(login.stdout).toContain(`logged in to ${cp.httpUrl} as Demo security admin`);
      const file = join(admin.SLUICE_CONFIG_DIR!, 'credentials.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const stored = JSON.parse(await readFile(file, 'utf8')) as {
        currentServer: string;
        servers: Record<string, { token: string; method: string }>;
      };
      expect(stored.currentServer).toBe(cp.httpUrl);
      expect(stored.servers[cp.httpUrl]).toMatchObject({ method: 'client_credentials' });
      expect(login.stdout).not.toContain(stored.servers[cp.httpUrl]!.token);
    });

    it('refuses a wrong secret with the token endpoint’s reason, never echoing the secret', async () => {
      const env = { SLUICE_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'sluice-cli-')), SLUICE_SERVER: cp.httpUrl };
      const login = await sluice(['login', '--client-id', 'demo-admin'], { ...env, SLUICE_CLIENT_SECRET: 'not-the-secret-1234' });
      expect(login.code).toBe(1);
      expect(login.stderr).toMatch(/^sluice: token endpoint .*dev-issuer\/token: HTTP 401/);
      expect(login.stderr + login.stdout).not.toContain('not-the-secret-1234');
      await expect(stat(join(env.SLUICE_CONFIG_DIR, 'credentials.json'))).rejects.toThrow();
    });

    it('accepts a pasted token from standard input, and refuses one the server rejects', async () => {
      const env = { SLUICE_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'sluice-cli-')), SLUICE_SERVER: cp.httpUrl };
      const token = await devToken(cp, 'demo-approver');
      expect((await sluice(['login', '--token', '-'], env, `${token}\n`)).code).toBe(0);
      // An approver may not read sessions: the server's 403 message, exit 1.
      const denied = await sluice(['sessions', 'list'], env);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toBe('sluice: GET /api/v1/sessions: HTTP 403: requires the auditor or admin role\n');

      const forged = await sluice(['login', '--token', `${token.slice(0, -8)}AAAAAAAA`], {
        ...env,
        SLUICE_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'sluice-cli-')),
      });
      expect(forged.code).toBe(1);
      expect(forged.stderr).toContain('HTTP 401');
    });
  });

  describe('sessions', () => {
    it('lists sessions as a table and as JSON', async () => {
      const text = await sluice(['sessions', 'list'], admin);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^ID\s+OPENED\s+STATE\s+PRINCIPAL\s+CONNECTION\s+CLIENT/);
      expect(text.stdout).toContain(sessionId);
      expect(text.stdout).toContain('closed (client_closed)');
      const json = JSON.parse(
        (await sluice(['sessions', 'list', '--json', '--connection', 'orders-db', '--effect', 'deny'], admin)).stdout,
      ) as {
        sessions: { id: string }[];
      };
      expect(json.sessions.map((s) => s.id)).toEqual([sessionId]);
      const none = await sluice(['sessions', 'list', '--effect', 'review'], admin);
      expect(none.stdout).toBe('no sessions\n');
    });

    it('shows a summary and replays the session as text', async () => {
      const show = await sluice(['sessions', 'show', sessionId], admin);
      expect(show.stdout).toMatch(/statements:\s+2/);
      expect(show.stdout).toMatch(/decisions:\s+deny 1, mask 1/);
      const replay = await sluice(['sessions', 'replay', sessionId], admin);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain('SELECT full_name FROM customers');
      expect(replay.stdout).toContain('~ mask · rules rule-1 · policy v1 · mask by test');
      expect(replay.stdout).toContain('= SELECT 3 · 1 rows · 3 ms');
      expect(replay.stdout).toContain('x failed: SQLSTATE 42501 (refused by Sluice)');
      const json = JSON.parse((await sluice(['sessions', 'replay', sessionId, '--json'], admin)).stdout) as { statements: unknown[] };
      expect(json.statements).toHaveLength(2);
    });

    it('verifies the chain, and exits 1 naming the event once a row is tampered with', async () => {
      const clean = await sluice(['sessions', 'verify', sessionId], admin);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('INTACT and COMPLETE');
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        await sql.query('SET session_replication_role = replica');
        await sql.query(`UPDATE session_events SET payload = jsonb_set(payload, '{effect}', '"allow"') WHERE session_id = $1 AND seq = 6`, [
          sessionId,
        ]);
      } finally {
        await sql.end();
      }
      const tampered = await sluice(['sessions', 'verify', sessionId], admin);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toContain('TAMPERED');
      expect(tampered.stdout).toContain('first bad event: 6');
      const missing = await sluice(['sessions', 'show', '00000000-0000-4000-8000-000000000000'], admin);
      expect(missing).toMatchObject({
        code: 1,
        stderr:
          'sluice: GET /api/v1/sessions/00000000-0000-4000-8000-000000000000: HTTP 404: no session 00000000-0000-4000-8000-000000000000\n',
      });
    });

    it('exports OCSF JSON lines to a file', async () => {
      const out = join(admin.SLUICE_CONFIG_DIR!, 'export.jsonl');
      const run = await sluice(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '-o', out], admin);
      expect(run.code).toBe(0);
      const lines = (await readFile(out, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { class_uid: number });
      expect(lines.map((l) => l.class_uid)).toEqual([3003, 6005, 6005, 6005, 6005, 6005, 6005, 3002]);
    });
  });

  describe('principals', () => {
    it('lists principals and revokes and restores one', async () => {
      const list = await sluice(['principals', 'list'], admin);
      expect(list.stdout).toContain(principalId);
      const revoked = await sluice(['principals', 'revoke', principalId, '--reason', 'leaked in CI', '--json'], admin);
      expect(revoked.code).toBe(0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ id: principalId, revokeReason: 'leaked in CI' });
      expect((await sluice(['principals', 'unrevoke', principalId], admin)).stdout).toContain(`restored ${principalId}`);
    });
  });

  describe('approvals and policy (endpoints built alongside)', () => {
    it('either works or reports the server’s answer, never crashes', async () => {
      for (const args of [
        ['approvals', 'list'],
        ['approvals', 'show', '00000000-0000-4000-8000-000000000000'],
        ['policy', 'get'],
      ]) {
        const run = await sluice(args, admin);
        expect(run.stderr, args.join(' ')).not.toContain('    at ');
        if (run.code === 0) continue;
        expect(run.code, args.join(' ')).toBe(1);
        expect(run.stderr, args.join(' ')).toMatch(/^sluice: (GET|POST) \/api\/v1\/\S+: HTTP (404|403|400)/);
      }
    });
  });

  it('fails clearly when the server is unreachable or not logged in', async () => {
    const down = await sluice(['sessions', 'list', '--server', 'http://127.0.0.1:9'], { ...admin, SLUICE_TOKEN: 'x' });
    expect(down).toMatchObject({ code: 1 });
    expect(down.stderr).toContain('cannot reach http://127.0.0.1:9');
    const anonymous = await sluice(['sessions', 'list'], {
      SLUICE_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'sluice-cli-')),
      SLUICE_SERVER: cp.httpUrl,
    });
    expect(anonymous.stderr).toContain(`not logged in to ${cp.httpUrl}`);
  });
});
