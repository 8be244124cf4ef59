import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { DecodeError, type DecodeErrorCode } from '../decode-error.js';
import { FrontendDecoder, type FrontendDecoderOptions } from './frontend-decoder.js';
import { encodeFrontendMessage } from './frontend-encoder.js';
import type { DecodedFrontendMessage, FrontendMessage } from './frontend-messages.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** A typed message with a correct length field around a hex body. */
function typed(type: string, body: string): Buffer {
  const bytes = hex(body);
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(bytes.length + 4, 1);
  return Buffer.concat([header, bytes]);
}

/** A startup packet with a correct length field around a hex body (code included). */
function packet(body: string): Buffer {
  const bytes = hex(body);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length + 4, 0);
  return Buffer.concat([header, bytes]);
}

/** Decodes in one chunk and drops `raw`, after checking it is exactly the input. */
function decodeAll(bytes: Buffer, options: FrontendDecoderOptions = {}): unknown[] {
  const messages = new FrontendDecoder(options).push(bytes);
  expect(Buffer.concat(messages.map((m) => m.raw)).equals(bytes)).toBe(true);
  return messages.map(withoutRaw);
}

function withoutRaw(message: DecodedFrontendMessage): unknown {
  const { raw: _raw, ...rest } = message;
  return rest;
}

function decodeError(bytes: Buffer, options: FrontendDecoderOptions = {}): DecodeError {
  const decoder = new FrontendDecoder(options);
  try {
    decoder.push(bytes);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error('expected a DecodeError');
}

function expectCode(bytes: Buffer, code: DecodeErrorCode, options: FrontendDecoderOptions = {}): void {
  expect(decodeError(bytes, options).code).toBe(code);
}

const messagesPhase = { phase: 'messages' } as const;

describe('FrontendDecoder golden bytes: startup phase', () => {
  const cases: [string, string, unknown][] = [
    ['SSLRequest', '00000008 04d2162f', { kind: 'SSLRequest' }],
    ['GSSENCRequest', '00000008 04d21630', { kind: 'GSSENCRequest' }],
    ['CancelRequest 3.0', '00000010 04d2162e 00003039 0a0b0c0d', { kind: 'CancelRequest', processId: 12345, secretKey: hex('0a0b0c0d') }],
    [
      'StartupMessage 3.0',
      '00000020 00030000 7573657200 616c69636500 646174616261736500 646200 00',
      {
        kind: 'StartupMessage',
        protocolVersion: { major: 3, minor: 0 },
        parameters: new Map([
          ['user', 'alice'],
          ['database', 'db'],
        ]),
      },
    ],
    [
      'StartupMessage 3.2',
      '00000014 00030002 7573657200 616c69636500 00',
      { kind: 'StartupMessage', protocolVersion: { major: 3, minor: 2 }, parameters: new Map([['user', 'alice']]) },
    ],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`decodes ${name}`, () => {
      expect(decodeAll(hex(bytes))).toEqual([expected]);
    });
  }

  it('decodes a 3.2 CancelRequest with a 32-byte key', () => {
    const key = Buffer.alloc(32, 0xab);
    const bytes = Buffer.concat([hex('0000002c 04d2162e 00000007'), key]);
    expect(decodeAll(bytes)).toEqual([{ kind: 'CancelRequest', processId: 7, secretKey: key }]);
  });

  it('keeps startup parameters in the client order, including _pq_ extensions and any 3.x minor', () => {
    const message: FrontendMessage = {
      kind: 'StartupMessage',
      protocolVersion: { major: 3, minor: 9999 },
      parameters: new Map([
        ['database', 'd'],
        ['user', 'u'],
        ['_pq_.grease', 'x'],
        ['options', '-c search_path=s'],
        ['application_name', 'app'],
      ]),
    };
    const [decoded] = new FrontendDecoder().push(encodeFrontendMessage(message));
    expect(decoded?.kind === 'StartupMessage' && [...decoded.parameters.keys()]).toEqual([
      'database',
      'user',
      '_pq_.grease',
      'options',
      'application_name',
    ]);
    expect(decoded?.kind === 'StartupMessage' && decoded.protocolVersion).toEqual({ major: 3, minor: 9999 });
  });
});

