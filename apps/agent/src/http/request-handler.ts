// The per-request flow shared by HTTP and Kubernetes connections (DESIGN.md "The per-command flow"):
// classify → token → session → decide → forward (masked) or refuse → record. What differs per
// protocol (facts, error format, upstream headers, extra masking) comes from a RequestAdapter.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { compileMaskPlan, DETECTOR_NAMES } from '@sluice/masking';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { AgentDecision, CommandFacts } from '../link/link-types.js';
import type { FieldRule } from './json-field-rules.js';
import { decidedEvent, refusalMessage, type RequestGate, type RequestVerdict } from './request-gate.js';
import type { RequestSession, RequestSessionPool } from './request-session-pool.js';
import { DEFAULT_JSON_LIMITS, JsonMasker } from './json-masker.js';
import { compileResponseMask, withRedactedLiterals, type CompiledResponseMask } from './response-masking.js';
import { forwardExchange, type ErrorResponder, type ExchangeLimits, type ExchangeOutcome } from './upstream-exchange.js';

/** A request the adapter could not classify, or refuses on its own; answered before any session. */
export interface EarlyRefusal {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

export interface ClassifiedRequest<C> {
  readonly facts: CommandFacts;
  /** The `command.received` payload (never secrets: queries are redacted by the adapter). */
  readonly received: Record<string, unknown>;
  readonly context: C;
}

/** What the response may additionally need masked (e.g. Secret data), decided per request. */
export interface ExtraMasking {
  readonly rules: readonly FieldRule[];
  /** False when the recording must not keep a preview (e.g. revealed Secret data). */
  readonly previewAllowed: boolean;
}

export interface RequestAdapter<C> {
  readonly protocol: 'http' | 'kubernetes';
  readonly respondError: ErrorResponder;
  readonly dispatcher: Dispatcher;
  readonly limits: ExchangeLimits;
  readonly otherContentTypes: 'refuse' | 'pass';
  classify(req: IncomingMessage): ClassifiedRequest<C> | EarlyRefusal;
  /** The client's access token (removed from what is forwarded by upstreamHeaders). */
  token(req: IncomingMessage): string | undefined;
  upstreamPath(req: IncomingMessage, context: C): string;
  upstreamHeaders(req: IncomingMessage, session: RequestSession, context: C, masked: boolean): Promise<Record<string, string | string[]>>;
  extraMasking(session: RequestSession, context: C, decision: AgentDecision): Promise<ExtraMasking>;
  /** Added to 401 answers (e.g. `WWW-Authenticate`). */
  readonly challenge: Readonly<Record<string, string>>;
  /** The agent's own upstream credentials: never kept in a recording, even if an upstream echoes them. */
  ownSecrets(): Promise<readonly string[]>;
}

export interface RequestHandlerServices {
  readonly pool: RequestSessionPool;
  readonly gate: RequestGate;
  readonly hashKey: Uint8Array;
  readonly logger: Logger;
}

const compiledPlans = new WeakMap<AgentDecision, CompiledResponseMask | { readonly error: string }>();

export class RequestHandler<C> {
  private readonly scrubPreview: (text: string) => string;

  constructor(
    private readonly adapter: RequestAdapter<C>,
    private readonly services: RequestHandlerServices,
  ) {
    // Previews of responses that were not masked by policy still never carry recognisable secrets or PII.
    const all = compileMaskPlan(
      { columns: [], detectors: DETECTOR_NAMES.map((detector) => ({ detector, strategy: { kind: 'redact' } })) },
      { hashKey: services.hashKey },
    );
    const scanText = (text: string): string => all.scanText(text);
    this.scrubPreview = (text) => {
      // JSON-aware when the preview is a whole document (numbers stay valid JSON); text scan otherwise.
      const masker = new JsonMasker({ rules: [], scanText, maxDepth: DEFAULT_JSON_LIMITS.maxDepth, maxValueChars: 65_536 });
      try {
        return masker.push(text) + masker.end();
      } catch {
        return scanText(text);
      }
    };
  }

