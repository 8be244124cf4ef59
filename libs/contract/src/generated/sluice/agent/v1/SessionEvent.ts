// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface SessionEvent {
  'sessionId'?: (string);
  /**
   * Per-session sequence number, starting at 1, without gaps.
   */
  'seq'?: (number | string | Long);
  /**
   * "session.opened" | "command.received" | "command.decided" | "command.completed" | "session.closed" | …
   */
  'kind'?: (string);
  'occurredAtUnixMs'?: (number | string | Long);
  /**
   * JSON document; its schema depends on `kind` (docs/recording.md).
   */
  'payloadJson'?: (string);
}

export interface SessionEvent__Output {
  'sessionId': (string);
  /**
   * Per-session sequence number, starting at 1, without gaps.
   */
  'seq': (number);
  /**
   * "session.opened" | "command.received" | "command.decided" | "command.completed" | "session.closed" | …
   */
  'kind': (string);
  'occurredAtUnixMs': (number);
  /**
   * JSON document; its schema depends on `kind` (docs/recording.md).
   */
  'payloadJson': (string);
}
