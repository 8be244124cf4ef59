// Original file: proto/sluice/agent/v1/agent_link.proto

import type { SessionEventRef as _sluice_agent_v1_SessionEventRef, SessionEventRef__Output as _sluice_agent_v1_SessionEventRef__Output } from '../../../sluice/agent/v1/SessionEventRef.js';

export interface EventAck {
  'events'?: (_sluice_agent_v1_SessionEventRef)[];
}

export interface EventAck__Output {
  'events': (_sluice_agent_v1_SessionEventRef__Output)[];
}