  /** Serves one request; never rejects (internal errors become a 500 in the protocol's format). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.serve(req, res);
    } catch (error) {
      this.services.logger.error({ err: error }, 'internal error while serving a request');
      if (!res.headersSent && !res.destroyed) this.adapter.respondError(res, 500, 'InternalError', 'internal error in the Sluice agent');
      else res.destroy();
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const classified = this.adapter.classify(req);
    if (!('facts' in classified)) {
      this.adapter.respondError(res, classified.status, classified.reason, classified.message);
      return;
    }
    const token = this.adapter.token(req);
    if (!token) {
      this.unauthorized(res, 'an access token is required: send Authorization: Bearer <token>');
      return;
    }
    const client = {
      address: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
      application: req.headers['user-agent'] ?? '',
    };
    const opened = await this.openScope(token, client);
    if (!opened.ok) {
      if (opened.code === 'invalid_token') this.unauthorized(res, opened.message);
      else
        this.adapter.respondError(
          res,
          opened.unavailable ? 503 : 403,
          opened.unavailable ? 'ServiceUnavailable' : 'Forbidden',
          opened.message,
        );
      return;
    }
    const { session, scope } = opened;
    try {
      const { facts, context } = classified;
      session.recorder.record('command.received', { text: facts.text, ...classified.received, classes: facts.classes });
      const clientGone = new AbortController();
      // 'close' also follows a normal end; aborting then would build a DOMException per request.
      res.once('close', () => {
        if (!res.writableFinished) clientGone.abort();
      });
      const verdict = await this.services.gate.decideWithHold(session, facts, AbortSignal.any([clientGone.signal, scope.signal]));
      session.recorder.record('command.decided', decidedEvent(verdict));
      if (scope.signal.aborted) {
        this.refuse(res, session, facts.text, startedAt, 403, 'Forbidden', (scope.signal.reason as Error).message);
        return;
      }
      if (verdict.kind !== 'forward') {
        this.refuseVerdict(res, session, facts.text, startedAt, verdict);
        return;
      }
      const extra = await this.adapter.extraMasking(session, context, verdict.decision);
      const mask = this.compileMask(verdict.decision, extra.rules);
      if (mask && 'error' in mask) {
        this.services.logger.warn({ problem: mask.error }, 'mask plan not applicable to this protocol');
        this.refuse(
          res,
          session,
          facts.text,
          startedAt,
          502,
          'BadGateway',
          'the mask plan cannot be applied to this response, so it was not sent',
        );
        return;
      }
      const outcome = await forwardExchange({
        req,
        res,
        dispatcher: this.adapter.dispatcher,
        path: this.adapter.upstreamPath(req, context),
        headers: await this.adapter.upstreamHeaders(req, session, context, mask !== undefined),
        signal: scope.signal,
        // An upstream that echoes the request (a debug endpoint) must not hand out the agent's own credential.
        mask: mask && withRedactedLiterals(mask, await this.adapter.ownSecrets()),
        otherContentTypes: this.adapter.otherContentTypes,
        limits: this.adapter.limits,
        respondError: this.adapter.respondError,
      });
      await this.recordOutcome(session, facts.text, startedAt, outcome, extra.previewAllowed);
    } finally {
      scope.done();
    }
  }

  /** A session and a request scope in it; a session that ended between the two is reopened once. */
  private async openScope(
    token: string,
    client: { address: string; application: string },
  ): Promise<
    | { ok: true; session: RequestSession; scope: NonNullable<ReturnType<RequestSession['begin']>> }
    | { ok: false; code: string; message: string; unavailable: boolean }
  > {
    for (let attempt = 0; attempt < 2; attempt++) {
      const acquired = await this.services.pool.acquire(token, client);
      if (!acquired.ok) return acquired;
      const scope = acquired.session.begin();
      if (scope) return { ok: true, session: acquired.session, scope };
    }
    return { ok: false, code: 'unavailable', message: 'the session ended; retry the request', unavailable: true };
  }

  private compileMask(
    decision: AgentDecision,
    extraRules: readonly FieldRule[],
  ): CompiledResponseMask | { readonly error: string } | undefined {
    const plan = decision.effect === 'mask' ? decision.maskPlan : undefined;
    if (!plan && extraRules.length === 0) return undefined;
    if (extraRules.length > 0) return compileResponseMask(plan, this.services.hashKey, extraRules);
    let compiled = compiledPlans.get(decision);
    if (!compiled) {
      compiled = compileResponseMask(plan, this.services.hashKey);
      compiledPlans.set(decision, compiled);
    }
    return compiled;
  }

  /** Deny (including a denied or expired review), or nothing decidable. */
  private refuseVerdict(
    res: ServerResponse,
    session: RequestSession,
    text: string,
    startedAt: number,
    verdict: Exclude<RequestVerdict, { kind: 'forward' }>,
  ): void {
    const message = refusalMessage(verdict);
    switch (verdict.kind) {
      case 'deny':
      case 'review':
        this.refuse(res, session, text, startedAt, 403, 'Forbidden', message, verdict.decision);
        return;
      case 'unavailable':
        this.refuse(res, session, text, startedAt, 503, 'ServiceUnavailable', message);
        return;
    }
  }

  private refuse(
    res: ServerResponse,
    session: RequestSession,
    text: string,
    startedAt: number,
    status: number,
    reason: string,
    message: string,
    decision?: AgentDecision,
  ): void {
    this.adapter.respondError(
      res,
      status,
      reason,
      message,
      decision ? { effect: decision.effect, ruleIds: decision.ruleIds, approvalId: decision.approvalId } : undefined,
    );
    session.recorder.record('command.completed', { text, status, refused: true, durationMs: elapsed(startedAt) });
  }

  private unauthorized(res: ServerResponse, message: string): void {
    for (const [name, value] of Object.entries(this.adapter.challenge)) res.setHeader(name, value);
    this.adapter.respondError(res, 401, 'Unauthorized', message);
  }

  private async recordOutcome(
    session: RequestSession,
    text: string,
    startedAt: number,
    outcome: ExchangeOutcome,
    previewAllowed: boolean,
  ): Promise<void> {
    // The head of the response body, as the client got it, travels in the completion (one event).
    let preview: Record<string, unknown> | undefined;
    if (outcome.preview && previewAllowed) {
      let text = outcome.masked ? outcome.preview.text : this.scrubPreview(outcome.preview.text);
      for (const secret of await this.adapter.ownSecrets()) if (secret.length >= 4) text = text.split(secret).join('[redacted]');
      preview = { contentType: outcome.contentType.slice(0, 128), text, truncated: outcome.preview.truncated };
    }
    session.recorder.record('command.completed', {
      text,
      status: outcome.status,
      durationMs: elapsed(startedAt),
      bytesIn: outcome.bytesIn,
      bytesOut: outcome.bytesOut,
      contentType: outcome.contentType.slice(0, 128),
      ...(outcome.masked ? { masked: outcome.masked } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(preview ? { preview } : {}),
    });
  }
}

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}
