// Original file: proto/sluice/agent/v1/agent_link.proto


export interface HelloAccepted {
  /**
   * Id of this link (one per accepted stream), for correlating logs on both sides.
   */
  'linkId'?: (string);
  /**
   * How often the agent must send a heartbeat. The control plane marks the agent offline after
   * three missed intervals.
   */
  'heartbeatIntervalMs'?: (number);
  'controlPlaneVersion'?: (string);
}

export interface HelloAccepted__Output {
  /**
   * Id of this link (one per accepted stream), for correlating logs on both sides.
   */
  'linkId': (string);
  /**
   * How often the agent must send a heartbeat. The control plane marks the agent offline after
   * three missed intervals.
   */
  'heartbeatIntervalMs': (number);
  'controlPlaneVersion': (string);
}
