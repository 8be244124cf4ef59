// Original file: proto/sluice/agent/v1/agent_link.proto

import type { InvalidateDecisions as _sluice_agent_v1_InvalidateDecisions, InvalidateDecisions__Output as _sluice_agent_v1_InvalidateDecisions__Output } from '../../../sluice/agent/v1/InvalidateDecisions.js';
import type { TerminateSession as _sluice_agent_v1_TerminateSession, TerminateSession__Output as _sluice_agent_v1_TerminateSession__Output } from '../../../sluice/agent/v1/TerminateSession.js';
import type { RevokePrincipal as _sluice_agent_v1_RevokePrincipal, RevokePrincipal__Output as _sluice_agent_v1_RevokePrincipal__Output } from '../../../sluice/agent/v1/RevokePrincipal.js';
import type { ApprovalResolved as _sluice_agent_v1_ApprovalResolved, ApprovalResolved__Output as _sluice_agent_v1_ApprovalResolved__Output } from '../../../sluice/agent/v1/ApprovalResolved.js';

export interface ControlPush {
  'invalidateDecisions'?: (_sluice_agent_v1_InvalidateDecisions | null);
  'terminateSession'?: (_sluice_agent_v1_TerminateSession | null);
  'revokePrincipal'?: (_sluice_agent_v1_RevokePrincipal | null);
  'approvalResolved'?: (_sluice_agent_v1_ApprovalResolved | null);
  'push'?: "invalidateDecisions"|"terminateSession"|"revokePrincipal"|"approvalResolved";
}

export interface ControlPush__Output {
  'invalidateDecisions'?: (_sluice_agent_v1_InvalidateDecisions__Output | null);
  'terminateSession'?: (_sluice_agent_v1_TerminateSession__Output | null);
  'revokePrincipal'?: (_sluice_agent_v1_RevokePrincipal__Output | null);
  'approvalResolved'?: (_sluice_agent_v1_ApprovalResolved__Output | null);
  'push'?: "invalidateDecisions"|"terminateSession"|"revokePrincipal"|"approvalResolved";
}
