// `pnpm start`: embedded PostgreSQL + control plane + agent + demo data, and a clean Ctrl-C.
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort, waitFor } from '@sluice/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICKSTART_MAIN, getJson } from './support/system.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pnpm start', () => {
  let launcher: ManagedProcess | undefined;
  afterAll(async () => {
    // SIGINT, not SIGKILL: if the test failed half-way, the launcher still stops its children.
    await launcher?.stop('SIGINT', 30_000);
  });

  it('runs everything from nothing, seeds the demo, and stops cleanly with no orphaned postgres', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'sluice-quickstart-'));
    await chmod(stateDir, 0o755);
    const [httpPort, grpcPort, postgresPort, demoPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    launcher = ManagedProcess.start(QUICKSTART_MAIN, [], {
      SLUICE_STATE_DIR: stateDir,
      SLUICE_HTTP_PORT: String(httpPort),
      SLUICE_GRPC_PORT: String(grpcPort),
      SLUICE_EMBEDDED_POSTGRES_PORT: String(postgresPort),
      SLUICE_DEMO_LISTEN: `127.0.0.1:${demoPort}`,
      SLUICE_AGENT_ADMIN_LISTEN: '127.0.0.1:0',
    });
    const api = `http://127.0.0.1:${httpPort}/api/v1`;
    await waitFor(() => (launcher?.lines.some((l) => l.includes('Sluice is running')) ? true : undefined), 90_000, 'the banner');

    const secret = (await readFile(join(stateDir, 'dev-issuer.secret'), 'utf8')).trim();
    const tokenResponse = await fetch(`http://127.0.0.1:${httpPort}/dev-issuer/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'demo-admin',
        client_secret: secret,
        scope: 'api://sluice/.default',
      }),
    });
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const agent = await waitFor(async () => {
      const agents = await getJson<{ id: string; status: string; connections: string[] }[]>(`${api}/agents`, token);
      return agents.find((a) => a.id === 'quickstart-agent' && a.status === 'online');
    }, 30_000);
    expect(agent.connections).toEqual(['demo-postgres']);
    const connections = await getJson<{ name: string; protocol: string; tags: Record<string, string>; listenAddress: string }[]>(
      `${api}/connections`,
      token,
    );
    expect(connections).toEqual([
      expect.objectContaining({
        name: 'demo-postgres',
        protocol: 'postgres',
        tags: { env: 'demo' },
        listenAddress: `127.0.0.1:${demoPort}`,
      }),
    ]);
    expect((await fetch(`http://127.0.0.1:${httpPort}/api/docs/openapi.json`)).status).toBe(200);

    const superuserPassword = (await readFile(join(stateDir, 'postgres.password'), 'utf8')).trim();
    const demo = new pg.Client({ host: '127.0.0.1', port: postgresPort, user: 'postgres', password: superuserPassword, database: 'demo' });
    await demo.connect();
    const rows = await demo.query<{ n: string; emails: string; owner: string }>(
      `SELECT count(*) AS n, count(DISTINCT email) AS emails, (SELECT tableowner FROM pg_tables WHERE tablename = 'customers') AS owner FROM public.customers`,
    );
    await demo.end();
    expect(rows.rows[0]).toEqual({ n: '300', emails: '300', owner: 'demo_owner' });

    const postgresPid = Number((await readFile(join(stateDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);

    const code = await launcher.stop('SIGINT', 60_000);
    expect(code).toBe(0);
    expect(isAlive(postgresPid)).toBe(false);

    const output = launcher.output();
    const demoPassword = (await readFile(join(stateDir, 'demo-owner.password'), 'utf8')).trim();
    const agentKey = (await readFile(join(stateDir, 'agent.key'), 'utf8')).trim();
    expect(output).not.toContain(demoPassword);
    expect(output).not.toContain(agentKey);
    expect(output).not.toContain(superuserPassword);
    expect(output).not.toContain(token);
  });
});
