// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'sentAtUnixMs'?: (number | string | Long);
  'openSessions'?: (number);
}

export interface Heartbeat__Output {
  'sentAtUnixMs': (number);
  'openSessions': (number);
}
