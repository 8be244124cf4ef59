/** An agent counts as online while its link is open and its heartbeats are fresh. */
export const MISSED_HEARTBEATS_BEFORE_OFFLINE = 3;

export type AgentStatus = 'online' | 'offline';

export function agentStatus(
  agent: { readonly linkId: string | null; readonly lastHeartbeatAt: Date | null },
  heartbeatIntervalMs: number,
  now: Date,
): AgentStatus {
  if (agent.linkId === null || agent.lastHeartbeatAt === null) return 'offline';
  const silentFor = now.getTime() - agent.lastHeartbeatAt.getTime();
  return silentFor <= MISSED_HEARTBEATS_BEFORE_OFFLINE * heartbeatIntervalMs ? 'online' : 'offline';
}
