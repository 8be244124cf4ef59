// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Ping as _sluice_agent_v1_Ping, Ping__Output as _sluice_agent_v1_Ping__Output } from '../../../sluice/agent/v1/Ping.js';
import type { OpenSessionRequest as _sluice_agent_v1_OpenSessionRequest, OpenSessionRequest__Output as _sluice_agent_v1_OpenSessionRequest__Output } from '../../../sluice/agent/v1/OpenSessionRequest.js';
import type { CloseSessionRequest as _sluice_agent_v1_CloseSessionRequest, CloseSessionRequest__Output as _sluice_agent_v1_CloseSessionRequest__Output } from '../../../sluice/agent/v1/CloseSessionRequest.js';
import type { DecisionRequest as _sluice_agent_v1_DecisionRequest, DecisionRequest__Output as _sluice_agent_v1_DecisionRequest__Output } from '../../../sluice/agent/v1/DecisionRequest.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A request from the agent that the control plane answers with exactly one ControlResponse
 * carrying the same correlation_id. The control plane drops requests whose deadline has passed;
 * the agent treats a missing answer at the deadline as a refusal (fail closed).
 */
export interface AgentRequest {
  'correlationId'?: (string);
  'deadlineUnixMs'?: (number | string | Long);
  'ping'?: (_sluice_agent_v1_Ping | null);
  'openSession'?: (_sluice_agent_v1_OpenSessionRequest | null);
  'closeSession'?: (_sluice_agent_v1_CloseSessionRequest | null);
  'decide'?: (_sluice_agent_v1_DecisionRequest | null);
  'payload'?: "ping"|"openSession"|"closeSession"|"decide";
}

/**
 * A request from the agent that the control plane answers with exactly one ControlResponse
 * carrying the same correlation_id. The control plane drops requests whose deadline has passed;
 * the agent treats a missing answer at the deadline as a refusal (fail closed).
 */
export interface AgentRequest__Output {
  'correlationId': (string);
  'deadlineUnixMs': (number);
  'ping'?: (_sluice_agent_v1_Ping__Output | null);
  'openSession'?: (_sluice_agent_v1_OpenSessionRequest__Output | null);
  'closeSession'?: (_sluice_agent_v1_CloseSessionRequest__Output | null);
  'decide'?: (_sluice_agent_v1_DecisionRequest__Output | null);
  'payload'?: "ping"|"openSession"|"closeSession"|"decide";
}
