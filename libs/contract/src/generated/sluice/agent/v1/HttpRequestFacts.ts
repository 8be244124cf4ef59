// Original file: proto/sluice/agent/v1/agent_link.proto


export interface HttpRequestFacts {
  'method'?: (string);
  'path'?: (string);
  'query'?: ({[key: string]: string});
  'contentType'?: (string);
}

export interface HttpRequestFacts__Output {
  'method': (string);
  'path': (string);
  'query': ({[key: string]: string});
  'contentType': (string);
}
