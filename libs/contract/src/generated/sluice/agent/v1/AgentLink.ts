// Original file: proto/sluice/agent/v1/agent_link.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _sluice_agent_v1_AgentMessage, AgentMessage__Output as _sluice_agent_v1_AgentMessage__Output } from '../../../sluice/agent/v1/AgentMessage.js';
import type { ControlMessage as _sluice_agent_v1_ControlMessage, ControlMessage__Output as _sluice_agent_v1_ControlMessage__Output } from '../../../sluice/agent/v1/ControlMessage.js';

export interface AgentLinkClient extends grpc.Client {
  /**
   * One stream per agent process. The control plane ends it with a gRPC status when the agent
   * key is unknown or disabled (UNAUTHENTICATED / PERMISSION_DENIED) or the hello is invalid
   * (INVALID_ARGUMENT).
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_ControlMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_ControlMessage__Output>;
  /**
   * One stream per agent process. The control plane ends it with a gRPC status when the agent
   * key is unknown or disabled (UNAUTHENTICATED / PERMISSION_DENIED) or the hello is invalid
   * (INVALID_ARGUMENT).
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_ControlMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_ControlMessage__Output>;
  
}

export interface AgentLinkHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One stream per agent process. The control plane ends it with a gRPC status when the agent
   * key is unknown or disabled (UNAUTHENTICATED / PERMISSION_DENIED) or the hello is invalid
   * (INVALID_ARGUMENT).
   */
  Connect: grpc.handleBidiStreamingCall<_sluice_agent_v1_AgentMessage__Output, _sluice_agent_v1_ControlMessage>;
  
}

export interface AgentLinkDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_sluice_agent_v1_AgentMessage, _sluice_agent_v1_ControlMessage, _sluice_agent_v1_AgentMessage__Output, _sluice_agent_v1_ControlMessage__Output>
}
