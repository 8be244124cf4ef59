// Serializes backend messages: what the proxy itself sends to its client.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

import { MessageWriter } from '../internal/message-writer.js';
import { protocolVersionCode } from '../internal/protocol-version.js';
import {
  AuthenticationCode,
  BackendMessageCode,
  EncryptionResponseByte,
  MAX_CANCEL_KEY_LENGTH,
  MIN_CANCEL_KEY_LENGTH,
} from '../protocol-codes.js';
import type { BackendMessage, NoticeFields } from './backend-messages.js';
import { NOTICE_FIELD_CODES } from './notice-fields.js';

/** Encodes any backend message; `decodeBackendMessage(frame(encodeBackendMessage(m)))` yields `m` again. */
export function encodeBackendMessage(message: BackendMessage): Buffer {
  switch (message.kind) {
    case 'AuthenticationOk':
      return authentication(AuthenticationCode.Ok).finish();
    case 'AuthenticationKerberosV5':
      return authentication(AuthenticationCode.KerberosV5).finish();
    case 'AuthenticationCleartextPassword':
      return authentication(AuthenticationCode.CleartextPassword).finish();
    case 'AuthenticationMD5Password':
      if (message.salt.length !== 4) throw new RangeError('MD5 salt must be 4 bytes');
      return authentication(AuthenticationCode.MD5Password).bytes(message.salt).finish();
    case 'AuthenticationGSS':
      return authentication(AuthenticationCode.GSS).finish();
    case 'AuthenticationGSSContinue':
      return authentication(AuthenticationCode.GSSContinue, message.data.length).bytes(message.data).finish();
    case 'AuthenticationSSPI':
      return authentication(AuthenticationCode.SSPI).finish();
    case 'AuthenticationSASL': {
      const w = authentication(AuthenticationCode.SASL);
      for (const mechanism of message.mechanisms) {
        // An empty name would end the list early.
        if (mechanism === '') throw new TypeError('SASL mechanism names must not be empty');
        w.cstring(mechanism, 'mechanism');
      }
      return w.uint8(0, 'terminator').finish();
    }
    case 'AuthenticationSASLContinue':
      return authentication(AuthenticationCode.SASLContinue, message.data.length).bytes(message.data).finish();
    case 'AuthenticationSASLFinal':
      return authentication(AuthenticationCode.SASLFinal, message.data.length).bytes(message.data).finish();
    case 'ParameterStatus':
      return new MessageWriter(BackendMessageCode.ParameterStatus).cstring(message.name, 'name').cstring(message.value, 'value').finish();
    case 'BackendKeyData': {
      const keyLength = message.secretKey.length;
      if (keyLength < MIN_CANCEL_KEY_LENGTH || keyLength > MAX_CANCEL_KEY_LENGTH) {
        throw new RangeError(`secretKey must be ${MIN_CANCEL_KEY_LENGTH}..${MAX_CANCEL_KEY_LENGTH} bytes`);
      }
      return new MessageWriter(BackendMessageCode.BackendKeyData, 9 + keyLength)
        .int32(message.processId, 'processId')
        .bytes(message.secretKey)
        .finish();
    }
    case 'NegotiateProtocolVersion': {
      const w = new MessageWriter(BackendMessageCode.NegotiateProtocolVersion)
        .uint32(protocolVersionCode(message.newestVersion), 'newestVersion')
        .int32(message.unrecognizedOptions.length, 'option count');
      for (const option of message.unrecognizedOptions) w.cstring(option, 'option');
      return w.finish();
    }
    case 'ReadyForQuery':
      return new MessageWriter(BackendMessageCode.ReadyForQuery, 6).uint8(message.status.charCodeAt(0), 'status').finish();
    case 'ErrorResponse':
      return encodeNotice(BackendMessageCode.ErrorResponse, message);
    case 'NoticeResponse':
      return encodeNotice(BackendMessageCode.NoticeResponse, message);
    case 'RowDescription': {
      const w = new MessageWriter(BackendMessageCode.RowDescription, 7 + message.columns.length * 40).count16(
        message.columns.length,
        'column count',
      );
      for (const c of message.columns) {
        w.cstring(c.name, 'column name')
          .uint32(c.tableOid, 'tableOid')
          .int16(c.columnAttr, 'columnAttr')
          .uint32(c.typeOid, 'typeOid')
          .int16(c.typeSize, 'typeSize')
          .int32(c.typeModifier, 'typeModifier')
          .int16(c.format, 'format');
      }
      return w.finish();
    }
    case 'DataRow': {
      let size = 7;
      for (const value of message.values) size += 4 + (value?.length ?? 0);
      const w = new MessageWriter(BackendMessageCode.DataRow, size).count16(message.values.length, 'column count');
      for (const value of message.values) w.nullableBytes(value);
      return w.finish();
    }
    case 'CommandComplete':
      return new MessageWriter(BackendMessageCode.CommandComplete).cstring(message.tag, 'tag').finish();
    case 'EmptyQueryResponse':
      return new MessageWriter(BackendMessageCode.EmptyQueryResponse, 5).finish();
    case 'ParseComplete':
      return new MessageWriter(BackendMessageCode.ParseComplete, 5).finish();
    case 'BindComplete':
      return new MessageWriter(BackendMessageCode.BindComplete, 5).finish();
    case 'CloseComplete':
      return new MessageWriter(BackendMessageCode.CloseComplete, 5).finish();
    case 'NoData':
      return new MessageWriter(BackendMessageCode.NoData, 5).finish();
    case 'PortalSuspended':
      return new MessageWriter(BackendMessageCode.PortalSuspended, 5).finish();
    case 'ParameterDescription': {
      const w = new MessageWriter(BackendMessageCode.ParameterDescription, 7 + message.parameterTypes.length * 4).count16(
        message.parameterTypes.length,
        'parameter count',
      );
      for (const oid of message.parameterTypes) w.uint32(oid, 'parameter type');
      return w.finish();
    }
    case 'CopyInResponse':
    case 'CopyOutResponse':
    case 'CopyBothResponse': {
      const code =
        message.kind === 'CopyInResponse'
          ? BackendMessageCode.CopyInResponse
          : message.kind === 'CopyOutResponse'
            ? BackendMessageCode.CopyOutResponse
            : BackendMessageCode.CopyBothResponse;
      const w = new MessageWriter(code).uint8(message.format, 'format').count16(message.columnFormats.length, 'column count');
      for (const format of message.columnFormats) w.int16(format, 'column format');
      return w.finish();
    }
    case 'CopyData':
      return new MessageWriter(BackendMessageCode.CopyData, 5 + message.data.length).bytes(message.data).finish();
    case 'CopyDone':
      return new MessageWriter(BackendMessageCode.CopyDone, 5).finish();
    case 'NotificationResponse':
      return new MessageWriter(BackendMessageCode.NotificationResponse)
        .int32(message.processId, 'processId')
        .cstring(message.channel, 'channel')
        .cstring(message.payload, 'payload')
        .finish();
    case 'FunctionCallResponse':
      return new MessageWriter(BackendMessageCode.FunctionCallResponse, 9 + (message.result?.length ?? 0))
        .nullableBytes(message.result)
        .finish();
  }
}

/** The single byte answering SSLRequest: 'S' (go ahead with TLS) or 'N'. */
export function encodeSSLResponse(accepted: boolean): Buffer {
  return Buffer.of(accepted ? EncryptionResponseByte.SSLAccepted : EncryptionResponseByte.Rejected);
}

/** The single byte answering GSSENCRequest: 'G' (go ahead with GSSAPI encryption) or 'N'. */
export function encodeGSSENCResponse(accepted: boolean): Buffer {
  return Buffer.of(accepted ? EncryptionResponseByte.GSSAccepted : EncryptionResponseByte.Rejected);
}

function authentication(code: number, extra = 0): MessageWriter {
  return new MessageWriter(BackendMessageCode.Authentication, 9 + extra).int32(code, 'authentication code');
}

function encodeNotice(code: number, fields: NoticeFields): Buffer {
  const w = new MessageWriter(code, 128);
  for (const [letter, name] of NOTICE_FIELD_CODES) {
    const value = fields[name];
    if (value !== undefined) w.uint8(letter.charCodeAt(0), 'field code').cstring(value, name);
  }
  return w.uint8(0, 'terminator').finish();
}
