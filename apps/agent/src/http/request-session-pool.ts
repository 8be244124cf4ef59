// Sessions for request/response protocols (HTTP, Kubernetes API). A client sends its token with
// every request; the agent groups the requests of one token on one connection into one
// control-plane session (DESIGN.md "The per-command flow", Sessions), opened on the first request,
// reused while the token is valid, closed after an idle window, ended at once by a revocation or
// termination push.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { DecisionCache } from '../decisions/decision-cache.js';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { SessionPrincipal } from '../link/link-types.js';
import type { Recorder, SessionRecorder } from '../recording/recorder.js';
import type { LiveSession, SessionRegistry } from '../sessions/session-registry.js';

export type SessionEndCode = 'revoked' | 'terminated' | 'token_expired' | 'agent_shutdown' | 'idle' | 'redecide';

/** Aborts the requests of a session that ended while they were in flight. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
  constructor(
    readonly code: SessionEndCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientInfo {
  readonly address: string;
  /** User-Agent, recorded as the client application. */
  readonly application: string;
}

export type AcquireResult =
  | { readonly ok: true; readonly session: RequestSession }
  /** `unavailable`: the control plane did not answer; otherwise the control plane's refusal code. */
  | { readonly ok: false; readonly code: string; readonly message: string; readonly unavailable: boolean };

export interface RequestSessionPoolOptions {
  readonly protocol: 'http' | 'kubernetes';
  readonly connection: string;
  readonly idleMs: number;
  readonly controlPlane: ControlPlaneClient;
  readonly recorder: Recorder;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
}

/** One request being served in a session: its signal aborts when the session ends. */
export interface RequestScope {
  readonly signal: AbortSignal;
  done(): void;
}

export class RequestSession implements LiveSession {
  readonly principalKey: string;
  private readonly inflight = new Set<AbortController>();
  private idleTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private ended: SessionEndedError | undefined;

  constructor(
    readonly sessionId: string,
    readonly principal: SessionPrincipal,
    readonly recorder: SessionRecorder,
    private readonly pool: RequestSessionPool,
    private readonly tokenKey: string,
  ) {
    this.principalKey = DecisionCache.principalKey(principal);
  }

  get principalId(): string {
    return this.principal.id;
  }

  get connection(): string {
    return this.pool.options.connection;
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  /** A request is in flight (graceful drain waits for it, up to its timeout). */
  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Starts serving a request; undefined when the session has already ended. */
  begin(): RequestScope | undefined {
    if (this.ended) return undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const controller = new AbortController();
    this.inflight.add(controller);
    let finished = false;
    return {
      signal: controller.signal,
      done: () => {
        if (finished) return;
        finished = true;
        this.inflight.delete(controller);
        if (this.inflight.size === 0 && !this.ended) this.armIdle();
      },
    };
  }

  terminate(reason: string, code: 'revoked' | 'terminated' | 'token_expired' | 'agent_shutdown'): void {
    const message =
      code === 'revoked'
        ? `this principal's access was revoked (${reason})`
        : code === 'token_expired'
          ? 'the access token expired; send a new one'
          : `the session was ended: ${reason}`;
    this.end(new SessionEndedError(code, message));
  }

  /**
   * Decisions changed: requests still streaming (watches, followed logs, long downloads) were decided
   * under the old ones, so they are cut; the session stays open and the next request is decided anew.
   */
  redecide(): void {
    if (this.ended) return;
    const error = new SessionEndedError('redecide', 'the policy changed while this request was running; send it again');
    for (const controller of [...this.inflight]) controller.abort(error);
  }

  /** @internal called by the pool once the session is registered. */
  start(tokenExpiresAt: Date): void {
    const delay = Math.max(0, Math.min(tokenExpiresAt.getTime() - Date.now(), 2 ** 31 - 1));
    this.expiryTimer = setTimeout(() => this.terminate('token expired', 'token_expired'), delay);
    this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.end(new SessionEndedError('idle', 'the session was idle')), this.pool.options.idleMs);
    this.idleTimer.unref();
  }

  private end(error: SessionEndedError): void {
    if (this.ended) return;
    this.ended = error;
    clearTimeout(this.idleTimer);
    clearTimeout(this.expiryTimer);
    for (const controller of [...this.inflight]) controller.abort(error);
    this.inflight.clear();
    this.pool.forget(this.tokenKey, this);
    this.recorder.record('session.closed', { reason: error.code });
    this.pool.options.controlPlane.closeSession(this.sessionId, error.code).catch((e: unknown) => {
      this.pool.options.logger.debug({ err: (e as Error).message }, 'could not report the session closed');
    });
    this.pool.options.logger.info({ sessionId: this.sessionId, reason: error.code }, `${this.pool.options.protocol} session ended`);
  }
}

/**
 * The open sessions of one connection, keyed by a SHA-256 of the token (the token itself is never
 * kept). Concurrent first requests with the same token share one opening.
 */
export class RequestSessionPool {
  private readonly open = new Map<string, RequestSession>();
  private readonly opening = new Map<string, Promise<AcquireResult>>();

  constructor(readonly options: RequestSessionPoolOptions) {}

  get size(): number {
    return this.open.size;
  }

  async acquire(token: string, client: ClientInfo): Promise<AcquireResult> {
    const key = createHash('sha256').update(token).digest('base64url');
    const existing = this.open.get(key);
    if (existing && !existing.isEnded) return { ok: true, session: existing };
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.openSession(key, token, client).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  /** @internal */
  forget(key: string, session: RequestSession): void {
    if (this.open.get(key) === session) this.open.delete(key);
    this.options.sessions.remove(session.sessionId);
  }

  private async openSession(key: string, token: string, client: ClientInfo): Promise<AcquireResult> {
    let result;
    try {
      result = await this.options.controlPlane.openSession({
        connection: this.options.connection,
        token,
        clientAddress: client.address,
        clientApplication: client.application.slice(0, 200),
        clientUser: '',
      });
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'session not opened: no answer from the control plane');
      return {
        ok: false,
        code: 'unavailable',
        message: 'Sluice cannot reach its control plane right now; try again shortly',
        unavailable: true,
      };
    }
    if (!result.opened) {
      this.options.logger.info({ code: result.code }, 'session refused');
      return { ok: false, code: result.code, message: result.message, unavailable: false };
    }
    const recorder = this.options.recorder.forSession(result.sessionId);
    const session = new RequestSession(result.sessionId, result.principal, recorder, this, key);
    const { principal } = result;
    recorder.record('session.opened', {
      protocol: this.options.protocol,
      connection: this.options.connection,
      clientAddress: client.address,
      clientApplication: client.application.slice(0, 200),
      clientUser: '',
      principal: {
        id: principal.id,
        kind: principal.kind,
        displayName: principal.displayName,
        groups: principal.groups,
        roles: principal.roles,
        appId: principal.appId,
      },
    });
    this.open.set(key, session);
    this.options.sessions.add(session);
    session.start(result.tokenExpiresAt);
    this.options.logger.info({ sessionId: session.sessionId, principalId: principal.id }, `${this.options.protocol} session started`);
    return { ok: true, session };
  }
}
