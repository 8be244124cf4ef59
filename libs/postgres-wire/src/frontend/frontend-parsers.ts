import { DecodeError, describeTypeByte } from '../decode-error.js';
import { BodyReader } from '../internal/body-reader.js';
import { protocolVersionFromCode } from '../internal/protocol-version.js';
import {
  FrontendMessageCode,
  MAX_CANCEL_KEY_LENGTH,
  MESSAGE_HEADER_LENGTH,
  MIN_CANCEL_KEY_LENGTH,
  StartupCode,
} from '../protocol-codes.js';
import type { FrontendMessage, PortalOrStatement, StartupPacket } from './frontend-messages.js';

type WithRaw<T> = T & { readonly raw: Buffer };

/** Length (including itself) of SSLRequest and GSSENCRequest. */
const ENCRYPTION_REQUEST_LENGTH = 8;
/** Length + request code + process id, before the variable-length cancel key. */
const CANCEL_REQUEST_FIXED_LENGTH = 12;
/** Length + protocol version: the smallest startup packet. */
export const MIN_STARTUP_PACKET_LENGTH = 8;
const REQUEST_CODE_MAJOR = 1234;
const SUPPORTED_MAJOR = 3;

/** Names of the frontend type bytes, by byte; undefined for bytes a client never sends. */
const FRONTEND_NAMES: readonly (string | undefined)[] = (() => {
  const names: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(FrontendMessageCode)) names[code] = name;
  return names;
})();

export function frontendMessageName(type: number): string | undefined {
  return FRONTEND_NAMES[type];
}

/**
 * Checks a startup packet's length and request code as soon as its first 8 bytes are in, before
 * waiting for the rest: a wrong length for the request kind, or an unsupported protocol, fails fast.
 */
export function checkStartupHeader(length: number, code: number): void {
  switch (code) {
    case StartupCode.SSLRequest:
    case StartupCode.GSSENCRequest:
      if (length !== ENCRYPTION_REQUEST_LENGTH) throw new DecodeError('invalid_length', 'encryption request must be exactly 8 bytes');
      return;
    case StartupCode.CancelRequest: {
      const keyLength = length - CANCEL_REQUEST_FIXED_LENGTH;
      if (keyLength < MIN_CANCEL_KEY_LENGTH || keyLength > MAX_CANCEL_KEY_LENGTH) {
        throw new DecodeError('invalid_length', `CancelRequest key must be ${MIN_CANCEL_KEY_LENGTH}..${MAX_CANCEL_KEY_LENGTH} bytes`);
      }
      return;
    }
    default: {
      const major = code >>> 16;
      if (major === REQUEST_CODE_MAJOR) throw new DecodeError('unsupported_protocol_version', 'unknown startup request code');
      if (major !== SUPPORTED_MAJOR) {
        throw new DecodeError('unsupported_protocol_version', `unsupported frontend protocol major version ${major}`);
      }
    }
  }
}

/** Decodes a whole startup packet (`raw` starts with its length). `checkStartupHeader` has passed. */
export function parseStartupPacket(raw: Buffer): WithRaw<StartupPacket> {
  const code = raw.readUInt32BE(4);
  switch (code) {
    case StartupCode.SSLRequest:
      return { kind: 'SSLRequest', raw };
    case StartupCode.GSSENCRequest:
      return { kind: 'GSSENCRequest', raw };
    case StartupCode.CancelRequest:
      return { kind: 'CancelRequest', processId: raw.readInt32BE(8), secretKey: raw.subarray(CANCEL_REQUEST_FIXED_LENGTH), raw };
    default:
      return parseStartupMessage(raw, code);
  }
}

/**
 * Name/value C strings ending with an empty name, which must be the packet's last byte
 * (PostgreSQL: "invalid startup packet layout: expected terminator as last byte").
 */
function parseStartupMessage(raw: Buffer, code: number): WithRaw<StartupPacket> {
  const reader = new BodyReader(raw, MIN_STARTUP_PACKET_LENGTH, 'StartupMessage', undefined, true);
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    if (reader.remaining === 0) throw reader.malformed('parameter without a value');
    const value = reader.cstring();
    if (parameters.has(name)) throw new DecodeError('duplicate_startup_parameter', 'StartupMessage repeats a parameter name');
    parameters.set(name, value);
  }
  reader.end();
  return { kind: 'StartupMessage', protocolVersion: protocolVersionFromCode(code), parameters, raw };
}

