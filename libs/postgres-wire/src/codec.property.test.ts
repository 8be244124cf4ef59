// Property tests for the whole codec:
// (a) any chunking of a valid stream decodes to the same messages as one chunk;
// (b) decode(encode(m)) is the identity for every message kind, both directions;
// (c) arbitrary or mutated bytes only ever raise DecodeError and never grow buffers past the limit.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendDecoder } from './backend/backend-decoder.js';
import { encodeBackendMessage } from './backend/backend-encoder.js';
import type { BackendMessage, NoticeFields } from './backend/backend-messages.js';
import { decodeBackendMessage } from './backend/backend-parsers.js';
import { DecodeError } from './decode-error.js';
import { FrontendDecoder, type FrontendPhase } from './frontend/frontend-decoder.js';
import { encodeFrontendMessage } from './frontend/frontend-encoder.js';
import type { DecodedFrontendMessage, FrontendMessage, StartupMessage } from './frontend/frontend-messages.js';
import { readPasswordMessage, readSASLInitialResponse } from './frontend/password-message.js';
import { BackendMessageCode, FrontendMessageCode } from './protocol-codes.js';

// ---- generators -------------------------------------------------------------------------------

/** Text without NUL (a C string cannot hold one; the encoders refuse it). */
const text = (maxLength = 16): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength }).map((s) => s.replaceAll('\0', ''));
const nonEmptyText = text().filter((s) => s !== '');
const bytes = (maxLength = 24): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const nullableBytes = fc.option(bytes(), { nil: null });
const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const target = fc.constantFrom('S' as const, 'P' as const);
const cancelKey = fc.integer({ min: 4, max: 256 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a)));

/** Values plus a format list of the shapes PostgreSQL accepts: none, one for all, one per value. */
const valuesWithFormats = fc.array(nullableBytes, { maxLength: 6 }).chain((values) =>
  fc.record({
    values: fc.constant(values),
    formats: fc.oneof(
      fc.constant([] as number[]),
      fc.tuple(int16).map((t) => [...t]),
      fc.array(int16, { minLength: values.length, maxLength: values.length }),
    ),
  }),
);

const startupMessage: fc.Arbitrary<StartupMessage> = fc.record({
  kind: fc.constant('StartupMessage' as const),
  protocolVersion: fc.record({ major: fc.constant(3), minor: fc.oneof(fc.constantFrom(0, 2), fc.integer({ min: 0, max: 0xffff })) }),
  parameters: fc.uniqueArray(fc.tuple(nonEmptyText, text()), { selector: ([name]) => name, maxLength: 6 }).map((pairs) => new Map(pairs)),
});

const startupPacket: fc.Arbitrary<FrontendMessage> = fc.oneof(
  fc.constant({ kind: 'SSLRequest' as const }),
  fc.constant({ kind: 'GSSENCRequest' as const }),
  fc.record({ kind: fc.constant('CancelRequest' as const), processId: int32, secretKey: cancelKey }),
  startupMessage,
);

const typedFrontendMessage: fc.Arbitrary<FrontendMessage> = fc.oneof(
  fc.record({ kind: fc.constant('Query' as const), sql: text(60) }),
  fc.record({ kind: fc.constant('Parse' as const), name: text(), sql: text(60), parameterTypes: fc.array(uint32, { maxLength: 5 }) }),
  fc
    .record({
      kind: fc.constant('Bind' as const),
      portal: text(),
      statement: text(),
      args: valuesWithFormats,
      resultFormats: fc.array(int16, { maxLength: 4 }),
    })
    .map(({ args, ...rest }) => ({ ...rest, parameterFormats: args.formats, parameters: args.values })),
  fc.record({ kind: fc.constant('Describe' as const), target, name: text() }),
  fc.record({ kind: fc.constant('Close' as const), target, name: text() }),
  fc.record({ kind: fc.constant('Execute' as const), portal: text(), maxRows: int32 }),
  fc.constantFrom({ kind: 'Sync' as const }, { kind: 'Flush' as const }, { kind: 'CopyDone' as const }, { kind: 'Terminate' as const }),
  fc.record({ kind: fc.constant('CopyData' as const), data: bytes(64) }),
  fc.record({ kind: fc.constant('CopyFail' as const), message: text() }),
  fc.record({ kind: fc.constant('AuthenticationResponse' as const), body: bytes() }),
  fc
    .record({ kind: fc.constant('FunctionCall' as const), functionOid: uint32, args: valuesWithFormats, resultFormat: int16 })
    .map(({ args, ...rest }) => ({
      ...rest,
      argumentFormats: args.formats,
      arguments: args.values,
    })),
);

