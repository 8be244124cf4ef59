// Original file: proto/sluice/agent/v1/agent_link.proto

import type { ServedConnection as _sluice_agent_v1_ServedConnection, ServedConnection__Output as _sluice_agent_v1_ServedConnection__Output } from '../../../sluice/agent/v1/ServedConnection.js';

export interface AgentHello {
  /**
   * Stable, operator-chosen id of this agent (e.g. "segment-a-1"). [a-z0-9][a-z0-9._-]{0,62}
   */
  'agentId'?: (string);
  /**
   * Software version of the agent.
   */
  'version'?: (string);
  /**
   * Network segment the agent sits in (e.g. "prod-eu-db").
   */
  'segment'?: (string);
  /**
   * Connections this agent serves. Credentials never travel here.
   */
  'connections'?: (_sluice_agent_v1_ServedConnection)[];
}

export interface AgentHello__Output {
  /**
   * Stable, operator-chosen id of this agent (e.g. "segment-a-1"). [a-z0-9][a-z0-9._-]{0,62}
   */
  'agentId': (string);
  /**
   * Software version of the agent.
   */
  'version': (string);
  /**
   * Network segment the agent sits in (e.g. "prod-eu-db").
   */
  'segment': (string);
  /**
   * Connections this agent serves. Credentials never travel here.
   */
  'connections': (_sluice_agent_v1_ServedConnection__Output)[];
}
