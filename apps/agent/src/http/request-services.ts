import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { Recorder } from '../recording/recorder.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import type { RequestGate } from './request-gate.js';

/** What every HTTP and Kubernetes listener shares with the rest of the agent. */
export interface RequestServices {
  readonly controlPlane: ControlPlaneClient;
  readonly gate: RequestGate;
  readonly recorder: Recorder;
  readonly sessions: SessionRegistry;
  /** Key of the `hash` masking strategy. */
  readonly hashKey: Uint8Array;
}
