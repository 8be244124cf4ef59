import { describe, expect, it } from 'vitest';
import { groupMatches } from './approvals.service.js';

describe("groupMatches: a rule's approver group against an approver's group", () => {
  it.each([
    ['db-approvers', 'db-approvers', true],
    ['db-approvers', 'DB-Approvers', true],
    ['db-approvers', 'db-approvers-2', false],
    ['db-*', 'db-approvers', true],
    ['db-*', 'dba', false],
    ['*-approvers', 'sec-approvers', true],
    ['*-approvers', 'approvers', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['*', 'anyone', true],
    ['ab*ab', 'ab', false],
  ])('%s vs %s → %s', (pattern, group, expected) => {
    expect(groupMatches(pattern, group)).toBe(expected);
  });
});
