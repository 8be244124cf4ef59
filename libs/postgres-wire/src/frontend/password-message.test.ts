import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.js';
import { FrontendDecoder } from './frontend-decoder.js';
import type { AuthenticationResponseMessage } from './frontend-messages.js';
import {
  encodePasswordMessage,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  readPasswordMessage,
  readSASLInitialResponse,
  readSASLResponse,
} from './password-message.js';

function decodeP(bytes: Buffer): AuthenticationResponseMessage {
  const [message] = new FrontendDecoder({ phase: 'messages' }).push(bytes);
  if (message?.kind !== 'AuthenticationResponse') throw new Error('expected a p message');
  return message;
}

const body = (hex: string): AuthenticationResponseMessage => ({
  kind: 'AuthenticationResponse',
  body: Buffer.from(hex.replace(/\s+/g, ''), 'hex'),
});

describe("reading the 'p' message", () => {
  it('reads a cleartext password, including what the pg driver sends', () => {
    expect(readPasswordMessage(decodeP(encodePasswordMessage('s3cret é')))).toBe('s3cret é');
    expect(readPasswordMessage(decodeP(serialize.password('from-pg')))).toBe('from-pg');
    expect(encodePasswordMessage('from-pg').equals(serialize.password('from-pg'))).toBe(true);
  });

  it('reads a SASLInitialResponse, with and without data', () => {
    const data = Buffer.from('n,,n=,r=abc');
    expect(readSASLInitialResponse(decodeP(encodeSASLInitialResponse('SCRAM-SHA-256', data)))).toEqual({
      mechanism: 'SCRAM-SHA-256',
      data,
    });
    expect(readSASLInitialResponse(decodeP(encodeSASLInitialResponse('SCRAM-SHA-256', null)))).toEqual({
      mechanism: 'SCRAM-SHA-256',
      data: null,
    });
    const fromPg = serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=xyz');
    expect(readSASLInitialResponse(decodeP(fromPg))).toEqual({ mechanism: 'SCRAM-SHA-256', data: Buffer.from('n,,n=*,r=xyz') });
  });

  it('reads a SASLResponse as the whole body', () => {
    const data = Buffer.from('c=biws,r=abc,p=xyz');
    expect(readSASLResponse(decodeP(encodeSASLResponse(data)))).toEqual(data);
    expect(encodeSASLResponse(data).equals(serialize.sendSCRAMClientFinalMessage('c=biws,r=abc,p=xyz'))).toBe(true);
  });

  it('refuses a password with bytes after its terminator, or without one', () => {
    expect(() => readPasswordMessage(body('6100 62'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
    expect(() => readPasswordMessage(body('6162'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
    expect(() => readPasswordMessage(body('ff00'))).toThrow(expect.objectContaining({ code: 'invalid_utf8' }));
  });

  it('refuses SASLInitialResponse data lengths that overrun, underrun or are negative', () => {
    expect(() => readSASLInitialResponse(body('5800 00000005 6162'))).toThrow(DecodeError);
    expect(() => readSASLInitialResponse(body('5800 00000001 6162'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
    expect(() => readSASLInitialResponse(body('5800 fffffffe'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
    expect(() => readSASLInitialResponse(body('5800'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
    expect(() => readSASLInitialResponse(body('58'))).toThrow(expect.objectContaining({ code: 'malformed_message' }));
  });

  it('refuses to encode a password containing NUL (it would truncate on the server)', () => {
    expect(() => encodePasswordMessage('a\0b')).toThrow(TypeError);
  });
});