describe('FrontendDecoder golden bytes: message phase', () => {
  const cases: [string, string, unknown][] = [
    ['Query', '51 0000000d 53454c454354203100', { kind: 'Query', sql: 'SELECT 1' }],
    [
      'Parse',
      '50 00000017 733100 53454c454354202431 00 0001 00000017',
      { kind: 'Parse', name: 's1', sql: 'SELECT $1', parameterTypes: [23] },
    ],
    [
      'Bind',
      '42 0000001a 00 733100 0001 0001 0002 00000002 6162 ffffffff 0000',
      { kind: 'Bind', portal: '', statement: 's1', parameterFormats: [1], parameters: [hex('6162'), null], resultFormats: [] },
    ],
    ['Describe', '44 00000008 53 733100', { kind: 'Describe', target: 'S', name: 's1' }],
    ['Execute', '45 00000009 00 00000000', { kind: 'Execute', portal: '', maxRows: 0 }],
    ['Sync', '53 00000004', { kind: 'Sync' }],
    ['Flush', '48 00000004', { kind: 'Flush' }],
    ['Close', '43 00000007 50 7000', { kind: 'Close', target: 'P', name: 'p' }],
    ['CopyData', '64 00000007 68690a', { kind: 'CopyData', data: Buffer.from('hi\n') }],
    ['CopyDone', '63 00000004', { kind: 'CopyDone' }],
    ['CopyFail', '66 00000008 62616400', { kind: 'CopyFail', message: 'bad' }],
    ['Terminate', '58 00000004', { kind: 'Terminate' }],
    [
      'FunctionCall',
      '46 00000015 0000063e 0001 0000 0001 00000001 37 0000',
      { kind: 'FunctionCall', functionOid: 1598, argumentFormats: [0], arguments: [Buffer.from('7')], resultFormat: 0 },
    ],
    ['AuthenticationResponse', '70 00000007 707700', { kind: 'AuthenticationResponse', body: hex('707700') }],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`decodes ${name}`, () => {
      expect(decodeAll(hex(bytes), messagesPhase)).toEqual([expected]);
    });
    it(`encodes ${name} to the same bytes`, () => {
      expect(encodeFrontendMessage(expected as FrontendMessage).toString('hex')).toBe(hex(bytes).toString('hex'));
    });
  }

  it('gives Bind values as slices of the message (no copy)', () => {
    const bytes = hex('42 0000001a 00 733100 0001 0001 0002 00000002 6162 ffffffff 0000');
    const [bind] = new FrontendDecoder(messagesPhase).push(bytes);
    expect(bind?.kind).toBe('Bind');
    if (bind?.kind !== 'Bind') return;
    expect(bind.parameters[0]?.buffer).toBe(bytes.buffer);
  });
});

describe('FrontendDecoder matches what pg-protocol serializes (the pg driver)', () => {
  const cases: [string, Buffer, unknown][] = [
    ['query', serialize.query('SELECT now()'), { kind: 'Query', sql: 'SELECT now()' }],
    [
      'parse',
      serialize.parse({ name: 'n', text: 'SELECT $1', types: [25] }),
      { kind: 'Parse', name: 'n', sql: 'SELECT $1', parameterTypes: [25] },
    ],
    [
      'bind',
      serialize.bind({ portal: 'p', statement: 'n', values: ['x', null, Buffer.from([1, 2])], binary: true }),
      {
        kind: 'Bind',
        portal: 'p',
        statement: 'n',
        parameterFormats: [0, 0, 1],
        parameters: [Buffer.from('x'), null, Buffer.from([1, 2])],
        resultFormats: [1],
      },
    ],
    ['describe', serialize.describe({ type: 'P', name: 'p' }), { kind: 'Describe', target: 'P', name: 'p' }],
    ['execute', serialize.execute({ portal: 'p', rows: 100 }), { kind: 'Execute', portal: 'p', maxRows: 100 }],
    ['close', serialize.close({ type: 'S', name: 'n' }), { kind: 'Close', target: 'S', name: 'n' }],
    ['sync', serialize.sync(), { kind: 'Sync' }],
    ['flush', serialize.flush(), { kind: 'Flush' }],
    ['end', serialize.end(), { kind: 'Terminate' }],
    ['copyData', serialize.copyData(Buffer.from('1\t2\n')), { kind: 'CopyData', data: Buffer.from('1\t2\n') }],
    ['copyDone', serialize.copyDone(), { kind: 'CopyDone' }],
    ['copyFail', serialize.copyFail('nope'), { kind: 'CopyFail', message: 'nope' }],
    ['password', serialize.password('secret'), { kind: 'AuthenticationResponse', body: Buffer.from('secret\0') }],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`decodes serialize.${name}() and re-encodes it byte for byte`, () => {
      expect(decodeAll(bytes, messagesPhase)).toEqual([expected]);
      expect(encodeFrontendMessage(expected as FrontendMessage).equals(bytes)).toBe(true);
    });
  }

  it('decodes serialize.startup(), requestSsl() and cancel()', () => {
    expect(decodeAll(serialize.requestSsl())).toEqual([{ kind: 'SSLRequest' }]);
    expect(decodeAll(serialize.cancel(99, 0x01020304))).toEqual([{ kind: 'CancelRequest', processId: 99, secretKey: hex('01020304') }]);
    expect(decodeAll(serialize.startup({ user: 'u', database: 'd' }))).toEqual([
      {
        kind: 'StartupMessage',
        protocolVersion: { major: 3, minor: 0 },
        parameters: new Map([
          ['user', 'u'],
          ['database', 'd'],
          ['client_encoding', 'UTF8'],
        ]),
      },
    ]);
  });
});

