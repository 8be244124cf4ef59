import { DecodeError } from '../decode-error.js';
import { ChunkQueue } from '../internal/chunk-queue.js';
import { takeTypedMessage } from '../internal/message-framing.js';
import { DEFAULT_MAX_MESSAGE_LENGTH } from '../protocol-codes.js';
import type { BackendFrame } from './backend-messages.js';
import { backendMessageName } from './backend-parsers.js';

export interface BackendDecoderOptions {
  /** Largest accepted value of a message's length field. Default 16 MiB; raise it for very wide rows. */
  readonly maxMessageLength?: number;
}

/**
 * Splits what a PostgreSQL server sends into `{ type, raw }` frames, from chunks cut anywhere.
 *
 * It validates only the header (known type byte, length within bounds) so the common case, a
 * message forwarded untouched, costs no parsing and, when the message lies in one chunk, no copy.
 * `decodeBackendMessage(frame)` parses the ones the proxy inspects.
 *
 * The first DecodeError is final, as in FrontendDecoder.
 */
export class BackendDecoder {
  private readonly queue = new ChunkQueue();
  private readonly maxMessageLength: number;
  private failure: DecodeError | undefined;

  constructor(options: BackendDecoderOptions = {}) {
    this.maxMessageLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  get bufferedLength(): number {
    return this.queue.length;
  }

  get error(): DecodeError | undefined {
    return this.failure;
  }

  /** Adds a chunk and returns every frame it completed, in order. Throws DecodeError. */
  push(chunk: Buffer): BackendFrame[] {
    if (this.failure) throw this.failure;
    try {
      this.queue.append(chunk);
      const out: BackendFrame[] = [];
      for (;;) {
        const frame = takeTypedMessage(this.queue, backendMessageName, 'backend', this.maxMessageLength);
        if (frame === undefined) return out;
        out.push(frame);
      }
    } catch (error) {
      const failure = error instanceof DecodeError ? error : new DecodeError('malformed_message', 'backend message could not be framed');
      this.failure = failure;
      this.queue.clear();
      throw failure;
    }
  }
}
