import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PolicyFormat } from '@sluice/policy';

/** The GitOps bootstrap file (SLUICE_POLICY_FILE), read once at start. */
export interface PolicyFile {
  readonly path: string;
  readonly text: string;
  readonly format: PolicyFormat;
  readonly sha256: string;
}

/** `.json` files are JSON; everything else is read as YAML (which also reads JSON). */
export function policyFormatOf(path: string): PolicyFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}

/** Hex SHA-256 of the exact text: two uploads are "the same policy" only byte for byte. */
export function contentSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export async function readPolicyFile(path: string): Promise<PolicyFile> {
  const text = await readFile(path, 'utf8');
  return { path, text, format: policyFormatOf(path), sha256: contentSha256(text) };
}

/** What the database holds, as far as the bootstrap rule needs it. */
export interface StoredPolicyHashes {
  /** The active version's content hash, if any version exists. */
  readonly activeSha256: string | undefined;
  /** The content hash of the most recent version that came from a policy file. */
  readonly lastFileSha256: string | undefined;
}

/**
 * "Applied at start when newer" (issue 5): the file is applied when its content is not what is
 * enforced and has not been applied before as the latest file version. The second condition keeps a
 * rolling restart with an unchanged file from silently undoing a change an admin made through the
 * API since; a changed file (a new Git revision, including a revert) is applied.
 */
export function fileNeedsApplying(fileSha256: string, stored: StoredPolicyHashes): boolean {
  if (stored.activeSha256 === fileSha256) return false;
  return stored.lastFileSha256 !== fileSha256;
}
