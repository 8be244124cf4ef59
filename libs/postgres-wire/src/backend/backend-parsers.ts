import { DecodeError, describeTypeByte } from '../decode-error.js';
import { BodyReader } from '../internal/body-reader.js';
import { protocolVersionFromCode } from '../internal/protocol-version.js';
import {
  AuthenticationCode,
  BackendMessageCode,
  MAX_CANCEL_KEY_LENGTH,
  MESSAGE_HEADER_LENGTH,
  MIN_CANCEL_KEY_LENGTH,
} from '../protocol-codes.js';
import type {
  AuthenticationMessage,
  BackendFrame,
  BackendMessage,
  ColumnDescription,
  CopyResponseMessage,
  NoticeFieldName,
  NoticeFields,
  TransactionStatus,
} from './backend-messages.js';
import { NOTICE_FIELD_NAME_BY_BYTE } from './notice-fields.js';

/** Names of the backend type bytes, by byte; undefined for bytes a server never sends. */
const BACKEND_NAMES: readonly (string | undefined)[] = (() => {
  const names = new Array<string | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(BackendMessageCode)) names[code] = name;
  return names;
})();

export function backendMessageName(type: number): string | undefined {
  return BACKEND_NAMES[type];
}

/**
 * Decodes a framed backend message into its typed form. The framer only splits the stream;
 * call this for the messages the proxy needs to look into.
 *
 * Text from the server is decoded as UTF-8 without rejecting invalid sequences: before
 * client_encoding applies (e.g. startup errors) a server may send text in its own encoding.
 */
export function decodeBackendMessage(frame: BackendFrame): BackendMessage {
  const { type, raw } = frame;
  const name = BACKEND_NAMES[type];
  if (name === undefined) {
    const shown = describeTypeByte(type);
    throw new DecodeError('unknown_message_type', `unknown backend message type ${shown}`, shown);
  }
  const r = new BodyReader(raw, MESSAGE_HEADER_LENGTH, name, type, false);
  switch (type) {
    case BackendMessageCode.Authentication:
      return readAuthentication(r);
    case BackendMessageCode.ParameterStatus: {
      const parameter = r.cstring();
      const value = r.cstring();
      r.end();
      return { kind: 'ParameterStatus', name: parameter, value };
    }
    case BackendMessageCode.BackendKeyData: {
      const processId = r.int32();
      const secretKey = r.rest();
      if (secretKey.length < MIN_CANCEL_KEY_LENGTH || secretKey.length > MAX_CANCEL_KEY_LENGTH) {
        throw r.malformed(`secret key must be ${MIN_CANCEL_KEY_LENGTH}..${MAX_CANCEL_KEY_LENGTH} bytes`);
      }
      return { kind: 'BackendKeyData', processId, secretKey };
    }
    case BackendMessageCode.NegotiateProtocolVersion: {
      const version = r.uint32();
      const count = r.int32();
      if (count < 0) throw r.malformed('negative option count');
      // No preallocation: the count is an Int32 from the peer; each string read is bounds-checked.
      const unrecognizedOptions: string[] = [];
      for (let i = 0; i < count; i++) unrecognizedOptions.push(r.cstring());
      r.end();
      return {
        kind: 'NegotiateProtocolVersion',
        newestVersion: protocolVersionFromCode(version),
        unrecognizedOptions,
      };
    }
    case BackendMessageCode.ReadyForQuery: {
      const status = readTransactionStatus(r);
      r.end();
      return { kind: 'ReadyForQuery', status };
    }
    case BackendMessageCode.ErrorResponse:
      return { kind: 'ErrorResponse', ...readNoticeFields(r) };
    case BackendMessageCode.NoticeResponse:
      return { kind: 'NoticeResponse', ...readNoticeFields(r) };
    case BackendMessageCode.RowDescription: {
      const count = r.count16();
      const columns = new Array<ColumnDescription>(count);
      for (let i = 0; i < count; i++) {
        columns[i] = {
          name: r.cstring(),
          tableOid: r.uint32(),
          columnAttr: r.int16(),
          typeOid: r.uint32(),
          typeSize: r.int16(),
          typeModifier: r.int32(),
          format: r.int16(),
        };
      }
      r.end();
      return { kind: 'RowDescription', columns };
    }
    case BackendMessageCode.DataRow: {
      const count = r.count16();
      const values = new Array<Buffer | null>(count);
      for (let i = 0; i < count; i++) values[i] = r.nullableBytes();
      r.end();
      return { kind: 'DataRow', values };
    }
    case BackendMessageCode.CommandComplete: {
      const tag = r.cstring();
      r.end();
      return { kind: 'CommandComplete', tag };
    }
    case BackendMessageCode.ParameterDescription: {
      const count = r.count16();
      const parameterTypes = new Array<number>(count);
      for (let i = 0; i < count; i++) parameterTypes[i] = r.uint32();
      r.end();
      return { kind: 'ParameterDescription', parameterTypes };
    }
    case BackendMessageCode.CopyInResponse:
      return readCopyResponse(r, 'CopyInResponse');
    case BackendMessageCode.CopyOutResponse:
      return readCopyResponse(r, 'CopyOutResponse');
    case BackendMessageCode.CopyBothResponse:
      return readCopyResponse(r, 'CopyBothResponse');
    case BackendMessageCode.CopyData:
      return { kind: 'CopyData', data: r.rest() };
    case BackendMessageCode.NotificationResponse: {
      const processId = r.int32();
      const channel = r.cstring();
      const payload = r.cstring();
      r.end();
      return { kind: 'NotificationResponse', processId, channel, payload };
    }
    case BackendMessageCode.FunctionCallResponse: {
      const result = r.nullableBytes();
      r.end();
      return { kind: 'FunctionCallResponse', result };
    }
    case BackendMessageCode.CopyDone:
      r.end();
      return { kind: 'CopyDone' };
    case BackendMessageCode.EmptyQueryResponse:
      r.end();
      return { kind: 'EmptyQueryResponse' };
    case BackendMessageCode.ParseComplete:
      r.end();
      return { kind: 'ParseComplete' };
    case BackendMessageCode.BindComplete:
      r.end();
      return { kind: 'BindComplete' };
    case BackendMessageCode.CloseComplete:
      r.end();
      return { kind: 'CloseComplete' };
    case BackendMessageCode.NoData:
      r.end();
      return { kind: 'NoData' };
    case BackendMessageCode.PortalSuspended:
      r.end();
      return { kind: 'PortalSuspended' };
    default: {
      const shown = describeTypeByte(type);
      throw new DecodeError('unknown_message_type', `unknown backend message type ${shown}`, shown);
    }
  }
}

