// Original file: proto/sluice/agent/v1/agent_link.proto


export interface Principal {
  'id'?: (string);
  'kind'?: (string);
  'displayName'?: (string);
  'subject'?: (string);
  'issuer'?: (string);
  'tenantId'?: (string);
  'appId'?: (string);
  'groups'?: (string)[];
  'roles'?: (string)[];
  'scopes'?: (string)[];
  'groupOverage'?: (boolean);
}

export interface Principal__Output {
  'id': (string);
  'kind': (string);
  'displayName': (string);
  'subject': (string);
  'issuer': (string);
  'tenantId': (string);
  'appId': (string);
  'groups': (string)[];
  'roles': (string)[];
  'scopes': (string)[];
  'groupOverage': (boolean);
}
