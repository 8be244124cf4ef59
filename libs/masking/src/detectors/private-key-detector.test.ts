import { describe, expect, it } from 'vitest';
import { findPrivateKeys } from './private-key-detector.js';

const found = (text: string): string[] => findPrivateKeys(text).map(({ start, end }) => text.slice(start, end));

const pem = (label: string, body = 'MIIEowIBAAKCAQEAx1y2\nZ3w4v5u6t7s8r9q0p==\n'): string =>
  `-----BEGIN ${label}-----\n${body}-----END ${label}-----`;

describe('findPrivateKeys', () => {
  it.each([
    'PRIVATE KEY',
    'RSA PRIVATE KEY',
    'EC PRIVATE KEY',
    'OPENSSH PRIVATE KEY',
    'ENCRYPTED PRIVATE KEY',
    'DSA PRIVATE KEY',
    'PGP PRIVATE KEY BLOCK',
  ])('finds a %s block', (label) => {
    const block = pem(label);
    expect(found(`key:\n${block}\nafter`)).toEqual([block]);
  });

  it('finds a key whose newlines are JSON-escaped', () => {
    const block = '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----';
    expect(found(`{"private_key":"${block}\\n"}`)).toEqual([block]);
  });

  it('finds two blocks separately and keeps the text between them', () => {
    const a = pem('RSA PRIVATE KEY');
    const b = pem('EC PRIVATE KEY');
    expect(found(`${a}\nnot secret\n${b}`)).toEqual([a, b]);
  });

  it('masks to the end of the text when the END marker is missing (fail closed)', () => {
    const text = 'prefix -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1y2 (truncated)';
    expect(found(text)).toEqual([text.slice('prefix '.length)]);
  });

  it('does not accept an END marker with a different label', () => {
    const text = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- tail';
    expect(found(text)).toEqual([text]);
  });

  it.each([
    ['a certificate', pem('CERTIFICATE')],
    ['a public key', pem('PUBLIC KEY')],
    ['an RSA public key', pem('RSA PUBLIC KEY')],
    ['a lower-case label', '-----BEGIN private key-----\nabc\n-----END private key-----'],
    ['a bare marker word', 'the BEGIN PRIVATE KEY header'],
  ])('finds nothing in %s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });
});
