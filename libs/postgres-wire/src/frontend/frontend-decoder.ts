import { DecodeError } from '../decode-error.js';
import { ChunkQueue } from '../internal/chunk-queue.js';
import { takeTypedMessage } from '../internal/message-framing.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_STARTUP_PACKET_LENGTH, TLS_HANDSHAKE_RECORD } from '../protocol-codes.js';
import type { DecodedFrontendMessage } from './frontend-messages.js';
import {
  MIN_STARTUP_PACKET_LENGTH,
  checkStartupHeader,
  frontendMessageName,
  parseFrontendMessage,
  parseStartupPacket,
} from './frontend-parsers.js';

/**
 * `startup`: untyped length-prefixed packets (SSLRequest, GSSENCRequest, CancelRequest,
 * StartupMessage). `messages`: typed messages (type byte + length).
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export type FrontendPhase = 'startup' | 'messages';

export interface FrontendDecoderOptions {
  /** Largest accepted value of a typed message's length field. Default 16 MiB. */
  readonly maxMessageLength?: number;
  /** Largest accepted startup packet. Default 10 000 bytes, PostgreSQL's own limit. */
  readonly maxStartupPacketLength?: number;
  /** Where the stream starts. Default `startup`. */
  readonly phase?: FrontendPhase;
  /**
   * Report a first byte of 0x16 as a `DirectTLS` hand-off (PostgreSQL 17 `sslnegotiation=direct`).
   * Default true; turn it off for a decoder that already reads from inside TLS.
   */
  readonly detectDirectTls?: boolean;
}

/**
 * Decodes what a PostgreSQL client sends, from chunks cut anywhere.
 *
 * Phase changes it makes by itself: after a StartupMessage it moves to `messages`; after
 * SSLRequest/GSSENCRequest it stays in `startup` (the next packet is a startup packet again, in
 * TLS or in clear after 'N'); after a CancelRequest or a direct-TLS hand-off it accepts no more
 * bytes. `setPhase` overrides the phase for anything else.
 *
 * Rules it enforces on top of framing, each mirroring PostgreSQL's postmaster:
 * - nothing may follow SSLRequest/GSSENCRequest before it is answered (CVE-2021-23214);
 * - each of SSLRequest and GSSENCRequest at most once per connection;
 * - StartupMessage major version 3 only, no repeated parameter names.
 *
 * The first DecodeError is final: the decoder drops its buffer and rethrows that error on every
 * later call. Messages decoded earlier in the failing `push` are discarded with it, so nothing
 * after a corrupt point can be forwarded by mistake.
 */
export class FrontendDecoder {
  private readonly queue = new ChunkQueue();
  private readonly maxMessageLength: number;
  private readonly maxStartupPacketLength: number;
  private readonly detectDirectTls: boolean;
  private currentPhase: FrontendPhase;
  private failure: DecodeError | undefined;
  /** Set after CancelRequest and direct TLS: the conversation is over for this decoder. */
  private ended = false;
  private started = false;
  private sslRequested = false;
  private gssRequested = false;

  constructor(options: FrontendDecoderOptions = {}) {
    this.maxMessageLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.maxStartupPacketLength = options.maxStartupPacketLength ?? DEFAULT_MAX_STARTUP_PACKET_LENGTH;
    this.detectDirectTls = options.detectDirectTls ?? true;
    this.currentPhase = options.phase ?? 'startup';
  }

  get phase(): FrontendPhase {
    return this.currentPhase;
  }

  setPhase(phase: FrontendPhase): void {
    this.currentPhase = phase;
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedLength(): number {
    return this.queue.length;
  }

  /** The error that stopped this decoder, if any. */
  get error(): DecodeError | undefined {
    return this.failure;
  }

  /** Adds a chunk and returns every message it completed, in order. Throws DecodeError. */
  push(chunk: Buffer): DecodedFrontendMessage[] {
    if (this.failure) throw this.failure;
    try {
      return this.decode(chunk);
    } catch (error) {
      const failure = error instanceof DecodeError ? error : new DecodeError('malformed_message', 'frontend message could not be decoded');
      this.failure = failure;
      this.queue.clear();
      throw failure;
    }
  }

  private decode(chunk: Buffer): DecodedFrontendMessage[] {
    if (this.ended) {
      if (chunk.length > 0) throw new DecodeError('unexpected_data', 'bytes after the end of the startup conversation');
      return [];
    }
    this.queue.append(chunk);
    const out: DecodedFrontendMessage[] = [];
    for (;;) {
      const message = this.currentPhase === 'startup' ? this.nextStartupPacket() : this.nextMessage();
      if (message === undefined) break;
      out.push(message);
    }
    return out;
  }

  private nextMessage(): DecodedFrontendMessage | undefined {
    const frame = takeTypedMessage(this.queue, frontendMessageName, 'frontend', this.maxMessageLength);
    if (frame === undefined) return undefined;
    return parseFrontendMessage(frame.type, frame.raw);
  }

  private nextStartupPacket(): DecodedFrontendMessage | undefined {
    const queue = this.queue;
    if (this.ended || queue.length === 0) return undefined;
    if (!this.started && this.detectDirectTls && queue.byteAt(0) === TLS_HANDSHAKE_RECORD) {
      // A startup length starting with 0x16 would be over 369 MB, so this cannot be a startup packet.
      this.ended = true;
      return { kind: 'DirectTLS', raw: queue.takeAll() };
    }
    if (queue.length < 4) return undefined;
    const length = queue.uint32At(0);
    if (length < MIN_STARTUP_PACKET_LENGTH)
      throw new DecodeError('invalid_length', `startup packet length ${length} is below the minimum of 8`);
    if (length > this.maxStartupPacketLength) {
      throw new DecodeError(
        'startup_packet_too_large',
        `startup packet length ${length} exceeds the maximum of ${this.maxStartupPacketLength}`,
      );
    }
    if (queue.length < MIN_STARTUP_PACKET_LENGTH) return undefined;
    checkStartupHeader(length, queue.uint32At(4));
    if (queue.length < length) return undefined;
    const raw = queue.take(length);
    this.started = true;
    const packet = parseStartupPacket(raw);
    switch (packet.kind) {
      case 'SSLRequest':
      case 'GSSENCRequest': {
        const ssl = packet.kind === 'SSLRequest';
        if (ssl ? this.sslRequested : this.gssRequested) {
          throw new DecodeError('repeated_encryption_request', `${packet.kind} sent twice on one connection`);
        }
        if (ssl) this.sslRequested = true;
        else this.gssRequested = true;
        if (queue.length > 0) {
          throw new DecodeError('data_after_encryption_request', `received unencrypted data after ${packet.kind}`);
        }
        break;
      }
      case 'CancelRequest':
        if (queue.length > 0) throw new DecodeError('unexpected_data', 'bytes after CancelRequest');
        this.ended = true;
        break;
      case 'StartupMessage':
        this.currentPhase = 'messages';
        break;
    }
    return packet;
  }
}
