// The HTTP connection's part of the request flow (docs/http.md): `http.<METHOD>` facts, JSON error
// bodies, and upstream headers carrying the agent's credentials instead of the client's token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Secret } from '../config/secret.js';
import { bearerToken, headerValue, upstreamRequestHeaders } from './header-rules.js';
import {
  MAX_QUERY_VALUE_CHARS,
  hasRequestBody,
  httpCommandFacts,
  methodOverrides,
  parseRequestTarget,
  type RequestTarget,
} from './http-request-facts.js';
import type { ClassifiedRequest, EarlyRefusal, ExtraMasking, RequestAdapter } from './request-handler.js';
import type { ExchangeLimits, RefusalDetails } from './upstream-exchange.js';

export type HttpCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: Secret }
  | { readonly kind: 'basic'; readonly username: string; readonly password: Secret }
  | { readonly kind: 'header'; readonly name: string; readonly value: Secret };

export interface HttpAdapterOptions {
  readonly dispatcher: Dispatcher;
  readonly upstream: URL;
  readonly basePath: string;
  readonly credential: HttpCredential;
  readonly limits: ExchangeLimits;
  readonly otherContentTypes: 'refuse' | 'pass';
  /** The scheme clients use (x-forwarded-proto). */
  readonly clientScheme: 'http' | 'https';
}

const NO_EXTRA_MASKING: ExtraMasking = { rules: [], previewAllowed: true };

/** Partial and conditional request fields, not forwarded when the response is masked. */
const MASKED_DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'range',
  'if-range',
  'if-none-match',
  'if-match',
  'if-modified-since',
  'if-unmodified-since',
]);

export class HttpAdapter implements RequestAdapter<RequestTarget> {
  readonly protocol = 'http';
  readonly challenge = { 'www-authenticate': 'Bearer realm="sluice"' };
  readonly dispatcher: Dispatcher;
  readonly limits: ExchangeLimits;
  readonly otherContentTypes: 'refuse' | 'pass';
  private readonly credentialHeader: string | undefined;

  constructor(private readonly options: HttpAdapterOptions) {
    this.dispatcher = options.dispatcher;
    this.limits = options.limits;
    this.otherContentTypes = options.otherContentTypes;
    this.credentialHeader = options.credential.kind === 'header' ? options.credential.name.toLowerCase() : undefined;
  }

  classify(req: IncomingMessage): ClassifiedRequest<RequestTarget> | EarlyRefusal {
    const target = parseRequestTarget(req.url ?? '');
    switch (target) {
      case 'not-origin-form':
        return { status: 400, reason: 'BadRequest', message: 'the request target must be a path (origin-form)' };
      case 'not-canonical':
        return {
          status: 400,
          reason: 'BadRequest',
          message: 'the request path has "..", ".", "//", "\\", ";", a control character or an encoded separator; send it in plain form',
        };
      case 'too-many-query-keys':
        return { status: 400, reason: 'BadRequest', message: 'too many query parameters' };
      case 'query-value-too-long':
        return { status: 400, reason: 'BadRequest', message: `a query value is longer than ${MAX_QUERY_VALUE_CHARS} characters` };
      default: {
        const method = (req.method ?? 'GET').toUpperCase();
        // TRACE echoes the request — with the agent's credentials in it — back to the client.
        if (method === 'TRACE' || method === 'TRACK')
          return { status: 405, reason: 'MethodNotAllowed', message: `${method} is never forwarded` };
        const contentType = headerValue(req.headers['content-type']);
        const overrides = methodOverrides(req.headers, target.query);
        if (overrides === 'invalid') return { status: 400, reason: 'BadRequest', message: 'a method override is not a method name' };
        return {
          facts: httpCommandFacts(method, target, contentType, overrides, hasRequestBody(req.headers)),
          received: { method, path: target.rawPath, query: target.redactedQuery, contentType: (contentType ?? '').slice(0, 128) },
          context: target,
        };
      }
    }
  }

  token(req: IncomingMessage): string | undefined {
    return bearerToken(headerValue(req.headers.authorization));
  }

  upstreamPath(_req: IncomingMessage, target: RequestTarget): string {
    return `${this.options.basePath}${target.rawPath}${target.rawQuery !== '' ? `?${target.rawQuery}` : ''}`;
  }

  upstreamHeaders(
    req: IncomingMessage,
    _session: unknown,
    _target: RequestTarget,
    masked: boolean,
  ): Promise<Record<string, string | string[]>> {
    const headers = upstreamRequestHeaders(req.headers, {
      // Masked: no partial or conditional requests — a 206/304 would describe the unmasked body.
      drop: (name) => name === this.credentialHeader || (masked && MASKED_DROPPED_REQUEST_HEADERS.has(name)),
      set: {
        host: this.options.upstream.host,
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'x-forwarded-proto': this.options.clientScheme,
        ...this.credentialHeaders(),
        // A masked body is decoded before masking: ask only for what can be decoded.
        ...(masked ? { 'accept-encoding': 'gzip, deflate, br' } : {}),
      },
    });
    return Promise.resolve(headers);
  }

  extraMasking(): Promise<ExtraMasking> {
    return Promise.resolve(NO_EXTRA_MASKING);
  }

  ownSecrets(): Promise<readonly string[]> {
    const credential = this.options.credential;
    switch (credential.kind) {
      case 'none':
        return Promise.resolve([]);
      case 'bearer':
        return Promise.resolve([credential.token.reveal()]);
      case 'basic': {
        const password = credential.password.reveal();
        return Promise.resolve([password, Buffer.from(`${credential.username}:${password}`).toString('base64')]);
      }
      case 'header':
        return Promise.resolve([credential.value.reveal()]);
    }
  }

  readonly respondError = (res: ServerResponse, status: number, reason: string, message: string, details?: RefusalDetails): void => {
    const body = JSON.stringify({
      error: reason,
      message,
      status,
      ...(details ? { effect: details.effect, ruleIds: details.ruleIds } : {}),
      ...(details?.approvalId ? { approvalId: details.approvalId } : {}),
    });
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  };

  private credentialHeaders(): Record<string, string> {
    const credential = this.options.credential;
    switch (credential.kind) {
      case 'none':
        return {};
      case 'bearer':
        return { authorization: `Bearer ${credential.token.reveal()}` };
      case 'basic':
        return { authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password.reveal()}`).toString('base64')}` };
      case 'header':
        return { [credential.name.toLowerCase()]: credential.value.reveal() };
    }
  }
}
