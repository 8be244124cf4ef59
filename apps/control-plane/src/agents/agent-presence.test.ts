import { describe, expect, it } from 'vitest';
import { agentStatus } from './agent-presence.js';

describe('agent presence', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('is online while the link is open and heartbeats are within three intervals', () => {
    expect(agentStatus({ linkId: 'l', lastHeartbeatAt: ago(0) }, 1000, now)).toBe('online');
    expect(agentStatus({ linkId: 'l', lastHeartbeatAt: ago(3000) }, 1000, now)).toBe('online');
    expect(agentStatus({ linkId: 'l', lastHeartbeatAt: ago(3001) }, 1000, now)).toBe('offline');
  });

  it('is offline without a link or without any heartbeat', () => {
    expect(agentStatus({ linkId: null, lastHeartbeatAt: ago(0) }, 1000, now)).toBe('offline');
    expect(agentStatus({ linkId: 'l', lastHeartbeatAt: null }, 1000, now)).toBe('offline');
  });
});
