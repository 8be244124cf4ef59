// The agent's own terms for what travels on the link. Generated proto types are mapped to these in
// this folder only (control-plane-link.ts and control-plane-client.ts).
import type { MaskPlan } from '@sluice/masking';

export interface SessionPrincipal {
  readonly id: string;
  readonly kind: string;
  readonly displayName: string;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly appId: string;
  readonly groupOverage: boolean;
}

export type OpenSessionResult =
  | { readonly opened: true; readonly sessionId: string; readonly principal: SessionPrincipal; readonly tokenExpiresAt: Date }
  /** `code`: invalid_token | revoked | not_allowed | unknown_connection; `message` is safe to show the client. */
  | { readonly opened: false; readonly code: string; readonly message: string };

/** Facts about one command, as the agent's classifier saw them. */
export interface CommandFacts {
  readonly classes: readonly string[];
  readonly tables: readonly string[];
  readonly tablesWritten: readonly string[];
  readonly functions: readonly string[];
  readonly hasWhere: boolean | null;
  readonly text: string;
  /** Constants stripped; the decision-cache key together with the principal and connection. */
  readonly fingerprint: string;
  /** HTTP connections: the request line's facts (docs/http.md). */
  readonly http?: HttpFacts;
  /** Kubernetes connections: the request's authorization attributes, as the apiserver derives them (docs/kubernetes.md). */
  readonly kubernetes?: KubernetesFacts;
}

export interface HttpFacts {
  readonly method: string;
  readonly path: string;
  /** Decoded; repeated keys joined with ','; secret-looking values already redacted. */
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string;
}

export interface KubernetesFacts {
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

export type Effect = 'allow' | 'deny' | 'review' | 'mask';

export interface AgentDecision {
  readonly effect: Effect;
  readonly ruleIds: readonly string[];
  readonly reason: string;
  readonly maskPlan: MaskPlan | undefined;
  readonly cacheable: boolean;
  readonly policyVersion: string;
  readonly approvalId: string;
  readonly reviewDeadline: Date | undefined;
}
