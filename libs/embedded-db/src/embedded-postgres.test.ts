import { chmod, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EmbeddedPostgres } from './embedded-postgres.js';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('initialises once, keeps data and password across restarts, and requires the password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'embedded-pg-'));
    await chmod(dir, 0o755);
    const dataDir = join(dir, 'data');
    const port = await freePort();

    const first = await EmbeddedPostgres.start({ dataDir, port });
    await first.ensureDatabase('app');
    await first.ensureDatabase('app'); // idempotent
    await query(first.url('app'), 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    const passwordFile = join(dir, 'data.password');
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    const wrong = new URL(first.url('app'));
    wrong.password = 'wrong';
    await expect(query(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    await first.stop();
    await expect(query(first.url('app'), 'SELECT 1')).rejects.toThrow();

    const second = await EmbeddedPostgres.start({ dataDir, port });
    expect(await query(second.url('app'), 'SELECT x FROM kept')).toEqual([{ x: 42 }]);
    expect(second.url('app')).toContain((await readFile(passwordFile, 'utf8')).trim());
    await second.stop();
  });
});
