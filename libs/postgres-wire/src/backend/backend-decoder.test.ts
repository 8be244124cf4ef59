import { Parser } from 'pg-protocol/dist/parser';
import type { BackendMessage as PgBackendMessage } from 'pg-protocol/dist/messages';
import { describe, expect, it } from 'vitest';
import { DecodeError, type DecodeErrorCode } from '../decode-error.js';
import { BackendDecoder } from './backend-decoder.js';
import { encodeBackendMessage, encodeGSSENCResponse, encodeSSLResponse } from './backend-encoder.js';
import type { BackendFrame, BackendMessage } from './backend-messages.js';
import { decodeBackendMessage } from './backend-parsers.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function typed(type: string, body: string): Buffer {
  const bytes = hex(body);
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(bytes.length + 4, 1);
  return Buffer.concat([header, bytes]);
}

function frame(bytes: Buffer): BackendFrame {
  return { type: bytes[0] ?? 0, raw: bytes };
}

function decodeStream(bytes: Buffer): BackendMessage[] {
  const frames = new BackendDecoder().push(bytes);
  expect(Buffer.concat(frames.map((f) => f.raw)).equals(bytes)).toBe(true);
  return frames.map(decodeBackendMessage);
}

function expectDecodeCode(bytes: Buffer, code: DecodeErrorCode): void {
  let caught: unknown;
  try {
    decodeBackendMessage(frame(bytes));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).code).toBe(code);
}

function expectFramingCode(bytes: Buffer, code: DecodeErrorCode): BackendDecoder {
  const decoder = new BackendDecoder();
  expect(() => decoder.push(bytes)).toThrow(expect.objectContaining({ code }));
  return decoder;
}

const GOLDEN: [string, BackendMessage][] = [
  ['52 00000008 00000000', { kind: 'AuthenticationOk' }],
  ['52 00000008 00000002', { kind: 'AuthenticationKerberosV5' }],
  ['52 00000008 00000003', { kind: 'AuthenticationCleartextPassword' }],
  ['52 0000000c 00000005 01020304', { kind: 'AuthenticationMD5Password', salt: hex('01020304') }],
  ['52 00000008 00000007', { kind: 'AuthenticationGSS' }],
  ['52 0000000a 00000008 abcd', { kind: 'AuthenticationGSSContinue', data: hex('abcd') }],
  ['52 00000008 00000009', { kind: 'AuthenticationSSPI' }],
  ['52 00000017 0000000a 5343 52414d2d5348412d32353600 00', { kind: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }],
  ['52 0000000b 0000000b 723d78', { kind: 'AuthenticationSASLContinue', data: Buffer.from('r=x') }],
  ['52 0000000b 0000000c 763d79', { kind: 'AuthenticationSASLFinal', data: Buffer.from('v=y') }],
  ['53 00000008 6100 6200', { kind: 'ParameterStatus', name: 'a', value: 'b' }],
  ['4b 0000000c 00000007 01020304', { kind: 'BackendKeyData', processId: 7, secretKey: hex('01020304') }],
  [
    '76 00000013 00030002 00000001 5f70715f2e7800',
    { kind: 'NegotiateProtocolVersion', newestVersion: { major: 3, minor: 2 }, unrecognizedOptions: ['_pq_.x'] },
  ],
  ['5a 00000005 49', { kind: 'ReadyForQuery', status: 'I' }],
  ['5a 00000005 54', { kind: 'ReadyForQuery', status: 'T' }],
  ['5a 00000005 45', { kind: 'ReadyForQuery', status: 'E' }],
  ['45 00000017 53 4552524f5200 43 343235303100 4d 6e6f00 00', { kind: 'ErrorResponse', severity: 'ERROR', code: '42501', message: 'no' }],
  [
    '4e 00000018 53 4e4f5449434500 43 303030303000 4d 686900 00',
    { kind: 'NoticeResponse', severity: 'NOTICE', code: '00000', message: 'hi' },
  ],
  [
    '54 0000001a 0001 6100 00000000 0000 00000017 0004 ffffffff 0000',
    { kind: 'RowDescription', columns: [{ name: 'a', tableOid: 0, columnAttr: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 }] },
  ],
  ['44 0000000f 0002 00000001 31 ffffffff', { kind: 'DataRow', values: [Buffer.from('1'), null] }],
  ['43 0000000d 53454c454354203100', { kind: 'CommandComplete', tag: 'SELECT 1' }],
  ['49 00000004', { kind: 'EmptyQueryResponse' }],
  ['31 00000004', { kind: 'ParseComplete' }],
  ['32 00000004', { kind: 'BindComplete' }],
  ['33 00000004', { kind: 'CloseComplete' }],
  ['6e 00000004', { kind: 'NoData' }],
  ['73 00000004', { kind: 'PortalSuspended' }],
  ['74 0000000e 0002 00000017 00000019', { kind: 'ParameterDescription', parameterTypes: [23, 25] }],
  ['47 0000000b 00 0002 0000 0000', { kind: 'CopyInResponse', format: 0, columnFormats: [0, 0] }],
  ['48 00000009 01 0001 0001', { kind: 'CopyOutResponse', format: 1, columnFormats: [1] }],
  ['57 00000007 00 0000', { kind: 'CopyBothResponse', format: 0, columnFormats: [] }],
  ['64 00000005 78', { kind: 'CopyData', data: Buffer.from('x') }],
  ['63 00000004', { kind: 'CopyDone' }],
  ['41 0000000c 00000001 6300 7000', { kind: 'NotificationResponse', processId: 1, channel: 'c', payload: 'p' }],
  ['56 00000009 00000001 31', { kind: 'FunctionCallResponse', result: Buffer.from('1') }],
  ['56 00000008 ffffffff', { kind: 'FunctionCallResponse', result: null }],
];

