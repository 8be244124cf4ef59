// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  'receivedAtUnixMs'?: (number | string | Long);
}

export interface Pong__Output {
  'receivedAtUnixMs': (number);
}
