import { describe, expect, it } from 'vitest';
import { MAX_YAML_DEPTH } from './policy-limits.js';
import { readPolicyText, type PolicyTextResult } from './policy-text-reader.js';

function message(result: PolicyTextResult): string {
  if (result.ok) throw new Error('expected the text to be refused');
  return result.errors.map((error) => `${error.path}: ${error.message}`).join('\n');
}

describe('readPolicyText (YAML)', () => {
  it('reads a plain document', () => {
    expect(readPolicyText('rules:\n  - id: a\n    effect: allow\n', 'yaml')).toEqual({
      ok: true,
      value: { rules: [{ id: 'a', effect: 'allow' }] },
    });
  });

  it('refuses deep flow nesting before the recursive composer sees it', () => {
    const text = `rules: ${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(message(readPolicyText(text, 'yaml'))).toMatch(new RegExp(`nested deeper than ${MAX_YAML_DEPTH} levels`));
  });

  it('refuses deep block nesting', () => {
    const lines = ['rules:'];
    for (let i = 1; i <= MAX_YAML_DEPTH + 5; i++) lines.push(`${' '.repeat(i)}k:`);
    expect(message(readPolicyText(`${lines.join('\n')} 1\n`, 'yaml'))).toMatch(/nested deeper/);
  });

  it('accepts nesting up to the limit', () => {
    const text = `rules: ${'['.repeat(MAX_YAML_DEPTH - 1)}${']'.repeat(MAX_YAML_DEPTH - 1)}`;
    expect(readPolicyText(text, 'yaml').ok).toBe(true);
  });

  it('refuses duplicate keys, nested ones too', () => {
    expect(message(readPolicyText('rules: []\nrules: [1]\n', 'yaml'))).toMatch(/duplicate key 'rules'/);
    expect(message(readPolicyText('rules:\n  - id: a\n    effect: allow\n    effect: deny\n', 'yaml'))).toMatch(/duplicate key 'effect'/);
  });

  it('finds duplicates in a very large mapping (linear check, not the library quadratic one)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`);
    expect(message(readPolicyText(`${keys.join('\n')}\nk7: 2\n`, 'yaml'))).toMatch(/duplicate key 'k7'/);
  });

  it('refuses unknown tags instead of reading them as strings', () => {
    expect(message(readPolicyText('rules:\n  - id: a\n    effect: !!js/function "x"\n', 'yaml'))).toMatch(/line 3, column \d+: .*tag/i);
  });

  it('refuses several documents in one text', () => {
    expect(message(readPolicyText('rules: []\n---\nrules: []\n', 'yaml'))).toMatch(/one document/);
  });

  it('refuses complex keys', () => {
    expect(message(readPolicyText('? [a, b]\n: 1\n', 'yaml'))).toMatch(/complex/);
  });

  it('caps alias expansion', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array<string>(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(message(readPolicyText(lines.join('\n'), 'yaml'))).toMatch(/alias/i);
  });

  it('reports syntax errors with a position', () => {
    expect(message(readPolicyText('rules: [\n', 'yaml'))).toMatch(/invalid YAML at line \d+, column \d+/);
  });

  it('reads an empty text as null (then refused by the schema)', () => {
    expect(readPolicyText('', 'yaml')).toEqual({ ok: true, value: null });
  });
});

describe('readPolicyText (JSON)', () => {
  it('reads JSON and refuses malformed JSON', () => {
    expect(readPolicyText('{"rules":[]}', 'json')).toEqual({ ok: true, value: { rules: [] } });
    expect(message(readPolicyText('{"rules":', 'json'))).toMatch(/invalid JSON/);
  });
});
