// The generated contract types and the package's copy of the .proto files must match proto/:
// regenerate into a temporary folder and compare.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const COMMITTED = join(ROOT, 'libs/contract/src/generated');
const PROTO = join(ROOT, 'proto');
const PACKAGED_PROTO = join(ROOT, 'libs/contract/proto');

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

  it('the contract package ships the same .proto files as proto/ (run `pnpm generate:contract` after editing a .proto)', () => {
    const expected = files(PROTO);
    const actual = files(PACKAGED_PROTO);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(actual.get(name), name).toBe(text);
  });

  it('the run-time loader reads the packaged copy, which the package publishes', async () => {
    const { PROTO_ROOT, loadAgentLinkPackage } = await import('@sluice/contract');
    expect(PROTO_ROOT).toBe(PACKAGED_PROTO);
    expect(typeof loadAgentLinkPackage().AgentLink).toBe('function');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'libs/contract/package.json'), 'utf8')) as { files?: string[] };
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'proto']));
  });
});
