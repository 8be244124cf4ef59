import { isUtf8 } from 'node:buffer';
import { DecodeError, describeTypeByte } from '../decode-error.js';

/**
 * Bounded reads over one message. Every read checks the bytes are there, so a count or length
 * that overruns the body becomes a `malformed_message` error instead of reading the next message.
 * Byte fields come back as zero-copy slices of the message.
 */
export class BodyReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    /** Message name for error messages, e.g. `Bind`. */
    private readonly what: string,
    /** Type byte, for DecodeError.messageType. */
    private readonly typeByte: number | undefined,
    /** Refuse text that is not valid UTF-8 instead of decoding it lossily. */
    private readonly strictUtf8: boolean,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  uint8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++] ?? 0;
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /** An Int16 count. PostgreSQL reads counts unsigned (pq_getmsgint), so 0xFFFF is 65535, not -1. */
  count16(): number {
    this.need(2, 'count');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'int32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(count: number): Buffer {
    this.need(count, 'bytes');
    const out = this.buf.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  /** An Int32 length (-1 = NULL) followed by that many bytes. */
  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw this.malformed('negative value length');
    return this.bytes(length);
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0) throw this.malformed('string without NUL terminator');
    const text = this.text(this.pos, nul);
    this.pos = nul + 1;
    return text;
  }

  /** Everything left, as a slice. */
  rest(): Buffer {
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /** Asserts the body was consumed exactly (PostgreSQL's pq_getmsgend). */
  end(): void {
    if (this.pos !== this.buf.length) throw this.malformed('trailing bytes after the last field');
  }

  malformed(reason: string): DecodeError {
    return new DecodeError('malformed_message', `${this.what}: ${reason}`, this.typeLabel());
  }

  private typeLabel(): string | undefined {
    return this.typeByte === undefined ? undefined : describeTypeByte(this.typeByte);
  }

  private text(start: number, end: number): string {
    if (this.strictUtf8 && !isAsciiRange(this.buf, start, end) && !isUtf8(this.buf.subarray(start, end))) {
      throw new DecodeError('invalid_utf8', `${this.what}: text field is not valid UTF-8`, this.typeLabel());
    }
    return this.buf.toString('utf8', start, end);
  }

  private need(count: number, field: string): void {
    if (count > this.buf.length - this.pos) throw this.malformed(`${field} overruns the message body`);
  }
}

/** Short names and most SQL are ASCII: checking that in place avoids a slice per string. */
function isAsciiRange(buf: Buffer, start: number, end: number): boolean {
  if (end - start > 256) return false;
  for (let i = start; i < end; i++) if ((buf[i] ?? 0) > 0x7f) return false;
  return true;
}
