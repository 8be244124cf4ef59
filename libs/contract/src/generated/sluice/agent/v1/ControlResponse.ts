// Original file: proto/sluice/agent/v1/agent_link.proto

import type { RequestError as _sluice_agent_v1_RequestError, RequestError__Output as _sluice_agent_v1_RequestError__Output } from '../../../sluice/agent/v1/RequestError.js';
import type { Pong as _sluice_agent_v1_Pong, Pong__Output as _sluice_agent_v1_Pong__Output } from '../../../sluice/agent/v1/Pong.js';
import type { SessionOpened as _sluice_agent_v1_SessionOpened, SessionOpened__Output as _sluice_agent_v1_SessionOpened__Output } from '../../../sluice/agent/v1/SessionOpened.js';
import type { SessionRefused as _sluice_agent_v1_SessionRefused, SessionRefused__Output as _sluice_agent_v1_SessionRefused__Output } from '../../../sluice/agent/v1/SessionRefused.js';
import type { SessionClosed as _sluice_agent_v1_SessionClosed, SessionClosed__Output as _sluice_agent_v1_SessionClosed__Output } from '../../../sluice/agent/v1/SessionClosed.js';
import type { Decision as _sluice_agent_v1_Decision, Decision__Output as _sluice_agent_v1_Decision__Output } from '../../../sluice/agent/v1/Decision.js';

export interface ControlResponse {
  'correlationId'?: (string);
  'error'?: (_sluice_agent_v1_RequestError | null);
  'pong'?: (_sluice_agent_v1_Pong | null);
  'sessionOpened'?: (_sluice_agent_v1_SessionOpened | null);
  'sessionRefused'?: (_sluice_agent_v1_SessionRefused | null);
  'sessionClosed'?: (_sluice_agent_v1_SessionClosed | null);
  'decision'?: (_sluice_agent_v1_Decision | null);
  'result'?: "error"|"pong"|"sessionOpened"|"sessionRefused"|"sessionClosed"|"decision";
}

export interface ControlResponse__Output {
  'correlationId': (string);
  'error'?: (_sluice_agent_v1_RequestError__Output | null);
  'pong'?: (_sluice_agent_v1_Pong__Output | null);
  'sessionOpened'?: (_sluice_agent_v1_SessionOpened__Output | null);
  'sessionRefused'?: (_sluice_agent_v1_SessionRefused__Output | null);
  'sessionClosed'?: (_sluice_agent_v1_SessionClosed__Output | null);
  'decision'?: (_sluice_agent_v1_Decision__Output | null);
  'result'?: "error"|"pong"|"sessionOpened"|"sessionRefused"|"sessionClosed"|"decision";
}