function readAuthentication(r: BodyReader): AuthenticationMessage {
  const code = r.int32();
  switch (code) {
    case AuthenticationCode.Ok:
      r.end();
      return { kind: 'AuthenticationOk' };
    case AuthenticationCode.KerberosV5:
      r.end();
      return { kind: 'AuthenticationKerberosV5' };
    case AuthenticationCode.CleartextPassword:
      r.end();
      return { kind: 'AuthenticationCleartextPassword' };
    case AuthenticationCode.MD5Password: {
      const salt = r.bytes(4);
      r.end();
      return { kind: 'AuthenticationMD5Password', salt };
    }
    case AuthenticationCode.GSS:
      r.end();
      return { kind: 'AuthenticationGSS' };
    case AuthenticationCode.GSSContinue:
      return { kind: 'AuthenticationGSSContinue', data: r.rest() };
    case AuthenticationCode.SSPI:
      r.end();
      return { kind: 'AuthenticationSSPI' };
    case AuthenticationCode.SASL: {
      // Mechanism names, each NUL-terminated, then an empty name as the last byte.
      const mechanisms: string[] = [];
      for (;;) {
        const mechanism = r.cstring();
        if (mechanism === '') break;
        mechanisms.push(mechanism);
      }
      r.end();
      return { kind: 'AuthenticationSASL', mechanisms };
    }
    case AuthenticationCode.SASLContinue:
      return { kind: 'AuthenticationSASLContinue', data: r.rest() };
    case AuthenticationCode.SASLFinal:
      return { kind: 'AuthenticationSASLFinal', data: r.rest() };
    default:
      throw r.malformed(`unknown authentication request ${code}`);
  }
}

function readTransactionStatus(r: BodyReader): TransactionStatus {
  const byte = r.uint8();
  switch (byte) {
    case 0x49:
      return 'I';
    case 0x54:
      return 'T';
    case 0x45:
      return 'E';
    default:
      throw r.malformed("transaction status must be 'I', 'T' or 'E'");
  }
}

/** (code byte, C string) pairs ending with a zero byte, which must be the last byte. */
function readNoticeFields(r: BodyReader): NoticeFields {
  const fields: Partial<Record<NoticeFieldName, string>> = {};
  for (;;) {
    const code = r.uint8();
    if (code === 0) break;
    const value = r.cstring();
    const name = NOTICE_FIELD_NAME_BY_BYTE[code];
    if (name !== undefined) fields[name] = value;
  }
  r.end();
  const { severity, code, message } = fields;
  if (severity === undefined || code === undefined || message === undefined) {
    throw r.malformed('severity, code and message fields are required');
  }
  return { ...fields, severity, code, message };
}

function readCopyResponse(r: BodyReader, kind: CopyResponseMessage['kind']): CopyResponseMessage {
  const format = r.uint8();
  const count = r.count16();
  const columnFormats = new Array<number>(count);
  for (let i = 0; i < count; i++) columnFormats[i] = r.int16();
  r.end();
  return { kind, format, columnFormats };
}
