import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '@sluice/embedded-db';
import { ADMIN_URL_ENV, LOCAL_POSTGRES_URL, canConnect, freePort } from '@sluice/testing';

/**
 * Finds the PostgreSQL every integration test creates its own database on: the one named by
 * SLUICE_TEST_ADMIN_DATABASE_URL, else the machine's (127.0.0.1:5432, as in CI), else an embedded
 * one started for this run. Workers inherit the URL through the environment.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const configured = process.env[ADMIN_URL_ENV];
  if (configured) return () => Promise.resolve();
  if (await canConnect(LOCAL_POSTGRES_URL)) {
    process.env[ADMIN_URL_ENV] = LOCAL_POSTGRES_URL;
    return () => Promise.resolve();
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-pg-'));
  await chmod(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const server = await EmbeddedPostgres.start({ dataDir: join(dir, 'data'), port: await freePort() });
  process.env[ADMIN_URL_ENV] = server.url('postgres');
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
