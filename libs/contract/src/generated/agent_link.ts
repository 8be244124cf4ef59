import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentHello as _sluice_agent_v1_AgentHello, AgentHello__Output as _sluice_agent_v1_AgentHello__Output } from './sluice/agent/v1/AgentHello.js';
import type { AgentLinkClient as _sluice_agent_v1_AgentLinkClient, AgentLinkDefinition as _sluice_agent_v1_AgentLinkDefinition } from './sluice/agent/v1/AgentLink.js';
import type { AgentMessage as _sluice_agent_v1_AgentMessage, AgentMessage__Output as _sluice_agent_v1_AgentMessage__Output } from './sluice/agent/v1/AgentMessage.js';
import type { AgentRequest as _sluice_agent_v1_AgentRequest, AgentRequest__Output as _sluice_agent_v1_AgentRequest__Output } from './sluice/agent/v1/AgentRequest.js';
import type { ApprovalResolved as _sluice_agent_v1_ApprovalResolved, ApprovalResolved__Output as _sluice_agent_v1_ApprovalResolved__Output } from './sluice/agent/v1/ApprovalResolved.js';
import type { CloseSessionRequest as _sluice_agent_v1_CloseSessionRequest, CloseSessionRequest__Output as _sluice_agent_v1_CloseSessionRequest__Output } from './sluice/agent/v1/CloseSessionRequest.js';
import type { Command as _sluice_agent_v1_Command, Command__Output as _sluice_agent_v1_Command__Output } from './sluice/agent/v1/Command.js';
import type { ControlMessage as _sluice_agent_v1_ControlMessage, ControlMessage__Output as _sluice_agent_v1_ControlMessage__Output } from './sluice/agent/v1/ControlMessage.js';
import type { ControlPush as _sluice_agent_v1_ControlPush, ControlPush__Output as _sluice_agent_v1_ControlPush__Output } from './sluice/agent/v1/ControlPush.js';
import type { ControlResponse as _sluice_agent_v1_ControlResponse, ControlResponse__Output as _sluice_agent_v1_ControlResponse__Output } from './sluice/agent/v1/ControlResponse.js';
import type { Decision as _sluice_agent_v1_Decision, Decision__Output as _sluice_agent_v1_Decision__Output } from './sluice/agent/v1/Decision.js';
import type { DecisionRequest as _sluice_agent_v1_DecisionRequest, DecisionRequest__Output as _sluice_agent_v1_DecisionRequest__Output } from './sluice/agent/v1/DecisionRequest.js';
import type { EventAck as _sluice_agent_v1_EventAck, EventAck__Output as _sluice_agent_v1_EventAck__Output } from './sluice/agent/v1/EventAck.js';
import type { EventBatch as _sluice_agent_v1_EventBatch, EventBatch__Output as _sluice_agent_v1_EventBatch__Output } from './sluice/agent/v1/EventBatch.js';
import type { Heartbeat as _sluice_agent_v1_Heartbeat, Heartbeat__Output as _sluice_agent_v1_Heartbeat__Output } from './sluice/agent/v1/Heartbeat.js';
import type { HeartbeatAck as _sluice_agent_v1_HeartbeatAck, HeartbeatAck__Output as _sluice_agent_v1_HeartbeatAck__Output } from './sluice/agent/v1/HeartbeatAck.js';
import type { HelloAccepted as _sluice_agent_v1_HelloAccepted, HelloAccepted__Output as _sluice_agent_v1_HelloAccepted__Output } from './sluice/agent/v1/HelloAccepted.js';
import type { HttpRequestFacts as _sluice_agent_v1_HttpRequestFacts, HttpRequestFacts__Output as _sluice_agent_v1_HttpRequestFacts__Output } from './sluice/agent/v1/HttpRequestFacts.js';
import type { InvalidateDecisions as _sluice_agent_v1_InvalidateDecisions, InvalidateDecisions__Output as _sluice_agent_v1_InvalidateDecisions__Output } from './sluice/agent/v1/InvalidateDecisions.js';
import type { KubernetesRequestFacts as _sluice_agent_v1_KubernetesRequestFacts, KubernetesRequestFacts__Output as _sluice_agent_v1_KubernetesRequestFacts__Output } from './sluice/agent/v1/KubernetesRequestFacts.js';
import type { OpenSessionRequest as _sluice_agent_v1_OpenSessionRequest, OpenSessionRequest__Output as _sluice_agent_v1_OpenSessionRequest__Output } from './sluice/agent/v1/OpenSessionRequest.js';
import type { Ping as _sluice_agent_v1_Ping, Ping__Output as _sluice_agent_v1_Ping__Output } from './sluice/agent/v1/Ping.js';
import type { Pong as _sluice_agent_v1_Pong, Pong__Output as _sluice_agent_v1_Pong__Output } from './sluice/agent/v1/Pong.js';
import type { Principal as _sluice_agent_v1_Principal, Principal__Output as _sluice_agent_v1_Principal__Output } from './sluice/agent/v1/Principal.js';
import type { RequestError as _sluice_agent_v1_RequestError, RequestError__Output as _sluice_agent_v1_RequestError__Output } from './sluice/agent/v1/RequestError.js';
import type { RevokePrincipal as _sluice_agent_v1_RevokePrincipal, RevokePrincipal__Output as _sluice_agent_v1_RevokePrincipal__Output } from './sluice/agent/v1/RevokePrincipal.js';
import type { ServedConnection as _sluice_agent_v1_ServedConnection, ServedConnection__Output as _sluice_agent_v1_ServedConnection__Output } from './sluice/agent/v1/ServedConnection.js';
import type { SessionClosed as _sluice_agent_v1_SessionClosed, SessionClosed__Output as _sluice_agent_v1_SessionClosed__Output } from './sluice/agent/v1/SessionClosed.js';
import type { SessionEvent as _sluice_agent_v1_SessionEvent, SessionEvent__Output as _sluice_agent_v1_SessionEvent__Output } from './sluice/agent/v1/SessionEvent.js';
import type { SessionEventRef as _sluice_agent_v1_SessionEventRef, SessionEventRef__Output as _sluice_agent_v1_SessionEventRef__Output } from './sluice/agent/v1/SessionEventRef.js';
import type { SessionOpened as _sluice_agent_v1_SessionOpened, SessionOpened__Output as _sluice_agent_v1_SessionOpened__Output } from './sluice/agent/v1/SessionOpened.js';
import type { SessionRefused as _sluice_agent_v1_SessionRefused, SessionRefused__Output as _sluice_agent_v1_SessionRefused__Output } from './sluice/agent/v1/SessionRefused.js';
import type { TerminateSession as _sluice_agent_v1_TerminateSession, TerminateSession__Output as _sluice_agent_v1_TerminateSession__Output } from './sluice/agent/v1/TerminateSession.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  sluice: {
    agent: {
      v1: {
        AgentHello: MessageTypeDefinition<_sluice_agent_v1_AgentHello, _sluice_agent_v1_AgentHello__Output>
        AgentLink: SubtypeConstructor<typeof grpc.Client, _sluice_agent_v1_AgentLinkClient> & { service: _sluice_agent_v1_AgentLinkDefinition }
        AgentMessage: MessageTypeDefinition<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_AgentMessage__Output>
        AgentRequest: MessageTypeDefinition<_sluice_agent_v1_AgentRequest, _sluice_agent_v1_AgentRequest__Output>
        ApprovalResolved: MessageTypeDefinition<_sluice_agent_v1_ApprovalResolved, _sluice_agent_v1_ApprovalResolved__Output>
        CloseSessionRequest: MessageTypeDefinition<_sluice_agent_v1_CloseSessionRequest, _sluice_agent_v1_CloseSessionRequest__Output>
        Command: MessageTypeDefinition<_sluice_agent_v1_Command, _sluice_agent_v1_Command__Output>
        ControlMessage: MessageTypeDefinition<_sluice_agent_v1_ControlMessage, _sluice_agent_v1_ControlMessage__Output>
        ControlPush: MessageTypeDefinition<_sluice_agent_v1_ControlPush, _sluice_agent_v1_ControlPush__Output>
        ControlResponse: MessageTypeDefinition<_sluice_agent_v1_ControlResponse, _sluice_agent_v1_ControlResponse__Output>
        Decision: MessageTypeDefinition<_sluice_agent_v1_Decision, _sluice_agent_v1_Decision__Output>
        DecisionRequest: MessageTypeDefinition<_sluice_agent_v1_DecisionRequest, _sluice_agent_v1_DecisionRequest__Output>
        EventAck: MessageTypeDefinition<_sluice_agent_v1_EventAck, _sluice_agent_v1_EventAck__Output>
        EventBatch: MessageTypeDefinition<_sluice_agent_v1_EventBatch, _sluice_agent_v1_EventBatch__Output>
        Heartbeat: MessageTypeDefinition<_sluice_agent_v1_Heartbeat, _sluice_agent_v1_Heartbeat__Output>
        HeartbeatAck: MessageTypeDefinition<_sluice_agent_v1_HeartbeatAck, _sluice_agent_v1_HeartbeatAck__Output>
        HelloAccepted: MessageTypeDefinition<_sluice_agent_v1_HelloAccepted, _sluice_agent_v1_HelloAccepted__Output>
        HttpRequestFacts: MessageTypeDefinition<_sluice_agent_v1_HttpRequestFacts, _sluice_agent_v1_HttpRequestFacts__Output>
        InvalidateDecisions: MessageTypeDefinition<_sluice_agent_v1_InvalidateDecisions, _sluice_agent_v1_InvalidateDecisions__Output>
        KubernetesRequestFacts: MessageTypeDefinition<_sluice_agent_v1_KubernetesRequestFacts, _sluice_agent_v1_KubernetesRequestFacts__Output>
        OpenSessionRequest: MessageTypeDefinition<_sluice_agent_v1_OpenSessionRequest, _sluice_agent_v1_OpenSessionRequest__Output>
        Ping: MessageTypeDefinition<_sluice_agent_v1_Ping, _sluice_agent_v1_Ping__Output>
        Pong: MessageTypeDefinition<_sluice_agent_v1_Pong, _sluice_agent_v1_Pong__Output>
        Principal: MessageTypeDefinition<_sluice_agent_v1_Principal, _sluice_agent_v1_Principal__Output>
        RequestError: MessageTypeDefinition<_sluice_agent_v1_RequestError, _sluice_agent_v1_RequestError__Output>
        RevokePrincipal: MessageTypeDefinition<_sluice_agent_v1_RevokePrincipal, _sluice_agent_v1_RevokePrincipal__Output>
        ServedConnection: MessageTypeDefinition<_sluice_agent_v1_ServedConnection, _sluice_agent_v1_ServedConnection__Output>
        SessionClosed: MessageTypeDefinition<_sluice_agent_v1_SessionClosed, _sluice_agent_v1_SessionClosed__Output>
        SessionEvent: MessageTypeDefinition<_sluice_agent_v1_SessionEvent, _sluice_agent_v1_SessionEvent__Output>
        SessionEventRef: MessageTypeDefinition<_sluice_agent_v1_SessionEventRef, _sluice_agent_v1_SessionEventRef__Output>
        SessionOpened: MessageTypeDefinition<_sluice_agent_v1_SessionOpened, _sluice_agent_v1_SessionOpened__Output>
        SessionRefused: MessageTypeDefinition<_sluice_agent_v1_SessionRefused, _sluice_agent_v1_SessionRefused__Output>
        TerminateSession: MessageTypeDefinition<_sluice_agent_v1_TerminateSession, _sluice_agent_v1_TerminateSession__Output>
      }
    }
  }
}

