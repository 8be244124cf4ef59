// The Kubernetes connection's part of the request flow (docs/kubernetes.md): apiserver request
// attributes as facts, Status errors, the agent's credentials plus impersonation upstream, and
// Secret data masked unless policy allows revealing it.
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { bearerToken, headerValue, upstreamRequestHeaders } from '../http/header-rules.js';
import { MAX_QUERY_VALUE_CHARS, hasRequestBody, parseRequestTarget, type RequestTargetProblem } from '../http/http-request-facts.js';
import { decidedEvent, type RequestGate } from '../http/request-gate.js';
import type { ClassifiedRequest, EarlyRefusal, ExtraMasking, RequestAdapter } from '../http/request-handler.js';
import type { RequestSession } from '../http/request-session-pool.js';
import type { ExchangeLimits } from '../http/upstream-exchange.js';
import type { AgentDecision, CommandFacts } from '../link/link-types.js';
import { REVEAL_SECRETS_CLASS, k8sCommandFacts, returnsSecrets } from './k8s-command-classes.js';
import { impersonationHeaders, type ImpersonationConfig, type TokenFile } from './k8s-credentials.js';
import { parseK8sRequest, type K8sRequestInfo, type K8sRequestProblem } from './k8s-request-info.js';
import { SECRET_FIELD_RULES } from './k8s-secret-masking.js';
import { respondStatus } from './k8s-status.js';

export interface K8sRequestContext {
  readonly info: K8sRequestInfo;
  readonly facts: CommandFacts;
  readonly rawPath: string;
  readonly rawQuery: string;
}

export interface K8sAdapterOptions {
  readonly dispatcher: Dispatcher;
  readonly upstream: URL;
  readonly basePath: string;
  readonly tokenFile: TokenFile | undefined;
  readonly impersonation: ImpersonationConfig;
  readonly limits: ExchangeLimits;
  readonly gate: RequestGate;
}

