// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * The client may not open a session. `message` is safe to show to the client.
 */
export interface SessionRefused {
  /**
   * "invalid_token" | "revoked" | "not_allowed" | "unknown_connection"
   */
  'code'?: (string);
  'message'?: (string);
  /**
   * Finer reason for logs and clients, e.g. "expired", "audience-mismatch".
   */
  'detailCode'?: (string);
}

/**
 * The client may not open a session. `message` is safe to show to the client.
 */
export interface SessionRefused__Output {
  /**
   * "invalid_token" | "revoked" | "not_allowed" | "unknown_connection"
   */
  'code': (string);
  'message': (string);
  /**
   * Finer reason for logs and clients, e.g. "expired", "audience-mismatch".
   */
  'detailCode': (string);
}
