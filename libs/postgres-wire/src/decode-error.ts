/**
 * Why a byte stream was refused. A proxy maps each to its own reaction (usually an ErrorResponse
 * with SQLSTATE 08P01 `protocol_violation`, then closing the connection).
 */
export type DecodeErrorCode =
  /** A length prefix below the minimum (4 for messages, 8 for startup packets), or one that does not fit its packet kind. */
  | 'invalid_length'
  /** A typed message announced more than the configured maximum; refused from its 5-byte header. */
  | 'message_too_large'
  /** A startup-phase packet announced more than the configured maximum; refused from its 4-byte length. */
  | 'startup_packet_too_large'
  /** A type byte this side of the protocol never sends. */
  | 'unknown_message_type'
  /** A StartupMessage whose major version is not 3, or an unknown 1234.xxxx request code. */
  | 'unsupported_protocol_version'
  /** A body that does not match its layout: missing NUL terminator, count overrunning the body, trailing bytes, bad enum byte. */
  | 'malformed_message'
  /** A text field that is not valid UTF-8 (decoding it lossily would let the proxy and the server read different text). */
  | 'invalid_utf8'
  /** The same StartupMessage parameter twice: the proxy and the server might honour different copies. */
  | 'duplicate_startup_parameter'
  /** Bytes arrived behind an SSLRequest/GSSENCRequest before the answer (CVE-2021-23214: injected plaintext). */
  | 'data_after_encryption_request'
  /** A second SSLRequest or a second GSSENCRequest on one connection. */
  | 'repeated_encryption_request'
  /** Bytes after a packet that ends the protocol conversation (CancelRequest, or a direct-TLS hand-off). */
  | 'unexpected_data';

/**
 * A protocol violation in bytes from the peer. Its message names the rule that was broken and
 * never quotes payload bytes, so it is safe to log.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';

  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    /** The type byte of the offending message as a character, when there was one. */
    readonly messageType?: string,
  ) {
    super(message);
  }
}

/** Printable form of a type byte for error messages (`'Q'`, or `0x00` for unprintable bytes). */
export function describeTypeByte(byte: number): string {
  return byte >= 0x21 && byte <= 0x7e ? String.fromCharCode(byte) : `0x${byte.toString(16).padStart(2, '0')}`;
}
