// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Command as _sluice_agent_v1_Command, Command__Output as _sluice_agent_v1_Command__Output } from '../../../sluice/agent/v1/Command.js';

/**
 * What may this session do with this command? Asked for every command the agent cannot answer from
 * a cached decision. No answer by the deadline → the agent refuses the command.
 */
export interface DecisionRequest {
  'sessionId'?: (string);
  'command'?: (_sluice_agent_v1_Command | null);
}

/**
 * What may this session do with this command? Asked for every command the agent cannot answer from
 * a cached decision. No answer by the deadline → the agent refuses the command.
 */
export interface DecisionRequest__Output {
  'sessionId': (string);
  'command': (_sluice_agent_v1_Command__Output | null);
}
