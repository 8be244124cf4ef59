// Serializes frontend messages: what the proxy sends to the real server, and what tests feed the decoder.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

import { MessageWriter } from '../internal/message-writer.js';
import { protocolVersionCode } from '../internal/protocol-version.js';
import { FrontendMessageCode, MAX_CANCEL_KEY_LENGTH, MIN_CANCEL_KEY_LENGTH, StartupCode } from '../protocol-codes.js';
import type { FrontendMessage, PortalOrStatement, StartupMessage } from './frontend-messages.js';

/** Encodes any frontend message; `decode(encodeFrontendMessage(m))` yields `m` again. */
export function encodeFrontendMessage(message: FrontendMessage): Buffer {
  switch (message.kind) {
    case 'SSLRequest':
      return new MessageWriter(undefined, 8).uint32(StartupCode.SSLRequest, 'code').finish();
    case 'GSSENCRequest':
      return new MessageWriter(undefined, 8).uint32(StartupCode.GSSENCRequest, 'code').finish();
    case 'CancelRequest': {
      const keyLength = message.secretKey.length;
      if (keyLength < MIN_CANCEL_KEY_LENGTH || keyLength > MAX_CANCEL_KEY_LENGTH) {
        throw new RangeError(`secretKey must be ${MIN_CANCEL_KEY_LENGTH}..${MAX_CANCEL_KEY_LENGTH} bytes`);
      }
      return new MessageWriter(undefined, 12 + keyLength)
        .uint32(StartupCode.CancelRequest, 'code')
        .int32(message.processId, 'processId')
        .bytes(message.secretKey)
        .finish();
    }
    case 'StartupMessage':
      return encodeStartupMessage(message);
    case 'AuthenticationResponse':
      return new MessageWriter(FrontendMessageCode.AuthenticationResponse, 5 + message.body.length).bytes(message.body).finish();
    case 'Query':
      return new MessageWriter(FrontendMessageCode.Query, 6 + message.sql.length * 3).cstring(message.sql, 'sql').finish();
    case 'Parse': {
      const w = new MessageWriter(FrontendMessageCode.Parse, 16 + message.sql.length * 3 + message.parameterTypes.length * 4)
        .cstring(message.name, 'name')
        .cstring(message.sql, 'sql')
        .count16(message.parameterTypes.length, 'parameter type count');
      for (const oid of message.parameterTypes) w.uint32(oid, 'parameter type');
      return w.finish();
    }
    case 'Bind': {
      const w = new MessageWriter(FrontendMessageCode.Bind, 64 + valuesSize(message.parameters))
        .cstring(message.portal, 'portal')
        .cstring(message.statement, 'statement');
      writeFormats(w, message.parameterFormats, 'parameter format');
      w.count16(message.parameters.length, 'parameter count');
      for (const value of message.parameters) w.nullableBytes(value);
      writeFormats(w, message.resultFormats, 'result format');
      return w.finish();
    }
    case 'Describe':
      return encodeTargeted(FrontendMessageCode.Describe, message.target, message.name);
    case 'Close':
      return encodeTargeted(FrontendMessageCode.Close, message.target, message.name);
    case 'Execute':
      return new MessageWriter(FrontendMessageCode.Execute).cstring(message.portal, 'portal').int32(message.maxRows, 'maxRows').finish();
    case 'Sync':
      return new MessageWriter(FrontendMessageCode.Sync, 5).finish();
    case 'Flush':
      return new MessageWriter(FrontendMessageCode.Flush, 5).finish();
    case 'Terminate':
      return new MessageWriter(FrontendMessageCode.Terminate, 5).finish();
    case 'CopyDone':
      return new MessageWriter(FrontendMessageCode.CopyDone, 5).finish();
    case 'CopyData':
      return new MessageWriter(FrontendMessageCode.CopyData, 5 + message.data.length).bytes(message.data).finish();
    case 'CopyFail':
      return new MessageWriter(FrontendMessageCode.CopyFail).cstring(message.message, 'message').finish();
    case 'FunctionCall': {
      const w = new MessageWriter(FrontendMessageCode.FunctionCall, 32 + valuesSize(message.arguments)).uint32(
        message.functionOid,
        'functionOid',
      );
      writeFormats(w, message.argumentFormats, 'argument format');
      w.count16(message.arguments.length, 'argument count');
      for (const value of message.arguments) w.nullableBytes(value);
      return w.int16(message.resultFormat, 'resultFormat').finish();
    }
  }
}

/**
 * Protocol version as {major, minor} (3.0 = 196608, 3.2 = 196610), then name/value C strings and
 * an empty name. An empty parameter name would end the list early, so it is refused.
 */
function encodeStartupMessage(message: StartupMessage): Buffer {
  const w = new MessageWriter(undefined, 128).uint32(protocolVersionCode(message.protocolVersion), 'protocol version');
  for (const [name, value] of message.parameters) {
    if (name === '') throw new TypeError('startup parameter names must not be empty');
    w.cstring(name, 'startup parameter name').cstring(value, 'startup parameter value');
  }
  return w.uint8(0, 'terminator').finish();
}

function encodeTargeted(code: number, target: PortalOrStatement, name: string): Buffer {
  return new MessageWriter(code)
    .uint8(target === 'S' ? 0x53 : 0x50, 'target')
    .cstring(name, 'name')
    .finish();
}

function writeFormats(w: MessageWriter, formats: readonly number[], field: string): void {
  w.count16(formats.length, `${field} count`);
  for (const format of formats) w.int16(format, field);
}

function valuesSize(values: readonly (Uint8Array | null)[]): number {
  let size = 0;
  for (const value of values) size += 4 + (value?.length ?? 0);
  return size;
}
