// Original file: proto/sluice/agent/v1/agent_link.proto


export interface TerminateSession {
  'sessionId'?: (string);
  'reason'?: (string);
}

export interface TerminateSession__Output {
  'sessionId': (string);
  'reason': (string);
}
