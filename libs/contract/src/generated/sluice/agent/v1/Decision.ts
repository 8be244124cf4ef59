// Original file: proto/sluice/agent/v1/agent_link.proto

import type { Long } from '@grpc/proto-loader';

export interface Decision {
  /**
   * "allow" | "deny" | "review" | "mask"
   */
  'effect'?: (string);
  'ruleIds'?: (string)[];
  /**
   * Human-readable; shown to the client on refusal.
   */
  'reason'?: (string);
  /**
   * For "mask": the mask plan as JSON (see @sluice/masking MaskPlan).
   */
  'maskPlanJson'?: (string);
  /**
   * The agent may reuse this decision for the same principal attributes, connection and
   * fingerprint until an InvalidateDecisions push. Never true for "review".
   */
  'cacheable'?: (boolean);
  'policyVersion'?: (string);
  /**
   * For "review": the approval request and how long the agent may hold the command.
   */
  'approvalId'?: (string);
  'reviewDeadlineUnixMs'?: (number | string | Long);
}

export interface Decision__Output {
  /**
   * "allow" | "deny" | "review" | "mask"
   */
  'effect': (string);
  'ruleIds': (string)[];
  /**
   * Human-readable; shown to the client on refusal.
   */
  'reason': (string);
  /**
   * For "mask": the mask plan as JSON (see @sluice/masking MaskPlan).
   */
  'maskPlanJson': (string);
  /**
   * The agent may reuse this decision for the same principal attributes, connection and
   * fingerprint until an InvalidateDecisions push. Never true for "review".
   */
  'cacheable': (boolean);
  'policyVersion': (string);
  /**
   * For "review": the approval request and how long the agent may hold the command.
   */
  'approvalId': (string);
  'reviewDeadlineUnixMs': (number);
}
