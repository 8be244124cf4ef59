// The generated contract types must match proto/: regenerate into a temporary folder and compare.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const COMMITTED = join(ROOT, 'libs/contract/src/generated');

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      found.set(relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  }
  return found;
}

describe('contract', () => {
  it('generated types are up to date with proto/ (run `pnpm generate:contract` after editing a .proto)', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'contract-'));
    execFileSync(process.execPath, [join(ROOT, 'libs/contract/scripts/generate.mjs'), '--out', fresh], { stdio: 'pipe' });
    const expected = files(fresh);
    const actual = files(COMMITTED);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(actual.get(name), name).toBe(text);
  });
});
