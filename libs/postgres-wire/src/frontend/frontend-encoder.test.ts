import { describe, expect, it } from 'vitest';
import { FrontendDecoder } from './frontend-decoder.js';
import { encodeFrontendMessage } from './frontend-encoder.js';
import type { FrontendMessage } from './frontend-messages.js';

const startup = (parameters: [string, string][], minor = 0): FrontendMessage => ({
  kind: 'StartupMessage',
  protocolVersion: { major: 3, minor },
  parameters: new Map(parameters),
});

describe('encodeFrontendMessage refuses input that would encode a different message', () => {
  it('refuses NUL inside C strings (it would end the string and smuggle in further fields)', () => {
    expect(() => encodeFrontendMessage({ kind: 'Query', sql: 'SELECT 1\0DROP TABLE t' })).toThrow(TypeError);
    expect(() => encodeFrontendMessage({ kind: 'Parse', name: 'a\0', sql: '', parameterTypes: [] })).toThrow(TypeError);
    expect(() => encodeFrontendMessage(startup([['user', 'alice\0database\0postgres']]))).toThrow(TypeError);
    expect(() => encodeFrontendMessage({ kind: 'CopyFail', message: '\0' })).toThrow(TypeError);
  });

  it('refuses an empty startup parameter name (it would end the parameter list early)', () => {
    expect(() =>
      encodeFrontendMessage(
        startup([
          ['', 'x'],
          ['user', 'alice'],
        ]),
      ),
    ).toThrow(TypeError);
  });

  it('refuses numbers that would wrap', () => {
    expect(() => encodeFrontendMessage({ kind: 'Execute', portal: '', maxRows: 2 ** 31 })).toThrow(RangeError);
    expect(() => encodeFrontendMessage({ kind: 'Execute', portal: '', maxRows: 1.5 })).toThrow(RangeError);
    expect(() => encodeFrontendMessage({ kind: 'Parse', name: '', sql: '', parameterTypes: [-1] })).toThrow(RangeError);
    expect(() => encodeFrontendMessage({ kind: 'Parse', name: '', sql: '', parameterTypes: new Array<number>(65536).fill(0) })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeFrontendMessage({ kind: 'Bind', portal: '', statement: '', parameterFormats: [40000], parameters: [null], resultFormats: [] }),
    ).toThrow(RangeError);
    expect(() => encodeFrontendMessage(startup([], 65536))).toThrow(RangeError);
  });

  it('refuses cancel keys outside 4..256 bytes', () => {
    expect(() => encodeFrontendMessage({ kind: 'CancelRequest', processId: 1, secretKey: Buffer.alloc(3) })).toThrow(RangeError);
    expect(() => encodeFrontendMessage({ kind: 'CancelRequest', processId: 1, secretKey: Buffer.alloc(257) })).toThrow(RangeError);
    expect(encodeFrontendMessage({ kind: 'CancelRequest', processId: 1, secretKey: Buffer.alloc(256) })).toHaveLength(268);
  });

  it('encodes the maximum parameter count PostgreSQL accepts (65535) and decodes it back', () => {
    const parameters = new Array<Buffer | null>(65535).fill(null);
    const bytes = encodeFrontendMessage({ kind: 'Bind', portal: '', statement: '', parameterFormats: [], parameters, resultFormats: [] });
    const [bind] = new FrontendDecoder({ phase: 'messages' }).push(bytes);
    expect(bind?.kind === 'Bind' && bind.parameters.length).toBe(65535);
  });

  it('grows its buffer for large messages', () => {
    const sql = `SELECT '${'x'.repeat(100_000)}'`;
    const [query] = new FrontendDecoder({ phase: 'messages' }).push(encodeFrontendMessage({ kind: 'Query', sql }));
    expect(query?.kind === 'Query' && query.sql).toBe(sql);
  });
});
