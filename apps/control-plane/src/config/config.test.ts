import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { generateAgentKey } from '../agents/agent-key.js';

const minimal = { SLUICE_GRPC_INSECURE: 'true' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('control plane configuration', () => {
  it('has working defaults for local development', () => {
    const config = loadConfig(minimal);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.grpc).toMatchObject({ host: '127.0.0.1', port: 8443, tls: undefined });
    expect(config.database.url).toBeUndefined();
    expect(config.agents.bootstrapKeys).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.grpc)).toBe(true);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ ...minimal, SLUICE_HTTP_PORT: 'eighty', SLUICE_LOG_LEVEL: 'loud', SLUICE_DATABASE_URL: 'mysql://x/y' });
    expect(problems.join('\n')).toMatch(/SLUICE_HTTP_PORT/);
    expect(problems.join('\n')).toMatch(/SLUICE_LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/SLUICE_DATABASE_URL: must be a postgres/);
    expect(problems).toHaveLength(3);
  });

  it('refuses a plaintext agent link unless explicitly allowed, and only on loopback', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^SLUICE_GRPC_TLS_CERT: the agent link needs TLS/)]);
    expect(problemsOf({ ...minimal, SLUICE_GRPC_HOST: '0.0.0.0' })).toEqual([
      expect.stringMatching(/^SLUICE_GRPC_INSECURE: plaintext gRPC is only allowed on a loopback/),
    ]);
    expect(problemsOf({ ...minimal, SLUICE_GRPC_HOST: '::1' })).toEqual([]);
    expect(problemsOf({ SLUICE_GRPC_TLS_CERT: '/c.pem' })).toEqual([expect.stringMatching(/^SLUICE_GRPC_TLS_KEY: .*set together/)]);
    expect(loadConfig({ SLUICE_GRPC_TLS_CERT: '/c.pem', SLUICE_GRPC_TLS_KEY: '/k.pem', SLUICE_GRPC_HOST: '0.0.0.0' }).grpc.tls).toEqual({
      certPath: '/c.pem',
      keyPath: '/k.pem',
      clientCaPath: undefined,
    });
  });

  it('refuses development shortcuts in production', () => {
    const problems = problemsOf({ ...minimal, SLUICE_ENV: 'production' });
    expect(problems).toContainEqual(expect.stringMatching(/^SLUICE_GRPC_INSECURE: not allowed when SLUICE_ENV=production/));
    expect(problems).toContainEqual(expect.stringMatching(/^SLUICE_DATABASE_URL: required when SLUICE_ENV=production/));
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...minimal, SLUICE_DATABASE_URL: '', SLUICE_HTTP_PORT: '' }).http.port).toBe(8080);
  });

  it('accepts bootstrap agent keys only in the agent-key format, without echoing them', () => {
    const a = generateAgentKey().key;
    const b = generateAgentKey().key;
    expect(loadConfig({ ...minimal, SLUICE_BOOTSTRAP_AGENT_KEYS: ` ${a}, ${b} ,` }).agents.bootstrapKeys).toEqual([a, b]);
    const problems = problemsOf({ ...minimal, SLUICE_BOOTSTRAP_AGENT_KEYS: `${a},hunter2-not-a-key` });
    expect(problems).toEqual([expect.stringMatching(/^SLUICE_BOOTSTRAP_AGENT_KEYS: every key must look like/)]);
    expect(problems.join()).not.toContain('hunter2');
    expect(problems.join()).not.toContain(a);
  });
});
