const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;
const UINT16_MAX = 0xffff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

/**
 * Builds one message: optional type byte, Int32 length (patched in `finish`), fields.
 *
 * Encoders refuse input that would encode to a *different* message instead of silently writing it:
 * a NUL inside a C string would end the string early and let the rest be read as further fields
 * (an injection), and an out-of-range number would wrap. Both throw (TypeError / RangeError), since
 * they are programming errors in the caller, not protocol errors from a peer.
 */
export class MessageWriter {
  private buf: Buffer;
  private pos: number;
  private readonly lengthAt: number;

  constructor(type: number | undefined, sizeHint = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 16));
    if (type === undefined) {
      this.lengthAt = 0;
      this.pos = 4;
    } else {
      this.buf[0] = type;
      this.lengthAt = 1;
      this.pos = 5;
    }
  }

  uint8(value: number, field: string): this {
    checkRange(value, 0, 0xff, field);
    this.ensure(1);
    this.buf[this.pos++] = value;
    return this;
  }

  int16(value: number, field: string): this {
    checkRange(value, INT16_MIN, INT16_MAX, field);
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
    return this;
  }

  /** An Int16 count, which PostgreSQL reads unsigned (up to 65535). */
  count16(value: number, field: string): this {
    checkRange(value, 0, UINT16_MAX, field);
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
    return this;
  }

  int32(value: number, field: string): this {
    checkRange(value, INT32_MIN, INT32_MAX, field);
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
    return this;
  }

  uint32(value: number, field: string): this {
    checkRange(value, 0, UINT32_MAX, field);
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value, this.pos);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Int32 length (-1 for NULL) and the bytes. */
  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1, 'length');
    this.int32(value.length, 'length');
    return this.bytes(value);
  }

  cstring(value: string, field: string): this {
    if (value.includes('\0')) throw new TypeError(`${field} must not contain a NUL character`);
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(length + 1);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
    this.buf[this.pos++] = 0;
    return this;
  }

  /** Text without terminator (SCRAM messages are sent this way). */
  text(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
    return this;
  }

  finish(): Buffer {
    this.buf.writeInt32BE(this.pos - this.lengthAt, this.lengthAt);
    return this.buf.subarray(0, this.pos);
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    if (needed - this.lengthAt > INT32_MAX) throw new RangeError('message exceeds the protocol maximum length');
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function checkRange(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${field} must be an integer in ${min}..${max}`);
}
