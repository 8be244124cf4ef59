// Original file: proto/sluice/agent/v1/agent_link.proto


export interface ServedConnection {
  /**
   * Unique connection name, e.g. "demo-postgres".
   */
  'name'?: (string);
  /**
   * "postgres" | "mysql" | "http" | "kubernetes"
   */
  'protocol'?: (string);
  /**
   * Where clients reach the agent for this connection, e.g. "127.0.0.1:6432".
   */
  'listenAddress'?: (string);
  /**
   * Free-form labels such as env=prod, used by policy.
   */
  'tags'?: ({[key: string]: string});
}

export interface ServedConnection__Output {
  /**
   * Unique connection name, e.g. "demo-postgres".
   */
  'name': (string);
  /**
   * "postgres" | "mysql" | "http" | "kubernetes"
   */
  'protocol': (string);
  /**
   * Where clients reach the agent for this connection, e.g. "127.0.0.1:6432".
   */
  'listenAddress': (string);
  /**
   * Free-form labels such as env=prod, used by policy.
   */
  'tags': ({[key: string]: string});
}
