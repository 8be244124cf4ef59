import { createHash } from 'node:crypto';
import type { AgentDecision, SessionPrincipal } from '../link/link-types.js';

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Decisions the control plane marked cacheable, reused for the same principal attributes, connection
 * and statement fingerprint until an InvalidateDecisions or RevokePrincipal push. The key includes a
 * digest of the principal's groups, roles and scopes, so a new token with other groups never reuses
 * a decision made for the old ones. Review decisions are never stored.
 */
export class DecisionCache {
  private readonly entries = new Map<string, { readonly principalId: string; readonly decision: AgentDecision }>();
  /**
   * Bumped by every invalidation. A decision asked for before an invalidation and answered after it
   * may have been made under the old policy: it is used once but never cached.
   */
  private invalidations = 0;

  get epoch(): number {
    return this.invalidations;
  }

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  static principalKey(principal: SessionPrincipal): string {
    const attributes = JSON.stringify([
      principal.id,
      principal.kind,
      principal.appId,
      principal.groupOverage,
      [...principal.groups].sort(),
      [...principal.roles].sort(),
      [...principal.scopes].sort(),
    ]);
    return createHash('sha256').update(attributes).digest('base64url');
  }

  get(principalKey: string, connection: string, fingerprint: string): AgentDecision | undefined {
    const key = `${principalKey}\u0000${connection}\u0000${fingerprint}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Refresh recency (Map keeps insertion order: delete + set moves it to the end).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.decision;
  }

  set(
    principal: SessionPrincipal,
    principalKey: string,
    connection: string,
    fingerprint: string,
    decision: AgentDecision,
    askedAtEpoch = this.invalidations,
  ): void {
    if (!decision.cacheable || decision.effect === 'review' || askedAtEpoch !== this.invalidations) return;
    const key = `${principalKey}\u0000${connection}\u0000${fingerprint}`;
    this.entries.delete(key);
    this.entries.set(key, { principalId: principal.id, decision });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forget everything, or everything about one principal. */
  invalidate(principalId?: string): void {
    this.invalidations += 1;
    if (!principalId) {
      this.entries.clear();
      return;
    }
    for (const [key, entry] of this.entries) if (entry.principalId === principalId) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
