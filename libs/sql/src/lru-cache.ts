// A least-recently-used map bounded by entry count and by total weight (the callers weigh entries by
// their key's length, so a flood of large distinct statements cannot grow memory without bound).
// A Map for lookup plus a doubly linked list for recency: O(1) per operation. (A Map alone, evicting
// its first key, degrades: V8 must skip every deleted slot at the front of the table to find it.)

export interface LruCacheLimits {
  readonly maxEntries: number;
  /** Sum of entry weights kept at most; an entry heavier than this on its own is not stored. */
  readonly maxWeight: number;
}

interface Entry<K, V> {
  readonly key: K;
  value: V;
  weight: number;
  /** Toward the least recently used end. */
  older: Entry<K, V> | null;
  /** Toward the most recently used end. */
  newer: Entry<K, V> | null;
}

export class LruCache<K, V> {
  private readonly entries = new Map<K, Entry<K, V>>();
  private newest: Entry<K, V> | null = null;
  private oldest: Entry<K, V> | null = null;
  private weight = 0;

  constructor(private readonly limits: LruCacheLimits) {
    if (!Number.isInteger(limits.maxEntries) || limits.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    if (!(limits.maxWeight > 0)) throw new RangeError('maxWeight must be positive');
  }

  get size(): number {
    return this.entries.size;
  }

  get totalWeight(): number {
    return this.weight;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.unlink(entry);
    this.linkNewest(entry);
    return entry.value;
  }

  set(key: K, value: V, weight: number): void {
    this.delete(key);
    if (weight > this.limits.maxWeight) return;
    const entry: Entry<K, V> = { key, value, weight, older: null, newer: null };
    this.entries.set(key, entry);
    this.linkNewest(entry);
    this.weight += weight;
    while (this.oldest !== null && (this.entries.size > this.limits.maxEntries || this.weight > this.limits.maxWeight)) {
      this.delete(this.oldest.key);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.unlink(entry);
    this.weight -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.newest = null;
    this.oldest = null;
    this.weight = 0;
  }

  private linkNewest(entry: Entry<K, V>): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest !== null) this.newest.newer = entry;
    this.newest = entry;
    this.oldest ??= entry;
  }

  private unlink(entry: Entry<K, V>): void {
    if (entry.older !== null) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== null) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = null;
    entry.newer = null;
  }
}
