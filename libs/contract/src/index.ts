// Public surface of @sluice/contract: the loader and the wire types of sluice.agent.v1.
// Input types (what you may send) are the plain names; `__Output` types are what you receive.
export {
  AGENT_KEY_METADATA,
  AGENT_LINK_PACKAGE,
  AGENT_LINK_PROTO,
  LOADER_OPTIONS,
  PROTO_ROOT,
  loadAgentLinkPackage,
  type AgentLinkPackage,
} from './agent-link-definition.js';
export type { AgentHello, AgentHello__Output } from './generated/sluice/agent/v1/AgentHello.js';
export type { AgentLinkClient, AgentLinkHandlers } from './generated/sluice/agent/v1/AgentLink.js';
export type { AgentMessage, AgentMessage__Output } from './generated/sluice/agent/v1/AgentMessage.js';
export type { AgentRequest, AgentRequest__Output } from './generated/sluice/agent/v1/AgentRequest.js';
export type { ControlMessage, ControlMessage__Output } from './generated/sluice/agent/v1/ControlMessage.js';
export type { ControlPush, ControlPush__Output } from './generated/sluice/agent/v1/ControlPush.js';
export type { ControlResponse, ControlResponse__Output } from './generated/sluice/agent/v1/ControlResponse.js';
export type { EventAck, EventAck__Output } from './generated/sluice/agent/v1/EventAck.js';
export type { EventBatch, EventBatch__Output } from './generated/sluice/agent/v1/EventBatch.js';
export type { Heartbeat, Heartbeat__Output } from './generated/sluice/agent/v1/Heartbeat.js';
export type { HeartbeatAck, HeartbeatAck__Output } from './generated/sluice/agent/v1/HeartbeatAck.js';
export type { HelloAccepted, HelloAccepted__Output } from './generated/sluice/agent/v1/HelloAccepted.js';
export type { InvalidateDecisions, InvalidateDecisions__Output } from './generated/sluice/agent/v1/InvalidateDecisions.js';
export type { RequestError, RequestError__Output } from './generated/sluice/agent/v1/RequestError.js';
export type { RevokePrincipal, RevokePrincipal__Output } from './generated/sluice/agent/v1/RevokePrincipal.js';
export type { ServedConnection, ServedConnection__Output } from './generated/sluice/agent/v1/ServedConnection.js';
export type { SessionEvent, SessionEvent__Output } from './generated/sluice/agent/v1/SessionEvent.js';
export type { TerminateSession, TerminateSession__Output } from './generated/sluice/agent/v1/TerminateSession.js';
export type { OpenSessionRequest, OpenSessionRequest__Output } from './generated/sluice/agent/v1/OpenSessionRequest.js';
export type { SessionOpened, SessionOpened__Output } from './generated/sluice/agent/v1/SessionOpened.js';
export type { SessionRefused, SessionRefused__Output } from './generated/sluice/agent/v1/SessionRefused.js';
export type { CloseSessionRequest, CloseSessionRequest__Output } from './generated/sluice/agent/v1/CloseSessionRequest.js';
export type { Principal, Principal__Output } from './generated/sluice/agent/v1/Principal.js';
export type { DecisionRequest, DecisionRequest__Output } from './generated/sluice/agent/v1/DecisionRequest.js';
export type { Command, Command__Output } from './generated/sluice/agent/v1/Command.js';
export type { Decision, Decision__Output } from './generated/sluice/agent/v1/Decision.js';
export type { ApprovalResolved, ApprovalResolved__Output } from './generated/sluice/agent/v1/ApprovalResolved.js';
export type { SessionEventRef, SessionEventRef__Output } from './generated/sluice/agent/v1/SessionEventRef.js';
