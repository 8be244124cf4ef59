import { describe, expect, it } from 'vitest';
import { DETECTOR_NAMES, type DetectorName } from '../mask-plan.js';
import { compileMaskPlan } from '../mask-matcher.js';
import { DETECTORS, detectAll } from './detector-registry.js';

const TEXT = 'Mail jane@example.com, card 4111 1111 1111 1111, IBAN DE89370400440532013000, SSN 123-45-6789, tel +1 415 555 0100.';

describe('detectAll', () => {
  it('reports offsets and detector names, never values', () => {
    const findings = detectAll(TEXT);
    expect(findings.map((f) => [f.detector, TEXT.slice(f.start, f.end)])).toEqual([
      ['email', 'jane@example.com'],
      ['card', '4111 1111 1111 1111'],
      ['iban', 'DE89370400440532013000'],
      ['ssn', '123-45-6789'],
      ['phone', '+1 415 555 0100'],
    ]);
    for (const finding of findings) expect(Object.keys(finding).sort()).toEqual(['detector', 'end', 'start']);
  });

  it('runs only the requested detectors, once each', () => {
    expect(detectAll(TEXT, ['ssn', 'email', 'ssn']).map((f) => f.detector)).toEqual(['email', 'ssn']);
    expect(detectAll(TEXT, [])).toEqual([]);
  });

  it('reports overlapping findings of different detectors, longest first', () => {
    const token = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
    expect(detectAll(`x ${token}`).map((f) => f.detector)).toEqual(['cloud-key', 'secret']);
  });

  it('refuses an unknown detector name', () => {
    expect(() => detectAll(TEXT, ['passport' as DetectorName])).toThrow(new RangeError('unknown detector name'));
  });

  it('has a detector for every name, with a minimum length no detector can beat', () => {
    for (const name of DETECTOR_NAMES) {
      const detector = DETECTORS[name];
      expect(detector.name).toBe(name);
      const findings = detectAll(SAMPLES[name], [name]);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.end - findings[0]!.start).toBeGreaterThanOrEqual(detector.minLength);
    }
  });
});

/** The shortest value each detector accepts (used to check `minLength`). */
const SAMPLES: Readonly<Record<DetectorName, string>> = {
  email: 'a@b.co',
  card: '4222222222222',
  iban: 'NO9386011117947',
  ssn: 'ssn 123456789',
  phone: '+12345678',
  jwt: `${Buffer.from('{"alg":""}').toString('base64url')}.x.`,
  'cloud-key': 'xoxb-1234567890',
  'private-key': '-----BEGIN PRIVATE KEY-----',
  secret: 'Zk3mQ9xT2vLp8RwN4sYb7HcJ',
};

describe('pathological inputs', () => {
  // Linear-time scanners: these must simply return. No timing is asserted (benchmarks measure speed).
  const N = 100_000;
  const inputs: readonly [string, string][] = [
    ['digits', '7'.repeat(N)],
    ['at signs', '@'.repeat(N)],
    ['dashes', '-'.repeat(N)],
    ['digit-dash pairs', '1-'.repeat(N / 2)],
    ['digit-space pairs', '1 '.repeat(N / 2)],
    ['card-like groups', '4111 '.repeat(N / 5)],
    ['local-part then at', `${'a'.repeat(N)}@`],
    ['at then domain labels', `@${'a.'.repeat(N / 2)}`],
    ['alternating a@', 'a@'.repeat(N / 2)],
    ['plus signs before digits', '+1'.repeat(N / 2)],
    ['parentheses', '('.repeat(N)],
    ['eyJ', 'eyJ'.repeat(N / 3)],
    ['PEM BEGIN markers', '-----BEGIN PRIVATE KEY-----'.repeat(N / 27)],
    ['PEM BEGIN without a label', '-----BEGIN '.repeat(N / 11)],
    ['cloud key prefixes', 'AKIAghp_xoxb-sk_live_AIza'.repeat(N / 25)],
    ['AccountKey=', 'AccountKey='.repeat(N / 11)],
    ['one long base64 run', 'aB3'.repeat(N / 3)],
    ['IBAN anchors', 'DE89 '.repeat(N / 5)],
    ['SSN fragments', '123-45-'.repeat(N / 7)],
  ];

  it.each(inputs)('detectAll returns on %s', (_name, text) => {
    expect(Array.isArray(detectAll(text))).toBe(true);
  });

  it.each(inputs)('scanText returns on %s', (_name, text) => {
    const matcher = compileMaskPlan(
      { columns: [], detectors: DETECTOR_NAMES.map((detector) => ({ detector, strategy: { kind: 'redact' } })) },
      { hashKey: Buffer.alloc(32) },
    );
    expect(typeof matcher.scanText(text)).toBe('string');
  });

  it('masks a PEM block that runs to the end of a huge text', () => {
    const text = `-----BEGIN RSA PRIVATE KEY-----\n${'A'.repeat(N)}`;
    expect(detectAll(text, ['private-key'])).toEqual([{ detector: 'private-key', start: 0, end: text.length }]);
  });
});
