// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * Forget cached decisions. An empty principal_id means all of them.
 */
export interface InvalidateDecisions {
  'policyVersion'?: (string);
  'principalId'?: (string);
}

/**
 * Forget cached decisions. An empty principal_id means all of them.
 */
export interface InvalidateDecisions__Output {
  'policyVersion': (string);
  'principalId': (string);
}
