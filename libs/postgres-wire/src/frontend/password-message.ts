// The 'p' message carries whatever the current authentication exchange expects; the server knows
// which from the Authentication request it sent. These read and build each shape.
// https://www.postgresql.org/docs/current/protocol-message-formats.html (PasswordMessage,
// SASLInitialResponse, SASLResponse)

import { BodyReader } from '../internal/body-reader.js';
import { MessageWriter } from '../internal/message-writer.js';
import { FrontendMessageCode } from '../protocol-codes.js';
import type { AuthenticationResponseMessage } from './frontend-messages.js';

export interface SASLInitialResponse {
  /** The mechanism the client chose from AuthenticationSASL, e.g. `SCRAM-SHA-256`. */
  readonly mechanism: string;
  /** The mechanism's initial response (SCRAM client-first-message); null if the client sent none. */
  readonly data: Buffer | null;
}

const P = FrontendMessageCode.AuthenticationResponse;

/** Reads a PasswordMessage body: one C string and nothing after it (PostgreSQL: "invalid password packet size"). */
export function readPasswordMessage(message: AuthenticationResponseMessage): string {
  const r = new BodyReader(message.body, 0, 'PasswordMessage', P, true);
  const password = r.cstring();
  r.end();
  return password;
}

/** Reads a SASLInitialResponse body: mechanism name, Int32 length (-1 = none), data filling the rest exactly. */
export function readSASLInitialResponse(message: AuthenticationResponseMessage): SASLInitialResponse {
  const r = new BodyReader(message.body, 0, 'SASLInitialResponse', P, true);
  const mechanism = r.cstring();
  const data = r.nullableBytes();
  r.end();
  return { mechanism, data };
}

/** Reads a SASLResponse body: the mechanism data is the whole body. */
export function readSASLResponse(message: AuthenticationResponseMessage): Buffer {
  return message.body;
}

export function encodePasswordMessage(password: string): Buffer {
  return new MessageWriter(FrontendMessageCode.AuthenticationResponse).cstring(password, 'password').finish();
}

export function encodeSASLInitialResponse(mechanism: string, data: Uint8Array | null): Buffer {
  return new MessageWriter(FrontendMessageCode.AuthenticationResponse, 32 + (data?.length ?? 0))
    .cstring(mechanism, 'mechanism')
    .nullableBytes(data)
    .finish();
}

export function encodeSASLResponse(data: Uint8Array): Buffer {
  return new MessageWriter(FrontendMessageCode.AuthenticationResponse, 5 + data.length).bytes(data).finish();
}
