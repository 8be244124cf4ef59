/** Reported to the control plane in the hello. Bumped with releases. */
export const AGENT_VERSION = '0.1.0';
