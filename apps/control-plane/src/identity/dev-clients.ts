import type { DevClient } from '@sluice/identity';

/**
 * The development issuer's demo clients (client-credentials). They share one secret:
 * SLUICE_DEV_ISSUER_SECRET, or one generated into the state directory.
 */
export const DEMO_CLIENTS: readonly Omit<DevClient, 'clientSecret'>[] = [
  { clientId: 'demo-agent', displayName: 'Demo AI agent', kind: 'workload', groups: ['ai-agents'], roles: [] },
  { clientId: 'demo-approver', displayName: 'Demo approver', kind: 'user', groups: ['db-approvers'], roles: ['Sluice.Approver'] },
  {
    clientId: 'demo-admin',
    displayName: 'Demo security admin',
    kind: 'user',
    groups: ['security'],
    roles: ['Sluice.Admin', 'Sluice.Auditor'],
  },
];
