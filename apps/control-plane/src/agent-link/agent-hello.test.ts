import { describe, expect, it } from 'vitest';
import type { AgentHello__Output } from '@sluice/contract';
import { parseHello } from './agent-hello.js';

const valid: AgentHello__Output = {
  agentId: 'segment-a-1',
  version: '0.1.0',
  segment: 'prod-eu',
  connections: [{ name: 'orders-db', protocol: 'postgres', listenAddress: '10.0.0.5:6432', tags: { env: 'prod', 'team.io/owner': 'pay' } }],
};

describe('agent hello validation', () => {
  it('maps a valid hello to an announcement', () => {
    const parsed = parseHello(valid);
    expect(parsed).toEqual({ ok: true, value: valid });
  });

  it.each([
    ['an agent id with spaces', { ...valid, agentId: 'a b' }, 'agentId'],
    ['an empty agent id', { ...valid, agentId: '' }, 'agentId'],
    ['an over-long agent id', { ...valid, agentId: 'a'.repeat(64) }, 'agentId'],
    ['an unknown protocol', { ...valid, connections: [{ ...valid.connections[0]!, protocol: 'telnet' }] }, 'protocol'],
    ['duplicate connection names', { ...valid, connections: [valid.connections[0]!, valid.connections[0]!] }, 'unique'],
    ['a tag key with a newline', { ...valid, connections: [{ ...valid.connections[0]!, tags: { 'env\n': 'x' } }] }, 'tags'],
    ['a 300-character tag value', { ...valid, connections: [{ ...valid.connections[0]!, tags: { env: 'x'.repeat(300) } }] }, 'tags'],
    ['a connection name with a slash', { ...valid, connections: [{ ...valid.connections[0]!, name: '../etc' }] }, 'name'],
  ])('refuses %s', (_what, hello, mentions) => {
    const parsed = parseHello(hello);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(mentions);
  });

  it('refuses more than 256 connections', () => {
    const connections = Array.from({ length: 257 }, (_, i) => ({ ...valid.connections[0]!, name: `c${i}` }));
    expect(parseHello({ ...valid, connections }).ok).toBe(false);
  });
});