/** Decodes one typed message; `raw` is the whole message including its 5-byte header. */
export function parseFrontendMessage(type: number, raw: Buffer): WithRaw<FrontendMessage> {
  const name = FRONTEND_NAMES[type];
  if (name === undefined) {
    throw new DecodeError('unknown_message_type', `unknown frontend message type ${describeTypeByte(type)}`, describeTypeByte(type));
  }
  const r = new BodyReader(raw, MESSAGE_HEADER_LENGTH, name, type, true);
  switch (type) {
    case FrontendMessageCode.Query: {
      const sql = r.cstring();
      r.end();
      return { kind: 'Query', sql, raw };
    }
    case FrontendMessageCode.Parse: {
      const statement = r.cstring();
      const sql = r.cstring();
      const count = r.count16();
      const parameterTypes = new Array<number>(count);
      for (let i = 0; i < count; i++) parameterTypes[i] = r.uint32();
      r.end();
      return { kind: 'Parse', name: statement, sql, parameterTypes, raw };
    }
    case FrontendMessageCode.Bind: {
      const portal = r.cstring();
      const statement = r.cstring();
      const parameterFormats = readFormats(r);
      const count = r.count16();
      const parameters = new Array<Buffer | null>(count);
      for (let i = 0; i < count; i++) parameters[i] = r.nullableBytes();
      const resultFormats = readFormats(r);
      r.end();
      checkFormatCount(r, parameterFormats.length, count, 'parameter');
      return { kind: 'Bind', portal, statement, parameterFormats, parameters, resultFormats, raw };
    }
    case FrontendMessageCode.Describe:
    case FrontendMessageCode.Close: {
      const target = readTarget(r);
      const objectName = r.cstring();
      r.end();
      return { kind: type === FrontendMessageCode.Describe ? 'Describe' : 'Close', target, name: objectName, raw };
    }
    case FrontendMessageCode.Execute: {
      const portal = r.cstring();
      const maxRows = r.int32();
      r.end();
      return { kind: 'Execute', portal, maxRows, raw };
    }
    case FrontendMessageCode.Sync:
      r.end();
      return { kind: 'Sync', raw };
    case FrontendMessageCode.Flush:
      r.end();
      return { kind: 'Flush', raw };
    case FrontendMessageCode.Terminate:
      r.end();
      return { kind: 'Terminate', raw };
    case FrontendMessageCode.CopyDone:
      r.end();
      return { kind: 'CopyDone', raw };
    case FrontendMessageCode.CopyData:
      return { kind: 'CopyData', data: r.rest(), raw };
    case FrontendMessageCode.CopyFail: {
      const message = r.cstring();
      r.end();
      return { kind: 'CopyFail', message, raw };
    }
    case FrontendMessageCode.AuthenticationResponse:
      return { kind: 'AuthenticationResponse', body: r.rest(), raw };
    case FrontendMessageCode.FunctionCall: {
      const functionOid = r.uint32();
      const argumentFormats = readFormats(r);
      const count = r.count16();
      const args = new Array<Buffer | null>(count);
      for (let i = 0; i < count; i++) args[i] = r.nullableBytes();
      const resultFormat = r.int16();
      r.end();
      checkFormatCount(r, argumentFormats.length, count, 'argument');
      return { kind: 'FunctionCall', functionOid, argumentFormats, arguments: args, resultFormat, raw };
    }
    default:
      throw new DecodeError('unknown_message_type', `unknown frontend message type ${describeTypeByte(type)}`, describeTypeByte(type));
  }
}

function readFormats(r: BodyReader): number[] {
  const count = r.count16();
  const formats = new Array<number>(count);
  for (let i = 0; i < count; i++) formats[i] = r.int16();
  return formats;
}

/** PostgreSQL: "bind message has %d parameter formats but %d parameters". */
function checkFormatCount(r: BodyReader, formats: number, values: number, what: string): void {
  if (formats > 1 && formats !== values) throw r.malformed(`${formats} ${what} formats for ${values} ${what}s`);
}

function readTarget(r: BodyReader): PortalOrStatement {
  const byte = r.uint8();
  if (byte === 0x53) return 'S';
  if (byte === 0x50) return 'P';
  throw r.malformed("target must be 'S' or 'P'");
}