describe('backend golden bytes', () => {
  for (const [bytes, message] of GOLDEN) {
    it(`decodes and encodes ${message.kind} ${bytes.slice(0, 24)}`, () => {
      expect(decodeStream(hex(bytes))).toEqual([message]);
      expect(encodeBackendMessage(message).toString('hex')).toBe(hex(bytes).toString('hex'));
    });
  }

  it('writes the single-byte encryption answers', () => {
    expect(encodeSSLResponse(true).toString()).toBe('S');
    expect(encodeSSLResponse(false).toString()).toBe('N');
    expect(encodeGSSENCResponse(true).toString()).toBe('G');
    expect(encodeGSSENCResponse(false).toString()).toBe('N');
  });

  it('decodes every error field by name and skips unknown field codes', () => {
    const fields = {
      severity: 'ERROR',
      severityNonLocalized: 'ERROR',
      code: '23505',
      message: 'duplicate key',
      detail: 'Key (id)=(1) already exists.',
      hint: 'h',
      position: '12',
      internalPosition: '3',
      internalQuery: 'q',
      where: 'w',
      schema: 'public',
      table: 't',
      column: 'id',
      dataType: 'int4',
      constraint: 't_pkey',
      file: 'nbtinsert.c',
      line: '666',
      routine: '_bt_check_unique',
    } as const;
    const encoded = encodeBackendMessage({ kind: 'ErrorResponse', ...fields });
    expect(encoded.toString('latin1')).toContain('SERROR\0VERROR\0C23505\0Mduplicate key\0');
    expect(decodeStream(encoded)).toEqual([{ kind: 'ErrorResponse', ...fields }]);
    // A field code from a future server version ('Z') is ignored, as the protocol requires.
    const withUnknown = typed('E', '53 4552524f5200 5a 7800 43 343235303100 4d 6e6f00 00');
    expect(decodeStream(withUnknown)).toEqual([{ kind: 'ErrorResponse', severity: 'ERROR', code: '42501', message: 'no' }]);
  });

  it('gives DataRow values as slices of the frame (no copy)', () => {
    const bytes = hex('44 0000000f 0002 00000001 31 ffffffff');
    const [row] = new BackendDecoder().push(bytes).map(decodeBackendMessage);
    expect(row?.kind === 'DataRow' && row.values[0]?.buffer).toBe(bytes.buffer);
  });
});

