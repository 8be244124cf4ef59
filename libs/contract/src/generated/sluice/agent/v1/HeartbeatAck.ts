// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatAck {
  /**
   * Echo of Heartbeat.sent_at_unix_ms, so the agent can measure link round-trip time.
   */
  'heartbeatSentAtUnixMs'?: (number | string | Long);
}

export interface HeartbeatAck__Output {
  /**
   * Echo of Heartbeat.sent_at_unix_ms, so the agent can measure link round-trip time.
   */
  'heartbeatSentAtUnixMs': (number);
}
