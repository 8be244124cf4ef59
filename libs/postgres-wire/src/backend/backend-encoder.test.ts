import { describe, expect, it } from 'vitest';
import { encodeBackendMessage } from './backend-encoder.js';

describe('encodeBackendMessage refuses input that would encode a different message', () => {
  it('refuses NUL in error fields (a client would read the rest as other fields)', () => {
    expect(() => encodeBackendMessage({ kind: 'ErrorResponse', severity: 'ERROR', code: '42501', message: 'no\0Dforged detail' })).toThrow(
      TypeError,
    );
    expect(() => encodeBackendMessage({ kind: 'ParameterStatus', name: 'a\0', value: 'b' })).toThrow(TypeError);
  });

  it('refuses an empty SASL mechanism name (it would end the list early)', () => {
    expect(() => encodeBackendMessage({ kind: 'AuthenticationSASL', mechanisms: ['', 'SCRAM-SHA-256'] })).toThrow(TypeError);
  });

  it('refuses bad sizes and out-of-range numbers', () => {
    expect(() => encodeBackendMessage({ kind: 'AuthenticationMD5Password', salt: Buffer.alloc(3) })).toThrow(RangeError);
    expect(() => encodeBackendMessage({ kind: 'BackendKeyData', processId: 1, secretKey: Buffer.alloc(2) })).toThrow(RangeError);
    expect(() => encodeBackendMessage({ kind: 'BackendKeyData', processId: 2 ** 31, secretKey: Buffer.alloc(4) })).toThrow(RangeError);
    expect(() =>
      encodeBackendMessage({
        kind: 'RowDescription',
        columns: [{ name: 'a', tableOid: -1, columnAttr: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 }],
      }),
    ).toThrow(RangeError);
    expect(() => encodeBackendMessage({ kind: 'CopyInResponse', format: 256, columnFormats: [] })).toThrow(RangeError);
    expect(() =>
      encodeBackendMessage({ kind: 'NegotiateProtocolVersion', newestVersion: { major: 3, minor: -1 }, unrecognizedOptions: [] }),
    ).toThrow(RangeError);
  });
});