describe('FrontendDecoder phases', () => {
  it('moves to the message phase after StartupMessage and decodes pipelined messages in the same chunk', () => {
    const decoder = new FrontendDecoder();
    expect(decoder.phase).toBe('startup');
    const bytes = Buffer.concat([
      encodeFrontendMessage({ kind: 'StartupMessage', protocolVersion: { major: 3, minor: 0 }, parameters: new Map([['user', 'u']]) }),
      encodeFrontendMessage({ kind: 'Query', sql: 'SELECT 1' }),
    ]);
    expect(decoder.push(bytes).map((m) => m.kind)).toEqual(['StartupMessage', 'Query']);
    expect(decoder.phase).toBe('messages');
  });

  it("stays in the startup phase after SSLRequest answered 'N', then accepts the StartupMessage", () => {
    const decoder = new FrontendDecoder();
    expect(decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' })).map((m) => m.kind)).toEqual(['SSLRequest']);
    expect(decoder.phase).toBe('startup');
    const startup = encodeFrontendMessage({
      kind: 'StartupMessage',
      protocolVersion: { major: 3, minor: 2 },
      parameters: new Map([['user', 'u']]),
    });
    expect(decoder.push(startup).map((m) => m.kind)).toEqual(['StartupMessage']);
  });

  it('accepts GSSENCRequest then SSLRequest (libpq tries GSS first)', () => {
    const decoder = new FrontendDecoder();
    expect(decoder.push(encodeFrontendMessage({ kind: 'GSSENCRequest' }))[0]?.kind).toBe('GSSENCRequest');
    expect(decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' }))[0]?.kind).toBe('SSLRequest');
  });

  it('lets the caller switch phases explicitly', () => {
    const decoder = new FrontendDecoder({ phase: 'messages' });
    expect(decoder.push(encodeFrontendMessage({ kind: 'Sync' }))[0]?.kind).toBe('Sync');
    decoder.setPhase('startup');
    expect(decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' }))[0]?.kind).toBe('SSLRequest');
    expect(decoder.phase).toBe('startup');
  });

  it('reports a first byte of 0x16 as DirectTLS with every buffered byte, then refuses more bytes', () => {
    const decoder = new FrontendDecoder();
    expect(decoder.push(hex('16'))).toEqual([{ kind: 'DirectTLS', raw: hex('16') }]);
    expect(() => decoder.push(hex('0303'))).toThrow(expect.objectContaining({ code: 'unexpected_data' }));
    const whole = new FrontendDecoder().push(hex('16 0301 0005 0100000100'));
    expect(whole).toEqual([{ kind: 'DirectTLS', raw: hex('16 0301 0005 0100000100') }]);
  });

  it('does not treat 0x16 as direct TLS when detection is off or after the first packet', () => {
    expectCode(hex('16 03 01 00'), 'startup_packet_too_large', { detectDirectTls: false });
    const decoder = new FrontendDecoder();
    decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' }));
    expect(() => decoder.push(hex('16030100'))).toThrow(expect.objectContaining({ code: 'startup_packet_too_large' }));
  });

  it('decodes nothing until a packet is complete, across tiny chunks', () => {
    const decoder = new FrontendDecoder();
    const bytes = encodeFrontendMessage({
      kind: 'StartupMessage',
      protocolVersion: { major: 3, minor: 0 },
      parameters: new Map([['user', 'u']]),
    });
    for (let i = 0; i < bytes.length - 1; i++) expect(decoder.push(bytes.subarray(i, i + 1))).toEqual([]);
    expect(decoder.bufferedLength).toBe(bytes.length - 1);
    expect(decoder.push(bytes.subarray(-1)).map((m) => m.kind)).toEqual(['StartupMessage']);
    expect(decoder.bufferedLength).toBe(0);
  });
});

describe('FrontendDecoder refuses adversarial input', () => {
  it('refuses a 2 GB message length from the 5-byte header alone, buffering nothing', () => {
    const decoder = new FrontendDecoder(messagesPhase);
    expect(() => decoder.push(hex('51 7fffffff'))).toThrow(expect.objectContaining({ code: 'message_too_large' }));
    expect(decoder.bufferedLength).toBe(0);
    expectCode(hex('51 80000000'), 'message_too_large', messagesPhase);
    expectCode(hex('51 ffffffff'), 'message_too_large', messagesPhase);
  });

  it('refuses a message one byte over a configured maximum and accepts one at it', () => {
    const at = encodeFrontendMessage({ kind: 'Query', sql: 'x'.repeat(95) }); // length field 4 + 96 = 100
    expect(decodeAll(at, { ...messagesPhase, maxMessageLength: 100 })).toHaveLength(1);
    expectCode(at, 'message_too_large', { ...messagesPhase, maxMessageLength: 99 });
  });

  it('refuses message lengths 0 to 3', () => {
    for (const length of ['00000000', '00000001', '00000002', '00000003']) expectCode(hex(`53 ${length}`), 'invalid_length', messagesPhase);
  });

  it('refuses an unknown type byte as soon as it arrives', () => {
    const decoder = new FrontendDecoder(messagesPhase);
    expect(() => decoder.push(hex('5a'))).toThrow(expect.objectContaining({ code: 'unknown_message_type', messageType: 'Z' }));
    expectCode(hex('00'), 'unknown_message_type', messagesPhase);
  });

  it('refuses a startup packet claiming 1 GB, and lengths below 8', () => {
    const decoder = new FrontendDecoder();
    expect(() => decoder.push(hex('40000000'))).toThrow(expect.objectContaining({ code: 'startup_packet_too_large' }));
    expect(decoder.bufferedLength).toBe(0);
    expectCode(hex('00002711 00030000'), 'startup_packet_too_large'); // 10001 > 10000
    for (const length of ['00000000', '00000004', '00000007']) expectCode(hex(length), 'invalid_length');
  });

  it('refuses garbage before the startup packet (an HTTP request on the PostgreSQL port)', () => {
    expectCode(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'startup_packet_too_large');
    expectCode(hex('00000009 00020000 00'), 'unsupported_protocol_version');
    expectCode(hex('00000009 00040000 00'), 'unsupported_protocol_version');
    expectCode(hex('00000008 04d21631'), 'unsupported_protocol_version'); // 1234.5681
  });

  it('refuses encryption and cancel requests of the wrong length, checked from the first 8 bytes', () => {
    expectCode(hex('0000000c 04d2162f'), 'invalid_length');
    expectCode(hex('0000000c 04d21630'), 'invalid_length');
    expectCode(hex('0000000f 04d2162e'), 'invalid_length'); // 3-byte key
    expectCode(hex('0000010d 04d2162e'), 'invalid_length'); // 257-byte key
  });

  it('refuses bytes sent behind SSLRequest/GSSENCRequest before the answer (CVE-2021-23214)', () => {
    const injected = Buffer.concat([encodeFrontendMessage({ kind: 'SSLRequest' }), hex('00')]);
    expectCode(injected, 'data_after_encryption_request');
    expectCode(Buffer.concat([encodeFrontendMessage({ kind: 'GSSENCRequest' }), hex('00')]), 'data_after_encryption_request');
  });

  it('refuses a second SSLRequest on one connection', () => {
    const decoder = new FrontendDecoder();
    decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' }));
    expect(() => decoder.push(encodeFrontendMessage({ kind: 'SSLRequest' }))).toThrow(
      expect.objectContaining({ code: 'repeated_encryption_request' }),
    );
  });

  it('refuses bytes after a CancelRequest', () => {
    const cancel = encodeFrontendMessage({ kind: 'CancelRequest', processId: 1, secretKey: Buffer.alloc(4) });
    expectCode(Buffer.concat([cancel, hex('00')]), 'unexpected_data');
    const decoder = new FrontendDecoder();
    decoder.push(cancel);
    expect(() => decoder.push(hex('00'))).toThrow(expect.objectContaining({ code: 'unexpected_data' }));
  });

  it('refuses malformed StartupMessages', () => {
    expectCode(packet('00030000 7573657200 00'), 'malformed_message'); // "user" then terminator: value missing
    expectCode(packet('00030000 7573657200'), 'malformed_message'); // parameter without value, no terminator
    expectCode(packet('00030000 75736572'), 'malformed_message'); // no NUL at all
    expectCode(packet('00030000 00 00'), 'malformed_message'); // bytes after the terminator
    expectCode(packet('00030000'), 'malformed_message'); // no terminator
    expectCode(packet('00030000 7500 6100'), 'malformed_message'); // no terminator after the last pair
  });

  it('refuses a repeated startup parameter (the proxy and the server could read different ones)', () => {
    expectCode(packet('00030000 7500 6100 7500 6200 00'), 'duplicate_startup_parameter');
  });

  it('refuses invalid UTF-8 in text fields instead of decoding it lossily', () => {
    expectCode(typed('Q', 'c328 00'), 'invalid_utf8', messagesPhase);
    expectCode(typed('Q', 'ff 00'), 'invalid_utf8', messagesPhase);
    expectCode(packet('00030000 7500 eda080 00 00'), 'invalid_utf8'); // an encoded surrogate
  });

  it('refuses strings without NUL terminator', () => {
    expectCode(typed('Q', '53454c45'), 'malformed_message', messagesPhase);
    expectCode(typed('P', '7300 5345'), 'malformed_message', messagesPhase);
    expectCode(typed('f', '6e6f'), 'malformed_message', messagesPhase);
    expectCode(typed('B', '00 7300'), 'malformed_message', messagesPhase);
  });

  it('refuses counts that overrun the body (0xFFFF is 65535, as PostgreSQL reads it, not -1)', () => {
    expectCode(typed('P', '00 7800 ffff 00000017'), 'malformed_message', messagesPhase); // Parse claims 65535 types
    expectCode(typed('B', '00 00 0000 0003 00000001 61 0000'), 'malformed_message', messagesPhase); // 3 params, 1 present
    expectCode(typed('B', '00 00 0000 ffff 00000001 61 0000'), 'malformed_message', messagesPhase); // "-1" params
    expectCode(typed('B', '00 00 0000 0001 00000005 6162'), 'malformed_message', messagesPhase); // value length overruns
    expectCode(typed('B', '00 00 0002 0000'), 'malformed_message', messagesPhase); // format count overruns
    expectCode(typed('B', '00 00 0000 0000 0003 0000'), 'malformed_message', messagesPhase); // result format count overruns
    expectCode(typed('F', '00000001 0000 0002 00000000 0000'), 'malformed_message', messagesPhase); // 2 args, 1 present
  });

  it('refuses negative value lengths other than -1', () => {
    expectCode(typed('B', '00 00 0000 0001 fffffffe 0000'), 'malformed_message', messagesPhase);
    expectCode(typed('B', '00 00 0000 0001 80000000 0000'), 'malformed_message', messagesPhase);
    expectCode(typed('F', '00000001 0000 0001 fffffffe 0000'), 'malformed_message', messagesPhase);
  });

  it('refuses a Bind whose format count is neither 0, 1 nor the parameter count', () => {
    expectCode(typed('B', '00 00 0002 0000 0000 0001 00000001 61 0000'), 'malformed_message', messagesPhase);
    expect(decodeAll(typed('B', '00 00 0001 0000 0002 00000001 61 00000001 62 0000'), messagesPhase)).toHaveLength(1);
  });

  it('refuses trailing bytes and bad enum bytes', () => {
    expectCode(typed('S', '00'), 'malformed_message', messagesPhase); // Sync with a body
    expectCode(typed('X', '00'), 'malformed_message', messagesPhase);
    expectCode(typed('c', '00'), 'malformed_message', messagesPhase);
    expectCode(typed('Q', '6100 6200'), 'malformed_message', messagesPhase); // two strings in Query
    expectCode(typed('B', '00 00 0000 0000 0000 00'), 'malformed_message', messagesPhase);
    expectCode(typed('D', '58 00'), 'malformed_message', messagesPhase); // Describe 'X'
    expectCode(typed('C', '53'), 'malformed_message', messagesPhase); // Close without a name
    expectCode(typed('E', '00 000000'), 'malformed_message', messagesPhase); // Execute with a short row count
  });

  it('stays failed after an error, rethrowing the same error and dropping its buffer', () => {
    const decoder = new FrontendDecoder(messagesPhase);
    let first: unknown;
    try {
      decoder.push(hex('53 00000004 5a'));
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(DecodeError);
    expect(decoder.error).toBe(first);
    expect(decoder.bufferedLength).toBe(0);
    let again: unknown;
    try {
      decoder.push(encodeFrontendMessage({ kind: 'Sync' }));
    } catch (error) {
      again = error;
    }
    expect(again).toBe(first);
  });

  it('never puts payload bytes into error messages', () => {
    const secret = 'hunter2-secret';
    const error = decodeError(Buffer.concat([hex('51 0000000a'), Buffer.from(secret)]), messagesPhase);
    expect(error.message).not.toContain('hunter2');
  });
});
