// A missing or invalid configuration variable stops each process with a message naming it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AGENT_MAIN, CONTROL_PLANE_MAIN } from './support/system.js';

function run(script: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('configuration errors at start', () => {
  it('control plane: names each bad variable and exits 2', () => {
    const { status, stderr } = run(CONTROL_PLANE_MAIN, { SLUICE_HTTP_PORT: '99999', SLUICE_GRPC_INSECURE: 'maybe' });
    expect(status).toBe(2);
    expect(stderr).toContain('SLUICE_HTTP_PORT');
    expect(stderr).toContain('SLUICE_GRPC_INSECURE');
    expect(stderr).toContain('docs/configuration.md');
  });

  it('control plane: refuses to start without TLS or an explicit loopback opt-out', () => {
    const { status, stderr } = run(CONTROL_PLANE_MAIN, {});
    expect(status).toBe(2);
    expect(stderr).toContain('SLUICE_GRPC_TLS_CERT');
  });

  it('agent: names each missing variable and exits 2', () => {
    const { status, stderr } = run(AGENT_MAIN, { SLUICE_CONTROL_PLANE_INSECURE: 'true' });
    expect(status).toBe(2);
    expect(stderr).toContain('SLUICE_AGENT_ID');
    expect(stderr).toContain('SLUICE_CONTROL_PLANE_ADDRESS');
    expect(stderr).toContain('SLUICE_AGENT_KEY');
  });
});
