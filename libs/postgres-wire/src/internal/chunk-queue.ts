const EMPTY = Buffer.alloc(0);

/**
 * The bytes received but not yet decoded, kept as the caller's chunks (no merging on arrival).
 *
 * A message that lies inside one chunk is handed out as a zero-copy slice of it; only a message
 * that spans chunks is copied, once, into a buffer of its exact size. Memory therefore grows with
 * the bytes that actually arrived, never with what a length prefix promised. Slices handed out
 * are never written to again, so a caller may keep them (e.g. a held query) as long as it likes.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The byte at `index` (0 = next unread byte); the caller guarantees `index < length`. */
  byteAt(index: number): number {
    let at = this.head + index;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at] ?? 0;
      at -= chunk.length;
    }
    throw new RangeError('ChunkQueue.byteAt past the end');
  }

  /** Big-endian uint32 at `index`; the caller guarantees `index + 4 <= length`. */
  uint32At(index: number): number {
    const first = this.chunks[0];
    const at = this.head + index;
    if (first !== undefined && at + 4 <= first.length) return first.readUInt32BE(at);
    return ((this.byteAt(index) << 24) | (this.byteAt(index + 1) << 16) | (this.byteAt(index + 2) << 8) | this.byteAt(index + 3)) >>> 0;
  }

  /** Removes and returns the next `count` bytes; the caller guarantees `count <= length`. */
  take(count: number): Buffer {
    if (count === 0) return EMPTY;
    const first = this.chunks[0];
    if (first === undefined || count > this.total) throw new RangeError('ChunkQueue.take past the end');
    if (this.head + count <= first.length) {
      const slice = first.subarray(this.head, this.head + count);
      this.advance(first, count);
      return slice;
    }
    const out = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new RangeError('ChunkQueue.take past the end');
      const n = Math.min(chunk.length - this.head, count - written);
      chunk.copy(out, written, this.head, this.head + n);
      written += n;
      this.advance(chunk, n);
    }
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.total);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.total = 0;
  }

  private advance(chunk: Buffer, count: number): void {
    this.head += count;
    this.total -= count;
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
