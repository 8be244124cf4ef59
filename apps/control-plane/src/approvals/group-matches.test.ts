import { describe, expect, it } from 'vitest';
import { groupMatches } from './approvals.service.js';

describe("groupMatches: a rule's approver group against an approver's group", () => {
  it.each([
    ['db-approvers', 'db-approvers', true],
    ['db-approvers', 'DB-Approvers', true],
    ['DB-APPROVERS', 'db-approvers', true],
    ['db-approvers', 'db-approvers-2', false],
    ['db-*', 'db-approvers', false],
    ['*', 'anyone', false],
  ])('%s vs %s → %s', (approverGroup, group, expected) => {
    expect(groupMatches(approverGroup, group)).toBe(expected);
  });
});
