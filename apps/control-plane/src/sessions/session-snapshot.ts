import type { VerifiedPrincipal } from '../identity/verified-principal.js';
import type { SessionPrincipalSnapshot } from './session.entity.js';

/** What a session remembers of its principal: the token's view of it, without raw claims. */
export function snapshotOf(principal: VerifiedPrincipal): SessionPrincipalSnapshot {
  return {
    id: principal.id,
    issuer: principal.issuer,
    tenantId: principal.tenantId ?? null,
    subject: principal.subject,
    kind: principal.kind,
    displayName: principal.displayName ?? null,
    appId: principal.appId ?? null,
    groups: [...principal.groups],
    roles: [...principal.roles],
    scopes: [...principal.scopes],
    groupOverage: principal.groupOverage,
  };
}
