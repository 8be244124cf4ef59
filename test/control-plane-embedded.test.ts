// With no SLUICE_DATABASE_URL the control plane runs its own embedded PostgreSQL in the state
// directory, and stops it on SIGTERM.
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/testing';
import { describe, expect, it } from 'vitest';
import { startControlPlane } from './support/system.js';

describe('control plane with the embedded database', () => {
  it('starts, migrates, reports ready, and leaves no postgres behind', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'sluice-cp-'));
    await chmod(stateDir, 0o755);
    const controlPlane = await startControlPlane({ SLUICE_STATE_DIR: stateDir, SLUICE_EMBEDDED_POSTGRES_PORT: String(await freePort()) });
    try {
      const ready = await fetch(`${controlPlane.httpUrl}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', agentLink: 'up', pushBus: 'up', identity: 'up' } });
      expect(controlPlane.process.logs().some((l) => l.msg === 'database migrations applied')).toBe(true);
      const pid = Number((await readFile(join(stateDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      expect(await controlPlane.process.stop('SIGTERM')).toBe(0);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await controlPlane.process.stop('SIGKILL');
    }
  });
});
