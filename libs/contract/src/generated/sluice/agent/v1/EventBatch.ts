// Original file: proto/sluice/agent/v1/agent_link.proto

import type { SessionEvent as _sluice_agent_v1_SessionEvent, SessionEvent__Output as _sluice_agent_v1_SessionEvent__Output } from '../../../sluice/agent/v1/SessionEvent.js';

export interface EventBatch {
  'events'?: (_sluice_agent_v1_SessionEvent)[];
}

export interface EventBatch__Output {
  'events': (_sluice_agent_v1_SessionEvent__Output)[];
}