describe('backend encoder output parsed by pg-protocol (what the pg driver reads)', () => {
  function pgParse(bytes: Buffer): PgBackendMessage[] {
    const out: PgBackendMessage[] = [];
    new Parser().parse(bytes, (message) => out.push(message));
    return out;
  }

  it('agrees on authentication, status and key messages', () => {
    const bytes = Buffer.concat(
      (
        [
          { kind: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
          { kind: 'AuthenticationSASLContinue', data: Buffer.from('r=abc,s=c2FsdA==,i=4096') },
          { kind: 'AuthenticationMD5Password', salt: hex('0a0b0c0d') },
          { kind: 'AuthenticationOk' },
          { kind: 'ParameterStatus', name: 'server_version', value: '18.0' },
          { kind: 'BackendKeyData', processId: 321, secretKey: hex('00000457') },
          { kind: 'ReadyForQuery', status: 'T' },
        ] satisfies BackendMessage[]
      ).map(encodeBackendMessage),
    );
    expect(pgParse(bytes)).toMatchObject([
      { name: 'authenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
      { name: 'authenticationSASLContinue', data: 'r=abc,s=c2FsdA==,i=4096' },
      { name: 'authenticationMD5Password', salt: hex('0a0b0c0d') },
      { name: 'authenticationOk' },
      { name: 'parameterStatus', parameterName: 'server_version', parameterValue: '18.0' },
      { name: 'backendKeyData', processID: 321, secretKey: 0x457 },
      { name: 'readyForQuery', status: 'T' },
    ]);
  });

  it('agrees on result messages and errors', () => {
    const bytes = Buffer.concat(
      (
        [
          {
            kind: 'RowDescription',
            columns: [
              { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
              { name: 'blob', tableOid: 4_000_000_000, columnAttr: -1, typeOid: 17, typeSize: -1, typeModifier: -1, format: 1 },
            ],
          },
          { kind: 'DataRow', values: [Buffer.from('7'), null] },
          { kind: 'CommandComplete', tag: 'SELECT 1' },
          { kind: 'ParameterDescription', parameterTypes: [23, 3_000_000_000] },
          { kind: 'CopyInResponse', format: 1, columnFormats: [1, 1] },
          { kind: 'NotificationResponse', processId: 9, channel: 'ch', payload: 'pl' },
          { kind: 'ErrorResponse', severity: 'ERROR', code: '42501', message: 'denied', detail: 'rule r1', hint: 'ask', position: '5' },
          { kind: 'NoticeResponse', severity: 'NOTICE', code: '00000', message: 'held' },
        ] satisfies BackendMessage[]
      ).map(encodeBackendMessage),
    );
    expect(pgParse(bytes)).toMatchObject([
      {
        name: 'rowDescription',
        fields: [
          { name: 'id', tableID: 16384, columnID: 1, dataTypeID: 23, dataTypeSize: 4, dataTypeModifier: -1, format: 'text' },
          { name: 'blob', tableID: 4_000_000_000, columnID: -1, dataTypeID: 17, dataTypeSize: -1, format: 'binary' },
        ],
      },
      { name: 'dataRow', fields: ['7', null] },
      { name: 'commandComplete', text: 'SELECT 1' },
      { name: 'parameterDescription', dataTypeIDs: [23, 3_000_000_000] },
      { name: 'copyInResponse', binary: true, columnTypes: [1, 1] },
      { name: 'notification', processId: 9, channel: 'ch', payload: 'pl' },
      { name: 'error', severity: 'ERROR', code: '42501', message: 'denied', detail: 'rule r1', hint: 'ask', position: '5' },
      { name: 'notice', severity: 'NOTICE', code: '00000', message: 'held' },
    ]);
  });
});

describe('BackendDecoder framing', () => {
  it('frames messages cut anywhere and keeps partial data across pushes', () => {
    const bytes = Buffer.concat(GOLDEN.map(([h]) => hex(h)));
    const decoder = new BackendDecoder();
    const frames: BackendFrame[] = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...decoder.push(bytes.subarray(i, i + 3)));
    expect(frames.map(decodeBackendMessage)).toEqual(GOLDEN.map(([, m]) => m));
    expect(decoder.bufferedLength).toBe(0);
  });

  it('hands out a message inside one chunk as a slice and copies only one that spans chunks', () => {
    const a = encodeBackendMessage({ kind: 'CommandComplete', tag: 'SELECT 1' });
    const b = encodeBackendMessage({ kind: 'ReadyForQuery', status: 'I' });
    const chunk = Buffer.concat([a, b.subarray(0, 2)]);
    const decoder = new BackendDecoder();
    const [first] = decoder.push(chunk);
    expect(first?.raw.buffer).toBe(chunk.buffer);
    const [second] = decoder.push(b.subarray(2));
    expect(second?.raw.equals(b)).toBe(true);
  });
});

describe('backend adversarial input', () => {
  it('refuses a 2 GB length from the header alone, buffering nothing', () => {
    const decoder = expectFramingCode(hex('44 7fffffff'), 'message_too_large');
    expect(decoder.bufferedLength).toBe(0);
    expectFramingCode(hex('44 ffffffff'), 'message_too_large');
  });

  it('honours a configured maximum', () => {
    const row = encodeBackendMessage({ kind: 'DataRow', values: [Buffer.alloc(100)] });
    expect(() => new BackendDecoder({ maxMessageLength: row.length - 2 }).push(row)).toThrow(
      expect.objectContaining({ code: 'message_too_large' }),
    );
    expect(new BackendDecoder({ maxMessageLength: row.length - 1 }).push(row)).toHaveLength(1);
  });

  it('refuses lengths 0 to 3 and unknown or frontend-only type bytes', () => {
    for (const length of ['00000000', '00000001', '00000002', '00000003']) expectFramingCode(hex(`5a ${length}`), 'invalid_length');
    expectFramingCode(hex('51'), 'unknown_message_type'); // 'Q' is frontend-only
    expectFramingCode(hex('78'), 'unknown_message_type');
    expectDecodeCode(hex('78 00000004'), 'unknown_message_type');
  });

  it('stays failed after an error', () => {
    const decoder = expectFramingCode(hex('00'), 'unknown_message_type');
    expect(() => decoder.push(encodeBackendMessage({ kind: 'NoData' }))).toThrow(expect.objectContaining({ code: 'unknown_message_type' }));
    expect(decoder.error?.code).toBe('unknown_message_type');
  });

  it('refuses malformed bodies', () => {
    const cases: [string, string][] = [
      ['R', '00000063'], // unknown authentication request 99
      ['R', '00000005 010203'], // MD5 salt of 3 bytes
      ['R', '00000000 00'], // AuthenticationOk with trailing bytes
      ['R', '0000000a 5800'], // SASL list without the final empty name
      ['R', '0000000a 58'], // SASL mechanism without NUL
      ['R', '0000'], // short code
      ['Z', '58'], // status 'X'
      ['Z', ''], // no status
      ['Z', '4949'], // trailing byte
      ['E', '53 4500 43 3400 00'], // no message field
      ['E', '53 4500 43 3400 4d 6d00'], // no terminating zero
      ['E', '53 45'], // field without NUL
      ['N', '00 00'], // bytes after the terminator
      ['T', 'ffff'], // 65535 columns announced, none present
      ['T', '0001 6100 00000000'], // column cut short
      ['D', '0002 00000001 31'], // 2 values announced, 1 present
      ['D', '0001 fffffffe'], // length -2
      ['D', '0001 00000009 31'], // length overruns
      ['D', '0001 00000001 31 32'], // trailing byte
      ['K', '00000001 010203'], // 3-byte key
      ['K', `00000001 ${'00'.repeat(257)}`], // 257-byte key
      ['v', '00030002 ffffffff'], // negative option count
      ['v', '00030002 7fffffff'], // 2^31-1 options announced, none present
      ['C', '5300 00'], // trailing bytes
      ['t', '0002 00000017'], // 2 types announced, 1 present
      ['G', '00 0002 0000'], // 2 formats announced, 1 present
      ['A', '00000001 6300'], // payload missing
      ['V', 'fffffffe'], // negative result length
      ['1', '00'], // ParseComplete with a body
      ['S', '6100'], // ParameterStatus without value
    ];
    for (const [type, body] of cases) {
      expectDecodeCode(typed(type, body), 'malformed_message');
    }
  });
});
