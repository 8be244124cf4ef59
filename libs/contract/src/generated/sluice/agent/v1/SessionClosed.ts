// Original file: proto/sluice/agent/v1/agent_link.proto


export interface SessionClosed {
}

export interface SessionClosed__Output {
}
