import type { VerifiedPrincipal } from './verified-principal.js';

/** What a caller may do on the REST API. */
export const SLUICE_ROLES = ['admin', 'approver', 'auditor'] as const;
export type SluiceRole = (typeof SLUICE_ROLES)[number];

/** Which token claims grant a Sluice role: app roles (`roles` claim) or group ids. */
export interface RoleGrant {
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}
export type RoleMapping = Readonly<Record<SluiceRole, RoleGrant>>;

/** Defaults: Entra app roles defined on the Sluice API registration (docs/identity.md). */
export const DEFAULT_ROLE_MAPPING: RoleMapping = {
  admin: { roles: ['Sluice.Admin'], groups: [] },
  approver: { roles: ['Sluice.Approver'], groups: [] },
  auditor: { roles: ['Sluice.Auditor'], groups: [] },
};

/**
 * The Sluice roles a principal holds. Group-based grants are not honoured for a principal whose
 * groups overflowed the token (we cannot know its groups), so admins should prefer app roles.
 */
export function sluiceRolesOf(principal: VerifiedPrincipal, mapping: RoleMapping): SluiceRole[] {
  return SLUICE_ROLES.filter((role) => {
    const grant = mapping[role];
    return grant.roles.some((r) => principal.roles.includes(r)) || grant.groups.some((g) => principal.groups.includes(g));
  });
}
