import { describe, expect, it } from 'vitest';
import { BACKOFF_JITTER, Backoff, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from './backoff.js';

describe('reconnect backoff', () => {
  it('grows exponentially to the cap, without jitter at the midpoint', () => {
    const backoff = new Backoff(() => 0.5);
    const delays = Array.from({ length: 20 }, () => backoff.next());
    expect(delays[0]).toBe(INITIAL_BACKOFF_MS);
    expect(delays[1]).toBe(Math.round(INITIAL_BACKOFF_MS * 1.6));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)).toBe(MAX_BACKOFF_MS);
  });

  it('spreads delays by ±20% and never exceeds the cap', () => {
    const low = new Backoff(() => 0).next();
    const high = new Backoff(() => 0.999999).next();
    expect(low).toBe(Math.round(INITIAL_BACKOFF_MS * (1 - BACKOFF_JITTER)));
    expect(high).toBe(Math.round(INITIAL_BACKOFF_MS * (1 + BACKOFF_JITTER * 0.999998)));
    const saturated = new Backoff(() => 0.999999);
    saturated.saturate();
    expect(saturated.next()).toBe(MAX_BACKOFF_MS);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff(() => 0.5);
    backoff.saturate();
    backoff.reset();
    expect(backoff.next()).toBe(INITIAL_BACKOFF_MS);
  });
});
