// The HTTP and Kubernetes connection shapes of the agent configuration (docs/http.md, docs/kubernetes.md).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentConfig } from '../config/agent-config.js';

const dir = mkdtempSync(join(tmpdir(), 'http-config-'));
const base = {
  SLUICE_AGENT_ID: 'a1',
  SLUICE_CONTROL_PLANE_ADDRESS: '127.0.0.1:8443',
  SLUICE_CONTROL_PLANE_INSECURE: 'true',
  SLUICE_AGENT_KEY: 'sak_x',
};

function load(yaml: string, env: Record<string, string> = {}) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return loadAgentConfig({ ...base, ...env, SLUICE_AGENT_CONFIG: file });
}

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    if (error instanceof AgentConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('HTTP and Kubernetes connection configuration', () => {
  it('fills defaults for a minimal HTTP connection', () => {
    const config = load(
      `connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:8080", target: { url: "https://api.internal" } }\n`,
    );
    expect(config.connections[0]).toMatchObject({
      credentials: { kind: 'none' },
      allowPlaintextOnLoopback: false,
      masking: { otherContentTypes: 'refuse' },
      limits: { maxHeaderBytes: 16_384, maxRequestBodyBytes: 10 * 1024 * 1024, previewBytes: 4_096 },
      sessionIdleSeconds: 300,
    });
  });

  it('resolves upstream credentials from the environment and never prints them', () => {
    const config = load(
      `connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:8080", target: { url: "https://api.internal" }, credentials: { kind: header, name: X-Api-Key, value: { env: API_KEY } } }\n`,
      { API_KEY: 'key-very-secret' },
    );
    expect(config.connections[0]?.upstreamSecret?.reveal()).toBe('key-very-secret');
    expect(inspect(config, { depth: 10 })).not.toContain('key-very-secret');
    expect(JSON.stringify(config)).not.toContain('key-very-secret');
  });

  it('reports a missing credential, a bad header name and a non-http URL', () => {
    expect(
      problems(
        `connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:8080", target: { url: "https://a" }, credentials: { kind: bearer, token: { env: MISSING } } }\n`,
      ),
    ).toEqual([expect.stringContaining('MISSING is not set')]);
    expect(
      problems(
        `connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:8080", target: { url: "https://a" }, credentials: { kind: header, name: "Host", value: { env: X } } }\n`,
        { X: '1' },
      ),
    ).toEqual([expect.stringContaining('framing or routing header')]);
    expect(problems(`connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:8080", target: { url: "ftp://a" } }\n`)).toEqual([
      expect.stringContaining('http:// or https://'),
    ]);
  });

  it('configures a Kubernetes connection with the agent’s own credentials and impersonation', () => {
    const config = load(
      `connections:\n  - name: prod\n    protocol: kubernetes\n    listen: "0.0.0.0:6443"\n    target: { url: "https://kubernetes.default.svc", caFile: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt, tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token }\n    impersonate: { enabled: true }\n`,
    );
    expect(config.connections[0]).toMatchObject({
      impersonate: { enabled: true, userPrefix: 'sluice:', groupPrefix: 'sluice:', groups: true },
      recording: { stdin: false },
      target: { insecureSkipVerify: false },
    });
    expect(
      problems(`connections:\n  - { name: k, protocol: kubernetes, listen: "127.0.0.1:1", target: { url: "https://k", certFile: /c } }\n`),
    ).toEqual([expect.stringContaining('certFile and keyFile together')]);
  });
});
