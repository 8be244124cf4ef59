// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * Link round-trip probe.
 */
export interface Ping {
}

/**
 * Link round-trip probe.
 */
export interface Ping__Output {
}
