// Original file: proto/sluice/agent/v1/agent_link.proto


export interface KubernetesRequestFacts {
  'verb'?: (string);
  'apiGroup'?: (string);
  'resource'?: (string);
  'subresource'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

export interface KubernetesRequestFacts__Output {
  'verb': (string);
  'apiGroup': (string);
  'resource': (string);
  'subresource': (string);
  'namespace': (string);
  'name': (string);
}
