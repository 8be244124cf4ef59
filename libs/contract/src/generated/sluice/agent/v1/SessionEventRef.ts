// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface SessionEventRef {
  'sessionId'?: (string);
  'seq'?: (number | string | Long);
}

export interface SessionEventRef__Output {
  'sessionId': (string);
  'seq': (number);
}
