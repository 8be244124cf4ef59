// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * End every session of this principal now and forget its cached decisions.
 */
export interface RevokePrincipal {
  'principalId'?: (string);
  'reason'?: (string);
}

/**
 * End every session of this principal now and forget its cached decisions.
 */
export interface RevokePrincipal__Output {
  'principalId': (string);
  'reason': (string);
}
