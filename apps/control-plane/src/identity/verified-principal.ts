/** Who a verified token says is asking. Produced by IdentityService, never built from unverified input. */
export interface VerifiedPrincipal {
  /** Stable key, e.g. `entra:{tid}:{oid}`; never derived from e-mail or UPN. */
  readonly id: string;
  readonly issuer: string;
  readonly tenantId: string | undefined;
  readonly subject: string;
  readonly kind: 'workload' | 'user';
  readonly displayName: string | undefined;
  readonly appId: string | undefined;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly groupOverage: boolean;
  readonly tokenId: string | undefined;
  readonly expiresAt: Date;
  /** The token's claims, kept for audit. */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type TokenCheck =
  | { readonly ok: true; readonly principal: VerifiedPrincipal }
  /** `message` is safe to show to the caller; it never contains the token. */
  | { readonly ok: false; readonly code: string; readonly message: string };
