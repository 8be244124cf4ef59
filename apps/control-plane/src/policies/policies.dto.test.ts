import { DEFAULT_POLICY, DEFAULT_POLICY_DOCUMENT, parsePolicy } from '@sluice/policy';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ActivePolicyDto, versionParamSchema, versionsQuerySchema } from './policies.dto.js';

describe('ActivePolicyDto', () => {
  it('shows the built-in default as YAML that is the default policy, with no version number', () => {
    const dto = ActivePolicyDto.fromActive({ compiled: DEFAULT_POLICY, stored: undefined });
    expect(dto).toMatchObject({ version: null, policyVersion: 'default', source: 'built-in', format: 'yaml', createdBy: null });
    expect(parse(dto.document)).toEqual(DEFAULT_POLICY_DOCUMENT);
    // An admin can download it, edit it and upload it again.
    expect(parsePolicy(dto.document, 'yaml').ok).toBe(true);
  });
});

describe('version numbers in paths and queries', () => {
  it('accepts positive integers that fit the column and nothing else', () => {
    expect(versionParamSchema.parse('7')).toBe(7);
    expect(versionParamSchema.parse('2147483647')).toBe(2_147_483_647);
    for (const bad of ['0', '01', '-1', '1e3', '1.5', ' 7', '0x10', '2147483648', '99999999999', '']) {
      expect(versionParamSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('bounds the page size and refuses unknown query parameters', () => {
    expect(versionsQuerySchema.parse({ limit: '10', before: '5' })).toEqual({ limit: 10, before: 5 });
    expect(versionsQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(versionsQuerySchema.safeParse({ limit: '1001' }).success).toBe(false);
    expect(versionsQuerySchema.safeParse({ offset: '1' }).success).toBe(false);
  });
});
