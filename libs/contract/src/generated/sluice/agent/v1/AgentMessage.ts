// Original file: proto/sluice/agent/v1/agent_link.proto

import type { AgentHello as _sluice_agent_v1_AgentHello, AgentHello__Output as _sluice_agent_v1_AgentHello__Output } from '../../../sluice/agent/v1/AgentHello.js';
import type { Heartbeat as _sluice_agent_v1_Heartbeat, Heartbeat__Output as _sluice_agent_v1_Heartbeat__Output } from '../../../sluice/agent/v1/Heartbeat.js';
import type { AgentRequest as _sluice_agent_v1_AgentRequest, AgentRequest__Output as _sluice_agent_v1_AgentRequest__Output } from '../../../sluice/agent/v1/AgentRequest.js';
import type { EventBatch as _sluice_agent_v1_EventBatch, EventBatch__Output as _sluice_agent_v1_EventBatch__Output } from '../../../sluice/agent/v1/EventBatch.js';

export interface AgentMessage {
  'hello'?: (_sluice_agent_v1_AgentHello | null);
  'heartbeat'?: (_sluice_agent_v1_Heartbeat | null);
  'request'?: (_sluice_agent_v1_AgentRequest | null);
  'events'?: (_sluice_agent_v1_EventBatch | null);
  'body'?: "hello"|"heartbeat"|"request"|"events";
}

export interface AgentMessage__Output {
  'hello'?: (_sluice_agent_v1_AgentHello__Output | null);
  'heartbeat'?: (_sluice_agent_v1_Heartbeat__Output | null);
  'request'?: (_sluice_agent_v1_AgentRequest__Output | null);
  'events'?: (_sluice_agent_v1_EventBatch__Output | null);
  'body'?: "hello"|"heartbeat"|"request"|"events";
}
