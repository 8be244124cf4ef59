// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Principal as _sluice_agent_v1_Principal, Principal__Output as _sluice_agent_v1_Principal__Output } from '../../../sluice/agent/v1/Principal.js';
import type { Long } from '@grpc/proto-loader';

export interface SessionOpened {
  'sessionId'?: (string);
  'principal'?: (_sluice_agent_v1_Principal | null);
  /**
   * The agent ends the session when the token expires.
   */
  'tokenExpiresAtUnixMs'?: (number | string | Long);
}

export interface SessionOpened__Output {
  'sessionId': (string);
  'principal': (_sluice_agent_v1_Principal__Output | null);
  /**
   * The agent ends the session when the token expires.
   */
  'tokenExpiresAtUnixMs': (number);
}
