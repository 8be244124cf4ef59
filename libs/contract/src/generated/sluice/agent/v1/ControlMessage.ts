// Original file: proto/sluice/agent/v1/agent_link.proto

import type { HelloAccepted as _sluice_agent_v1_HelloAccepted, HelloAccepted__Output as _sluice_agent_v1_HelloAccepted__Output } from '../../../sluice/agent/v1/HelloAccepted.js';
import type { HeartbeatAck as _sluice_agent_v1_HeartbeatAck, HeartbeatAck__Output as _sluice_agent_v1_HeartbeatAck__Output } from '../../../sluice/agent/v1/HeartbeatAck.js';
import type { ControlResponse as _sluice_agent_v1_ControlResponse, ControlResponse__Output as _sluice_agent_v1_ControlResponse__Output } from '../../../sluice/agent/v1/ControlResponse.js';
import type { EventAck as _sluice_agent_v1_EventAck, EventAck__Output as _sluice_agent_v1_EventAck__Output } from '../../../sluice/agent/v1/EventAck.js';
import type { ControlPush as _sluice_agent_v1_ControlPush, ControlPush__Output as _sluice_agent_v1_ControlPush__Output } from '../../../sluice/agent/v1/ControlPush.js';

export interface ControlMessage {
  'helloAccepted'?: (_sluice_agent_v1_HelloAccepted | null);
  'heartbeatAck'?: (_sluice_agent_v1_HeartbeatAck | null);
  'response'?: (_sluice_agent_v1_ControlResponse | null);
  'eventAck'?: (_sluice_agent_v1_EventAck | null);
  'push'?: (_sluice_agent_v1_ControlPush | null);
  'body'?: "helloAccepted"|"heartbeatAck"|"response"|"eventAck"|"push";
}

export interface ControlMessage__Output {
  'helloAccepted'?: (_sluice_agent_v1_HelloAccepted__Output | null);
  'heartbeatAck'?: (_sluice_agent_v1_HeartbeatAck__Output | null);
  'response'?: (_sluice_agent_v1_ControlResponse__Output | null);
  'eventAck'?: (_sluice_agent_v1_EventAck__Output | null);
  'push'?: (_sluice_agent_v1_ControlPush__Output | null);
  'body'?: "helloAccepted"|"heartbeatAck"|"response"|"eventAck"|"push";
}
