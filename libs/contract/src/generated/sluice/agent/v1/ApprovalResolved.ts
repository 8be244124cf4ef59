// Original file: proto/sluice/agent/v1/agent_link.proto


/**
 * A review the agent may be holding a command for was resolved. On "approved" the agent asks for
 * a decision again (the control plane then consumes the approval); otherwise it refuses the command.
 */
export interface ApprovalResolved {
  'approvalId'?: (string);
  /**
   * "approved" | "denied" | "expired"
   */
  'outcome'?: (string);
  /**
   * The approver's comment (safe to show to the client).
   */
  'comment'?: (string);
  'resolvedBy'?: (string);
}

/**
 * A review the agent may be holding a command for was resolved. On "approved" the agent asks for
 * a decision again (the control plane then consumes the approval); otherwise it refuses the command.
 */
export interface ApprovalResolved__Output {
  'approvalId': (string);
  /**
   * "approved" | "denied" | "expired"
   */
  'outcome': (string);
  /**
   * The approver's comment (safe to show to the client).
   */
  'comment': (string);
  'resolvedBy': (string);
}
