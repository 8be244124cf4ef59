// Original file: proto/sluice/agent/v1/agent_link.proto


export interface CloseSessionRequest {
  'sessionId'?: (string);
  /**
   * "client_closed" | "terminated" | "revoked" | "token_expired" | "agent_shutdown" | "error"
   */
  'reason'?: (string);
}

export interface CloseSessionRequest__Output {
  'sessionId': (string);
  /**
   * "client_closed" | "terminated" | "revoked" | "token_expired" | "agent_shutdown" | "error"
   */
  'reason': (string);
}
