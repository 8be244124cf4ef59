import { describe, expect, it } from 'vitest';
import { contentSha256, fileNeedsApplying, policyFormatOf } from './policy-file.js';

describe('the policy file bootstrap rule', () => {
  const a = contentSha256('rules: [a]');
  const b = contentSha256('rules: [b]');
  const c = contentSha256('rules: [c]');

  it('applies a file to an empty database', () => {
    expect(fileNeedsApplying(a, { activeSha256: undefined, lastFileSha256: undefined })).toBe(true);
  });

  it('does nothing when the file is what is enforced', () => {
    expect(fileNeedsApplying(a, { activeSha256: a, lastFileSha256: a })).toBe(false);
    expect(fileNeedsApplying(a, { activeSha256: a, lastFileSha256: undefined })).toBe(false);
  });

  it('applies a changed file over an older file version and over an API version', () => {
    expect(fileNeedsApplying(b, { activeSha256: a, lastFileSha256: a })).toBe(true);
    expect(fileNeedsApplying(c, { activeSha256: b, lastFileSha256: a })).toBe(true);
  });

  it('applies a Git revert: the file returns to content applied before, but not last', () => {
    expect(fileNeedsApplying(a, { activeSha256: b, lastFileSha256: b })).toBe(true);
  });

  it('keeps a version activated through the API since the unchanged file was applied', () => {
    expect(fileNeedsApplying(a, { activeSha256: b, lastFileSha256: a })).toBe(false);
  });

  it('hashes exact text and picks the format from the extension', () => {
    expect(contentSha256('x')).not.toBe(contentSha256('x\n'));
    expect(contentSha256('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(policyFormatOf('/etc/sluice/policy.JSON')).toBe('json');
    expect(policyFormatOf('/etc/sluice/policy.yaml')).toBe('yaml');
    expect(policyFormatOf('/etc/sluice/policy')).toBe('yaml');
  });
});
