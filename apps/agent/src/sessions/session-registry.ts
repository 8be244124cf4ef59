/** What the registry can do to a live client session. */
export interface LiveSession {
  readonly sessionId: string;
  readonly principalId: string;
  readonly connection: string;
  /** True while a command of this session is running or held (graceful drain waits for it). */
  readonly busy?: boolean;
  /** End the client connection now with `reason` (protocol-native error), then report it closed. */
  terminate(reason: string, code: 'revoked' | 'terminated' | 'token_expired' | 'agent_shutdown'): void;
  /**
   * Cached decisions were invalidated (policy, grant or revocation): cut what is still streaming
   * under an old decision — a watch, a followed log — so the client asks again and is decided anew.
   */
  redecide?(): void;
}

/**
 * Every open client session on this agent, so that control-plane pushes (terminate a session,
 * revoke a principal) and shutdown can reach them.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();

  add(session: LiveSession): void {
    this.sessions.set(session.sessionId, session);
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  get size(): number {
    return this.sessions.size;
  }

  terminate(sessionId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    session?.terminate(reason, 'terminated');
    return session !== undefined;
  }

  /** Ends every session of a principal; returns how many. */
  revoke(principalId: string, reason: string): number {
    let ended = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.principalId !== principalId) continue;
      session.terminate(reason, 'revoked');
      ended += 1;
    }
    return ended;
  }

  /** Tells the sessions of a principal (or all) that their decisions are stale; returns how many. */
  redecide(principalId?: string): number {
    let told = 0;
    for (const session of this.sessions.values()) {
      if (principalId !== undefined && session.principalId !== principalId) continue;
      if (!session.redecide) continue;
      session.redecide();
      told += 1;
    }
    return told;
  }

  get busy(): number {
    let n = 0;
    for (const session of this.sessions.values()) if (session.busy === true) n += 1;
    return n;
  }

  terminateAll(reason: string): void {
    for (const session of [...this.sessions.values()]) session.terminate(reason, 'agent_shutdown');
  }
}
