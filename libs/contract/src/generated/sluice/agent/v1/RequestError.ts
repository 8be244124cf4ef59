// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * A request the control plane could not serve. The agent refuses whatever depended on it.
 */
export interface RequestError {
  /**
   * "deadline_exceeded" | "invalid_request" | "unsupported" | "internal"
   */
  'code'?: (string);
  /**
   * Safe to show to the end client.
   */
  'message'?: (string);
}

/**
 * A request the control plane could not serve. The agent refuses whatever depended on it.
 */
export interface RequestError__Output {
  /**
   * "deadline_exceeded" | "invalid_request" | "unsupported" | "internal"
   */
  'code': (string);
  /**
   * Safe to show to the end client.
   */
  'message': (string);
}