const noticeFields: fc.Arbitrary<NoticeFields> = fc.record(
  {
    severity: text(),
    severityNonLocalized: text(),
    code: text(5),
    message: text(40),
    detail: text(),
    hint: text(),
    position: text(),
    internalPosition: text(),
    internalQuery: text(),
    where: text(),
    schema: text(),
    table: text(),
    column: text(),
    dataType: text(),
    constraint: text(),
    file: text(),
    line: text(),
    routine: text(),
  },
  { requiredKeys: ['severity', 'code', 'message'] },
);

const backendMessage: fc.Arbitrary<BackendMessage> = fc.oneof(
  fc.constantFrom(
    ...(
      [
        'AuthenticationOk',
        'AuthenticationKerberosV5',
        'AuthenticationCleartextPassword',
        'AuthenticationGSS',
        'AuthenticationSSPI',
        'EmptyQueryResponse',
        'ParseComplete',
        'BindComplete',
        'CloseComplete',
        'NoData',
        'PortalSuspended',
        'CopyDone',
      ] as const
    ).map((kind) => ({ kind })),
  ),
  fc.record({
    kind: fc.constant('AuthenticationMD5Password' as const),
    salt: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    kind: fc.constantFrom('AuthenticationGSSContinue' as const, 'AuthenticationSASLContinue' as const, 'AuthenticationSASLFinal' as const),
    data: bytes(),
  }),
  fc.record({ kind: fc.constant('AuthenticationSASL' as const), mechanisms: fc.array(nonEmptyText, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('ParameterStatus' as const), name: text(), value: text() }),
  fc.record({ kind: fc.constant('BackendKeyData' as const), processId: int32, secretKey: cancelKey }),
  fc.record({
    kind: fc.constant('NegotiateProtocolVersion' as const),
    newestVersion: fc.record({ major: fc.integer({ min: 0, max: 0xffff }), minor: fc.integer({ min: 0, max: 0xffff }) }),
    unrecognizedOptions: fc.array(text(), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('ReadyForQuery' as const), status: fc.constantFrom('I' as const, 'T' as const, 'E' as const) }),
  fc
    .tuple(fc.constantFrom('ErrorResponse' as const, 'NoticeResponse' as const), noticeFields)
    .map(([kind, fields]) => ({ kind, ...fields })),
  fc.record({
    kind: fc.constant('RowDescription' as const),
    columns: fc.array(
      fc.record({
        name: text(),
        tableOid: uint32,
        columnAttr: int16,
        typeOid: uint32,
        typeSize: int16,
        typeModifier: int32,
        format: int16,
      }),
      { maxLength: 4 },
    ),
  }),
  fc.record({ kind: fc.constant('DataRow' as const), values: fc.array(nullableBytes, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('CommandComplete' as const), tag: text() }),
  fc.record({ kind: fc.constant('ParameterDescription' as const), parameterTypes: fc.array(uint32, { maxLength: 5 }) }),
  fc.record({
    kind: fc.constantFrom('CopyInResponse' as const, 'CopyOutResponse' as const, 'CopyBothResponse' as const),
    format: fc.integer({ min: 0, max: 255 }),
    columnFormats: fc.array(int16, { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('CopyData' as const), data: bytes(64) }),
  fc.record({ kind: fc.constant('NotificationResponse' as const), processId: int32, channel: text(), payload: text() }),
  fc.record({ kind: fc.constant('FunctionCallResponse' as const), result: nullableBytes }),
);

/** A session as a client sends it: StartupMessage, then typed messages. */
const clientSession = fc.tuple(startupMessage, fc.array(typedFrontendMessage, { maxLength: 12 }));
const chunkSizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

// ---- helpers ----------------------------------------------------------------------------------

function split(stream: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    out.push(stream.subarray(at, at + size));
    at += size;
  }
  return out;
}

function withoutRaw(message: DecodedFrontendMessage): unknown {
  const { raw: _raw, ...rest } = message;
  return normalize(rest);
}

/** Maps become entry arrays so that parameter order is compared too. */
function normalize(value: object): unknown {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v instanceof Map ? [...(v as Map<string, string>)] : (v as unknown)]),
  );
}

function decodeFrontendChunks(chunks: readonly Buffer[], phase: FrontendPhase = 'startup'): DecodedFrontendMessage[] {
  const decoder = new FrontendDecoder({ phase });
  const out = chunks.flatMap((chunk) => decoder.push(chunk));
  expect(decoder.bufferedLength).toBe(0);
  return out;
}

function encodeSession([startup, messages]: [StartupMessage, FrontendMessage[]]): Buffer {
  return Buffer.concat([encodeFrontendMessage(startup), ...messages.map(encodeFrontendMessage)]);
}

/** Runs `push` and checks the only thing it may throw is a DecodeError. Returns false once failed. */
function pushChecked(push: () => unknown): boolean {
  try {
    push();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return false;
  }
}

/** A valid stream with some bytes overwritten: reaches deep into body parsing, unlike pure noise. */
const mutated = (stream: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> =>
  stream.chain((s) =>
    fc
      .array(fc.tuple(fc.nat({ max: Math.max(0, s.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const copy = Buffer.from(s);
        for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
        return copy;
      }),
  );

// ---- (a) chunking -----------------------------------------------------------------------------

describe('(a) any chunking gives the same messages as one chunk', () => {
  it('frontend: a startup packet followed by typed messages', () => {
    fc.assert(
      fc.property(clientSession, chunkSizes, (session, sizes) => {
        const stream = encodeSession(session);
        const whole = decodeFrontendChunks([stream]);
        const chunked = decodeFrontendChunks(split(stream, sizes));
        expect(chunked.map(withoutRaw)).toEqual(whole.map(withoutRaw));
        expect(Buffer.concat(chunked.map((m) => m.raw)).equals(stream)).toBe(true);
        expect(whole.map(withoutRaw)).toEqual([session[0], ...session[1]].map(normalize));
      }),
      { numRuns: 300 },
    );
  });

  it('frontend: split in two at every byte boundary', () => {
    fc.assert(
      fc.property(clientSession, (session) => {
        const stream = encodeSession(session);
        const expected = decodeFrontendChunks([stream]).map(withoutRaw);
        for (let at = 0; at <= stream.length; at++) {
          expect(decodeFrontendChunks([stream.subarray(0, at), stream.subarray(at)]).map(withoutRaw)).toEqual(expected);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('backend: any stream of server messages', () => {
    fc.assert(
      fc.property(fc.array(backendMessage, { maxLength: 12 }), chunkSizes, (messages, sizes) => {
        const stream = Buffer.concat(messages.map(encodeBackendMessage));
        const decoder = new BackendDecoder();
        const frames = split(stream, sizes).flatMap((chunk) => decoder.push(chunk));
        expect(decoder.bufferedLength).toBe(0);
        expect(Buffer.concat(frames.map((f) => f.raw)).equals(stream)).toBe(true);
        expect(frames.map(decodeBackendMessage)).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });

  it('backend: split in two at every byte boundary', () => {
    fc.assert(
      fc.property(fc.array(backendMessage, { minLength: 1, maxLength: 6 }), (messages) => {
        const stream = Buffer.concat(messages.map(encodeBackendMessage));
        for (let at = 0; at <= stream.length; at++) {
          const decoder = new BackendDecoder();
          const frames = [...decoder.push(stream.subarray(0, at)), ...decoder.push(stream.subarray(at))];
          expect(frames.map(decodeBackendMessage)).toEqual(messages);
        }
      }),
      { numRuns: 25 },
    );
  });
});

// ---- (b) identity -----------------------------------------------------------------------------

describe('(b) decode(encode(m)) is the identity', () => {
  it('for every startup packet kind', () => {
    fc.assert(
      fc.property(startupPacket, (message) => {
        const encoded = encodeFrontendMessage(message);
        const [decoded, ...rest] = new FrontendDecoder().push(encoded);
        expect(rest).toEqual([]);
        expect(decoded && withoutRaw(decoded)).toEqual(normalize(message));
        expect(decoded?.raw.equals(encoded)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('for every typed frontend message kind', () => {
    fc.assert(
      fc.property(typedFrontendMessage, (message) => {
        const encoded = encodeFrontendMessage(message);
        const [decoded] = new FrontendDecoder({ phase: 'messages' }).push(encoded);
        expect(decoded && withoutRaw(decoded)).toEqual(message);
        expect(decoded && encodeFrontendMessage(decoded as FrontendMessage).equals(encoded)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('for every backend message kind', () => {
    fc.assert(
      fc.property(backendMessage, (message) => {
        const encoded = encodeBackendMessage(message);
        const frames = new BackendDecoder().push(encoded);
        expect(frames).toHaveLength(1);
        const decoded = decodeBackendMessage(frames[0]!);
        expect(decoded).toEqual(message);
        expect(encodeBackendMessage(decoded).equals(encoded)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ---- (c) hostile bytes ------------------------------------------------------------------------

const MAX_MESSAGE = 64;
const MAX_STARTUP = 48;
const noise = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

describe('(c) hostile bytes raise only DecodeError and never outgrow the limits', () => {
  const frontendInputs = fc.oneof(noise, mutated(clientSession.map(encodeSession)));

  it('frontend decoder, both phases, any chunking', () => {
    fc.assert(
      fc.property(frontendInputs, chunkSizes, fc.constantFrom<FrontendPhase>('startup', 'messages'), (stream, sizes, phase) => {
        const decoder = new FrontendDecoder({ phase, maxMessageLength: MAX_MESSAGE, maxStartupPacketLength: MAX_STARTUP });
        for (const chunk of split(stream, sizes)) {
          if (!pushChecked(() => decoder.push(chunk))) {
            expect(decoder.bufferedLength).toBe(0);
            expect(() => decoder.push(Buffer.alloc(1))).toThrow(DecodeError);
            return;
          }
          // A partial message never holds more than one maximum-size message.
          expect(decoder.bufferedLength).toBeLessThanOrEqual(Math.max(MAX_MESSAGE + 1, MAX_STARTUP));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('backend decoder and body parsers, any chunking', () => {
    const backendStream = fc.array(backendMessage, { maxLength: 8 }).map((ms) => Buffer.concat(ms.map(encodeBackendMessage)));
    fc.assert(
      fc.property(fc.oneof(noise, mutated(backendStream)), chunkSizes, (stream, sizes) => {
        const decoder = new BackendDecoder({ maxMessageLength: MAX_MESSAGE });
        for (const chunk of split(stream, sizes)) {
          let frames: ReturnType<BackendDecoder['push']> = [];
          if (!pushChecked(() => (frames = decoder.push(chunk)))) return;
          for (const frame of frames) pushChecked(() => decodeBackendMessage(frame));
          expect(decoder.bufferedLength).toBeLessThanOrEqual(MAX_MESSAGE + 1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('every body parser on arbitrary bodies, for every type byte', () => {
    const frontendTypes = Object.values(FrontendMessageCode);
    const backendTypes = Object.values(BackendMessageCode);
    fc.assert(
      fc.property(fc.constantFrom(...frontendTypes), fc.constantFrom(...backendTypes), bytes(40), (frontendType, backendType, body) => {
        const frame = (type: number): Buffer => {
          const header = Buffer.alloc(5);
          header[0] = type;
          header.writeUInt32BE(body.length + 4, 1);
          return Buffer.concat([header, body]);
        };
        pushChecked(() => new FrontendDecoder({ phase: 'messages' }).push(frame(frontendType)));
        pushChecked(() => decodeBackendMessage({ type: backendType, raw: frame(backendType) }));
        pushChecked(() => readPasswordMessage({ kind: 'AuthenticationResponse', body }));
        pushChecked(() => readSASLInitialResponse({ kind: 'AuthenticationResponse', body }));
      }),
      { numRuns: 2000 },
    );
  });
});
