import { compileMaskPlan } from '@sluice/masking';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextMasker, TextMaskingError } from './text-masker.js';

const matcher = compileMaskPlan(
  { columns: [], detectors: [{ detector: 'email', strategy: { kind: 'redact' } }] },
  { hashKey: Buffer.alloc(16) },
);
const scan = (t: string): string => matcher.scanText(t);

function run(text: string, chunks: readonly number[], max = 1000): string {
  const masker = new TextMasker(scan, max);
  let out = '';
  let at = 0;
  for (const size of chunks) {
    out += masker.push(text.slice(at, at + size));
    at += size;
  }
  return out + masker.push(text.slice(at)) + masker.end();
}

describe('TextMasker', () => {
  const log =
    'INFO user alice@example.com logged in\nDEBUG nothing here\nWARN bob@example.org failed\nlast line without newline carol@example.net';

  it('masks findings line by line and keeps the line structure', () => {
    const out = run(log, []);
    expect(out).not.toMatch(/@example\./);
    expect(out.split('\n')).toHaveLength(4);
    expect(out).toContain('DEBUG nothing here\n');
  });

  it('finds a value split across chunks (property: any chunking, same output)', () => {
    const whole = run(log, []);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 }), (chunks) => {
        expect(run(log, chunks)).toBe(whole);
      }),
    );
  });

  it('holds an incomplete line until its end arrives', () => {
    const masker = new TextMasker(scan, 100);
    expect(masker.push('partial alice@exa')).toBe('');
    expect(masker.push('mple.com\n')).toBe('partial [redacted]\n');
  });

  it('fails closed on a line longer than the limit', () => {
    const masker = new TextMasker(scan, 10);
    expect(() => masker.push('x'.repeat(11))).toThrow(TextMaskingError);
  });
});
