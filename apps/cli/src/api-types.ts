// The REST shapes the CLI reads (the control plane's OpenAPI at /api/docs is the reference). The
// CLI never imports the control plane: it talks only to the REST API.

export interface SessionJson {
  readonly id: string;
  readonly principalId: string;
  readonly principalName?: string | null;
  readonly connection: string;
  readonly agentId: string;
  readonly clientAddress: string;
  readonly clientApplication: string | null;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly closeReason: string | null;
}

export interface SessionSummaryJson extends SessionJson {
  readonly clientUser: string | null;
  readonly tokenExpiresAt: string;
  readonly principal: {
    readonly id: string;
    readonly kind: string;
    readonly displayName: string | null;
    readonly groups: string[];
    readonly roles: string[];
  };
  readonly events: number;
  readonly statements: number;
  readonly decisions: Record<string, number>;
  readonly firstEventAt: string | null;
  readonly lastEventAt: string | null;
}

export interface VerificationJson {
  readonly sessionId: string;
  readonly complete: boolean;
  readonly intact: boolean;
  readonly events: number;
  readonly firstBadSeq?: number;
  readonly problem?: string;
  readonly verifiedThroughSeq: number;
  readonly headHash: string;
}

export interface ReplayAttachmentJson {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly payload: Record<string, unknown>;
}

export interface ReplayStatementJson {
  readonly seq: number;
  readonly at: string;
  readonly via: string | null;
  readonly text: string;
  readonly classes: string[];
  readonly tables: string[];
  readonly decision: {
    seq: number;
    at: string;
    effect: string;
    ruleIds: string[];
    reason: string;
    policyVersion: string;
    cached: boolean;
  } | null;
  readonly approvals: ReplayAttachmentJson[];
  readonly resultPreviews: ReplayAttachmentJson[];
  readonly completion: {
    seq: number;
    at: string;
    durationMs: number | null;
    tag: string | null;
    rows: number | null;
    error: string | null;
    refused: boolean;
  } | null;
}

export interface ReplayJson {
  readonly session: SessionSummaryJson;
  readonly statements: ReplayStatementJson[];
  readonly events: ReplayAttachmentJson[];
  readonly nextAfterSeq: number | null;
}

export interface PrincipalJson {
  readonly id: string;
  readonly kind: string;
  readonly displayName: string | null;
  readonly roles: string[];
  readonly groups: string[];
  readonly lastSeenAt: string;
  readonly revokedAt: string | null;
  readonly revokeReason: string | null;
}

/** Approval requests (docs/approvals.md); fields the CLI does not know are shown by `show` as they come. */
export interface ApprovalJson {
  readonly id: string;
  readonly status: string;
  readonly kind?: string;
  readonly principalId?: string;
  readonly principalName?: string | null;
  readonly connection?: string;
  readonly commandText?: string | null;
  readonly reason?: string;
  readonly requestedAt?: string;
  readonly expiresAt?: string;
  readonly [key: string]: unknown;
}
