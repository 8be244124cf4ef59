// Original file: proto/sluice/agent/v1/agent_link.proto


export interface RevokePrincipal {
  'principalId'?: (string);
  'reason'?: (string);
}

export interface RevokePrincipal__Output {
  'principalId': (string);
  'reason': (string);
}
