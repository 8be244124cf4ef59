import { DecodeError, describeTypeByte } from '../decode-error.js';
import { MESSAGE_HEADER_LENGTH } from '../protocol-codes.js';
import type { ChunkQueue } from './chunk-queue.js';

/** Smallest value of a typed message's length field: the field itself. */
const MIN_MESSAGE_LENGTH = 4;

/**
 * Takes the next complete typed message (type byte + Int32 length + body) off the queue, or
 * returns undefined when more bytes are needed.
 *
 * The type byte is checked as soon as it arrives and the length as soon as the 5-byte header is
 * in, so an unknown type or an oversized length is refused before a single body byte is waited
 * for or buffered.
 */
export function takeTypedMessage(
  queue: ChunkQueue,
  nameOf: (type: number) => string | undefined,
  side: 'frontend' | 'backend',
  maxLength: number,
): { readonly type: number; readonly raw: Buffer } | undefined {
  if (queue.length === 0) return undefined;
  const type = queue.byteAt(0);
  if (nameOf(type) === undefined) {
    const shown = describeTypeByte(type);
    throw new DecodeError('unknown_message_type', `unknown ${side} message type ${shown}`, shown);
  }
  if (queue.length < MESSAGE_HEADER_LENGTH) return undefined;
  const length = queue.uint32At(1);
  if (length < MIN_MESSAGE_LENGTH) {
    throw new DecodeError('invalid_length', `message length ${length} is below the minimum of 4`, describeTypeByte(type));
  }
  if (length > maxLength) {
    throw new DecodeError('message_too_large', `message length ${length} exceeds the maximum of ${maxLength}`, describeTypeByte(type));
  }
  const total = length + 1;
  if (queue.length < total) return undefined;
  return { type, raw: queue.take(total) };
}
