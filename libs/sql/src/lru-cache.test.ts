import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry once over maxEntries; a read counts as a use', () => {
    const cache = new LruCache<string, number>({ maxEntries: 2, maxWeight: 100 });
    cache.set('a', 1, 1);
    cache.set('b', 2, 1);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('evicts by total weight, and never stores an entry heavier than the limit', () => {
    const cache = new LruCache<string, string>({ maxEntries: 100, maxWeight: 10 });
    cache.set('a', 'x', 6);
    cache.set('b', 'y', 6);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.totalWeight).toBe(6);
    cache.set('huge', 'z', 11);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('b')).toBe('y');
  });

  it('replacing a key updates its value and weight', () => {
    const cache = new LruCache<string, number>({ maxEntries: 3, maxWeight: 100 });
    cache.set('a', 1, 5);
    cache.set('a', 2, 7);
    expect(cache.get('a')).toBe(2);
    expect(cache.size).toBe(1);
    expect(cache.totalWeight).toBe(7);
    cache.delete('a');
    expect(cache.totalWeight).toBe(0);
    cache.set('b', 1, 1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects limits that would make it useless', () => {
    expect(() => new LruCache({ maxEntries: 0, maxWeight: 1 })).toThrow(RangeError);
    expect(() => new LruCache({ maxEntries: 1, maxWeight: 0 })).toThrow(RangeError);
  });

  it('behaves like a reference model under any sequence of operations', () => {
    type Operation = { kind: 'get'; key: number } | { kind: 'set'; key: number; weight: number } | { kind: 'delete'; key: number };
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.nat(6) }),
      fc.record({ kind: fc.constant('set' as const), key: fc.nat(6), weight: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const limits = { maxEntries: 3, maxWeight: 10 };
        const cache = new LruCache<number, number>(limits);
        // Reference: an array ordered from least to most recently used.
        let model: { key: number; weight: number }[] = [];
        for (const op of operations) {
          const index = model.findIndex((entry) => entry.key === op.key);
          if (op.kind === 'get') {
            expect(cache.get(op.key)).toBe(index >= 0 ? op.key * 10 : undefined);
            if (index >= 0) model.push(...model.splice(index, 1));
          } else if (op.kind === 'delete') {
            cache.delete(op.key);
            if (index >= 0) model.splice(index, 1);
          } else {
            cache.set(op.key, op.key * 10, op.weight);
            if (index >= 0) model.splice(index, 1);
            model.push({ key: op.key, weight: op.weight });
            const total = (): number => model.reduce((sum, entry) => sum + entry.weight, 0);
            while (model.length > limits.maxEntries || total() > limits.maxWeight) model = model.slice(1);
          }
          expect(cache.size).toBe(model.length);
          expect(cache.totalWeight).toBe(model.reduce((sum, entry) => sum + entry.weight, 0));
        }
      }),
    );
  });
});
