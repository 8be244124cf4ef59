export type ApprovalOutcome =
  | { readonly outcome: 'approved'; readonly by: string; readonly comment: string }
  | { readonly outcome: 'denied'; readonly by: string; readonly comment: string }
  | { readonly outcome: 'expired' }
  | { readonly outcome: 'timed-out' }
  | { readonly outcome: 'cancelled'; readonly reason: string };

interface Waiter {
  readonly resolve: (outcome: ApprovalOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Commands held for review wait here for the control plane's ApprovalResolved push, or their
 * deadline. Several commands may wait on the same approval (a client re-issuing a statement).
 */
export class ApprovalWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();

  wait(approvalId: string, deadline: Date): { readonly outcome: Promise<ApprovalOutcome>; cancel(reason: string): void } {
    let waiter: Waiter | undefined;
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      const timer = setTimeout(
        () => this.settle(approvalId, waiter, { outcome: 'timed-out' }),
        Math.max(0, Math.min(deadline.getTime() - Date.now(), 2 ** 31 - 1)),
      );
      waiter = { resolve, timer };
      const set = this.waiting.get(approvalId) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiting.set(approvalId, set);
    });
    return { outcome, cancel: (reason) => this.settle(approvalId, waiter, { outcome: 'cancelled', reason }) };
  }

  /** An ApprovalResolved push arrived. */
  resolved(approvalId: string, outcome: ApprovalOutcome): void {
    for (const waiter of [...(this.waiting.get(approvalId) ?? [])]) this.settle(approvalId, waiter, outcome);
  }

  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  private settle(approvalId: string, waiter: Waiter | undefined, outcome: ApprovalOutcome): void {
    if (!waiter) return;
    const set = this.waiting.get(approvalId);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.waiting.delete(approvalId);
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }
}
