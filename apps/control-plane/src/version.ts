/** Reported to agents in HelloAccepted and in logs. Bumped with releases. */
export const CONTROL_PLANE_VERSION = '0.1.0';
