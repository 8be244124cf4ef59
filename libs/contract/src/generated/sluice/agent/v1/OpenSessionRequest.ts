// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * A client connected to the agent and presented an access token. The control plane verifies the
 * token, resolves the principal, decides `session.open` for the connection, and records the
 * session. The token is never logged or stored.
 */
export interface OpenSessionRequest {
  'connection'?: (string);
  'token'?: (string);
  /**
   * ip:port of the client as the agent sees it.
   */
  'clientAddress'?: (string);
  /**
   * What the client says about itself (e.g. PostgreSQL application_name, HTTP User-Agent).
   */
  'clientApplication'?: (string);
  /**
   * The user name the client sent to the agent (informational; the agent connects with its own).
   */
  'clientUser'?: (string);
}

/**
 * A client connected to the agent and presented an access token. The control plane verifies the
 * token, resolves the principal, decides `session.open` for the connection, and records the
 * session. The token is never logged or stored.
 */
export interface OpenSessionRequest__Output {
  'connection': (string);
  'token': (string);
  /**
   * ip:port of the client as the agent sees it.
   */
  'clientAddress': (string);
  /**
   * What the client says about itself (e.g. PostgreSQL application_name, HTTP User-Agent).
   */
  'clientApplication': (string);
  /**
   * The user name the client sent to the agent (informational; the agent connects with its own).
   */
  'clientUser': (string);
}