/** `Sec-WebSocket-Protocol` entry carrying a bearer token (browser clients; client-go's wsstream). */
const WS_TOKEN_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export class K8sAdapter implements RequestAdapter<K8sRequestContext> {
  readonly protocol = 'kubernetes';
  readonly challenge = { 'www-authenticate': 'Bearer realm="sluice"' };
  readonly respondError = respondStatus;
  readonly dispatcher: Dispatcher;
  readonly limits: ExchangeLimits;
  /** Kubernetes responses that must be masked are JSON (Accept is rewritten); anything else is refused. */
  readonly otherContentTypes = 'refuse' as const;

  constructor(private readonly options: K8sAdapterOptions) {
    this.dispatcher = options.dispatcher;
    this.limits = options.limits;
  }

  classify(req: IncomingMessage, execCommand: readonly string[] = []): ClassifiedRequest<K8sRequestContext> | EarlyRefusal {
    const url = req.url ?? '';
    const method = (req.method ?? 'GET').toUpperCase();
    const info = parseK8sRequest(method, url);
    const target = parseRequestTarget(url);
    if (typeof info === 'string') return { status: 400, reason: 'BadRequest', message: problemMessage(info) };
    if (typeof target === 'string') return { status: 400, reason: 'BadRequest', message: problemMessage(target) };
    const facts = k8sCommandFacts(method, url, info, execCommand, hasRequestBody(req.headers));
    return {
      facts,
      received: {
        method,
        path: target.rawPath,
        query: target.redactedQuery,
        verb: info.verb,
        apiGroup: info.apiGroup,
        resource: info.resource,
        subresource: info.subresource,
        namespace: info.namespace,
        name: info.name,
        ...(execCommand.length > 0 ? { command: execCommand } : {}),
      },
      context: { info, facts, rawPath: target.rawPath, rawQuery: target.rawQuery },
    };
  }

  token(req: IncomingMessage): string | undefined {
    const header = bearerToken(headerValue(req.headers.authorization));
    if (header) return header;
    for (const protocol of offeredProtocols(req)) {
      if (!protocol.startsWith(WS_TOKEN_PREFIX)) continue;
      const decoded = Buffer.from(protocol.slice(WS_TOKEN_PREFIX.length), 'base64url').toString('utf8');
      return bearerToken(`Bearer ${decoded}`);
    }
    return undefined;
  }

  upstreamPath(_req: IncomingMessage, context: K8sRequestContext): string {
    return `${this.options.basePath}${context.rawPath}${context.rawQuery !== '' ? `?${context.rawQuery}` : ''}`;
  }

  async upstreamHeaders(
    req: IncomingMessage,
    session: RequestSession,
    _context: K8sRequestContext,
    masked: boolean,
  ): Promise<Record<string, string | string[]>> {
    const token = await this.options.tokenFile?.token();
    const headers = upstreamRequestHeaders(req.headers, {
      drop: (name) => name.startsWith('impersonate-') || name === 'sec-websocket-protocol',
      set: {
        host: this.options.upstream.host,
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...impersonationHeaders(this.options.impersonation, session.principal),
      },
    });
    if (masked) {
      // Only JSON can be masked: ask for JSON (protobuf or CBOR would pass unseen), and for the body as is.
      headers.accept = jsonOnlyAccept(headerValue(req.headers.accept));
      headers['accept-encoding'] = 'gzip, deflate, br';
    }
    return headers;
  }

  async ownSecrets(): Promise<readonly string[]> {
    const token = await this.options.tokenFile?.token();
    return token === undefined ? [] : [token];
  }

  /** Secret data stays masked unless a separate `k8s.secrets.reveal` decision allows it. */
  async extraMasking(session: RequestSession, context: K8sRequestContext, decision: AgentDecision): Promise<ExtraMasking> {
    if (!returnsSecrets(context.info)) return { rules: [], previewAllowed: true };
    if (decision.effect === 'allow') {
      const reveal: CommandFacts = {
        ...context.facts,
        classes: [REVEAL_SECRETS_CLASS],
        fingerprint: `${context.facts.fingerprint}\u0000reveal`,
      };
      const verdict = await this.options.gate.decide(session, reveal);
      session.recorder.record('command.reveal-decided', decidedEvent(verdict));
      if (verdict.kind === 'forward' && verdict.decision.effect === 'allow') return { rules: [], previewAllowed: false };
    }
    return { rules: SECRET_FIELD_RULES, previewAllowed: true };
  }
}

export function offeredProtocols(req: IncomingMessage): string[] {
  return (headerValue(req.headers['sec-websocket-protocol']) ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * Keeps the JSON entries of an Accept header (with their parameters, e.g. `;as=Table;g=meta.k8s.io;v=v1`);
 * `*` types become plain JSON.
 */
export function jsonOnlyAccept(accept: string | undefined): string {
  const kept: string[] = [];
  for (const entry of (accept ?? '').split(',')) {
    const trimmed = entry.trim();
    const type = (trimmed.split(';')[0] ?? '').trim().toLowerCase();
    if (type === 'application/json') kept.push(trimmed);
    else if ((type === '*/*' || type === 'application/*') && !kept.includes('application/json')) kept.push('application/json');
  }
  return kept.length > 0 ? kept.join(', ') : 'application/json';
}

function problemMessage(problem: K8sRequestProblem | RequestTargetProblem): string {
  switch (problem) {
    case 'not-origin-form':
      return 'the request target must be a path';
    case 'non-canonical-path':
    case 'not-canonical':
      return 'the request path is not canonical (empty, "." or ".." segments, backslashes, control characters or bad escapes)';
    case 'query-value-too-long':
      return `a query value is longer than ${MAX_QUERY_VALUE_CHARS} characters`;
    case 'invalid-segment':
      return 'the request path names an invalid resource';
    case 'too-many-query-keys':
      return 'too many query parameters';
  }
}
