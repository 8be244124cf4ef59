// Original file: proto/sluice/agent/v1/agent_link.proto

import type { RequestError as _sluice_agent_v1_RequestError, RequestError__Output as _sluice_agent_v1_RequestError__Output } from '../../../sluice/agent/v1/RequestError.js';
import type { Pong as _sluice_agent_v1_Pong, Pong__Output as _sluice_agent_v1_Pong__Output } from '../../../sluice/agent/v1/Pong.js';

export interface ControlResponse {
  'correlationId'?: (string);
  'error'?: (_sluice_agent_v1_RequestError | null);
  'pong'?: (_sluice_agent_v1_Pong | null);
  'result'?: "error"|"pong";
}

export interface ControlResponse__Output {
  'correlationId': (string);
  'error'?: (_sluice_agent_v1_RequestError__Output | null);
  'pong'?: (_sluice_agent_v1_Pong__Output | null);
  'result'?: "error"|"pong";
}
