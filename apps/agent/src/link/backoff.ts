/**
 * Reconnect delays: exponential with jitter so that a fleet of agents does not reconnect in step
 * after a control-plane restart (the same shape grpc-js uses for its own channel backoff).
 */
export const INITIAL_BACKOFF_MS = 250;
export const BACKOFF_MULTIPLIER = 1.6;
export const MAX_BACKOFF_MS = 15_000;
export const BACKOFF_JITTER = 0.2;

export class Backoff {
  private attempt = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** The delay before the next attempt; each call grows the base until MAX_BACKOFF_MS. */
  next(): number {
    const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * BACKOFF_MULTIPLIER ** this.attempt);
    this.attempt += 1;
    const jitter = base * BACKOFF_JITTER * (this.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(MAX_BACKOFF_MS, base + jitter)));
  }

  /** Jump to the longest delay (e.g. the control plane refused our key: no point hurrying). */
  saturate(): void {
    this.attempt = Math.ceil(Math.log(MAX_BACKOFF_MS / INITIAL_BACKOFF_MS) / Math.log(BACKOFF_MULTIPLIER));
  }

  reset(): void {
    this.attempt = 0;
  }
}
