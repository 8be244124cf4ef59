// The facts a policy decision is made from. Protocol adapters and the identity module map their own
// types onto these; the evaluator never sees tokens, sockets or rows. See DESIGN.md "Policy" and
// "The per-command flow".

export type PrincipalKind = 'workload' | 'user';

export const CONNECTION_PROTOCOLS = ['postgres', 'mysql', 'http', 'kubernetes'] as const;
export type ConnectionProtocol = (typeof CONNECTION_PROTOCOLS)[number];

/** Who is asking: a verified token's identity (DESIGN.md "Identity"). */
export interface PolicyPrincipal {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly subject: string;
  readonly issuer: string;
  readonly tenantId?: string;
  readonly appId?: string;
  readonly displayName?: string;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /**
   * True when the token said "too many groups to list" (Entra `_claim_names`/`hasgroups`): `groups`
   * is then incomplete and "not in group X" is unknown, never settled (see README "Group overage").
   */
  readonly groupOverage: boolean;
}

/** The target the command is aimed at, as configured by an admin. */
export interface PolicyConnection {
  readonly name: string;
  readonly protocol: ConnectionProtocol;
  readonly tags: Readonly<Record<string, string>>;
}

export interface PolicyHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export interface PolicyKubernetesRequest {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** Protocol-neutral facts about one command, produced by the classifiers. */
export interface PolicyCommand {
  /** e.g. `['sql.dml.delete', 'sql.cte.modifying']`, `['session.open']`, `['k8s.exec']`, `['http.POST']`. */
  readonly classes: readonly string[];
  /** Tables read or written (SQL), qualified where known (`schema.table`). */
  readonly tables?: readonly string[];
  readonly tablesWritten?: readonly string[];
  readonly functions?: readonly string[];
  readonly hasWhere?: boolean;
  /** Statement text; may be absent. Never copied into reasons. */
  readonly text?: string;
  readonly http?: PolicyHttpRequest;
  readonly k8s?: PolicyKubernetesRequest;
}

export interface PolicyInput {
  readonly principal: PolicyPrincipal;
  readonly connection: PolicyConnection;
  readonly command: PolicyCommand;
  readonly now: Date;
  /** Active just-in-time grant ids/names (DESIGN.md "Approvals": access requests). */
  readonly grants?: readonly string[];
}
