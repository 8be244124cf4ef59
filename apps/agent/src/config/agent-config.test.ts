import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentConfig } from './agent-config.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const base = {
  SLUICE_AGENT_ID: 'a1',
  SLUICE_CONTROL_PLANE_ADDRESS: '127.0.0.1:8443',
  SLUICE_CONTROL_PLANE_INSECURE: 'true',
  SLUICE_AGENT_KEY: 'sak_x',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAgentConfig(env);
  } catch (error) {
    if (error instanceof AgentConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const yaml = `
agent: { id: from-file, segment: seg-1 }
controlPlane: { address: "cp.internal:8443", tls: { caFile: /etc/ca.pem } }
connections:
  - name: orders
    protocol: postgres
    listen: "0.0.0.0:6432"
    target: { host: db, port: 5432, database: orders }
    credentials: { username: app, password: { env: ORDERS_PW } }
    tags: { env: prod }
`;

describe('agent configuration', () => {
  it('reads the file, lets the environment override it, and resolves credentials', () => {
    const config = loadAgentConfig({
      SLUICE_AGENT_CONFIG: file('a.yaml', yaml),
      SLUICE_AGENT_KEY: 'sak_k',
      ORDERS_PW: 'pw-123',
      SLUICE_AGENT_SEGMENT: 'seg-2',
    });
    expect(config.agentId).toBe('from-file');
    expect(config.segment).toBe('seg-2');
    expect(config.controlPlane).toEqual({ address: 'cp.internal:8443', tls: { kind: 'tls', caFile: '/etc/ca.pem' } });
    expect(config.connections[0]?.password?.reveal()).toBe('pw-123');
    expect(config.agentKey.reveal()).toBe('sak_k');
  });

  it('never prints credentials, whichever way the config is printed', () => {
    const config = loadAgentConfig({
      SLUICE_AGENT_CONFIG: file('b.yaml', yaml),
      SLUICE_AGENT_KEY: 'sak_secret_key',
      ORDERS_PW: 'pw-hidden',
    });
    for (const printed of [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.agentKey)]) {
      expect(printed).not.toContain('pw-hidden');
      expect(printed).not.toContain('sak_secret_key');
    }
  });

  it('reads the agent key from a file', () => {
    const config = loadAgentConfig({ ...base, SLUICE_AGENT_KEY: undefined, SLUICE_AGENT_KEY_FILE: file('key', 'sak_from_file\n') });
    expect(config.agentKey.reveal()).toBe('sak_from_file');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ SLUICE_CONTROL_PLANE_INSECURE: 'true' });
    expect(problems).toEqual([
      expect.stringContaining('SLUICE_AGENT_ID'),
      expect.stringContaining('SLUICE_CONTROL_PLANE_ADDRESS'),
      expect.stringContaining('SLUICE_AGENT_KEY'),
    ]);
  });

  it('refuses plaintext to a non-loopback control plane', () => {
    expect(problemsOf({ ...base, SLUICE_CONTROL_PLANE_ADDRESS: '10.1.2.3:8443' })).toEqual([
      expect.stringContaining('plaintext is only allowed to a loopback'),
    ]);
    expect(problemsOf({ ...base, SLUICE_CONTROL_PLANE_ADDRESS: '[::1]:8443' })).toEqual([]);
  });

  it('reports a missing credential variable by name, without any value', () => {
    const problems = problemsOf({ ...base, SLUICE_AGENT_CONFIG: file('c.yaml', yaml) });
    expect(problems).toEqual(['connections.orders.credentials.password: environment variable ORDERS_PW is not set']);
  });

  it('rejects unknown keys, bad YAML, duplicate names and bad addresses with the path', () => {
    expect(problemsOf({ ...base, SLUICE_AGENT_CONFIG: file('d.yaml', 'agent: { id: a, colour: red }') })[0]).toMatch(
      /agent: Unrecognized key.*colour/,
    );
    expect(problemsOf({ ...base, SLUICE_AGENT_CONFIG: file('e.yaml', 'agent: [') })[0]).toMatch(/not valid YAML/);
    expect(problemsOf({ ...base, SLUICE_AGENT_CONFIG: join(dir, 'missing.yaml') })[0]).toMatch(/cannot read .*ENOENT/);
    const twice = `connections:\n  - { name: x, protocol: http, listen: "127.0.0.1:1", target: { url: "http://a" } }\n  - { name: x, protocol: http, listen: "127.0.0.1:2", target: { url: "http://b" } }\n`;
    expect(problemsOf({ ...base, SLUICE_AGENT_CONFIG: file('f.yaml', twice) })).toEqual(['connections: duplicate name x']);
    expect(problemsOf({ ...base, SLUICE_CONTROL_PLANE_ADDRESS: 'no-port' })[0]).toMatch(/SLUICE_CONTROL_PLANE_ADDRESS: must be host:port/);
  });
});
