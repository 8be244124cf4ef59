// One request forwarded to the upstream and its response streamed back: both bodies stream (bounded
// memory), the request body is size-limited, a masked response is decompressed and rewritten, and
// the outcome is reported once for the recording. Shared by the HTTP and Kubernetes listeners.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { clientResponseHeaders } from './header-rules.js';
import { MaskingTransform, ResponseMeter, classifyBody, decoderFor, type BodyKind, type CompiledResponseMask } from './response-masking.js';
import { SessionEndedError } from './request-session-pool.js';

export interface ExchangeLimits {
  readonly maxRequestBodyBytes: number;
  readonly upstreamHeadersTimeoutMs: number;
  readonly upstreamBodyIdleTimeoutMs: number;
  readonly maxMaskedValueBytes: number;
  readonly previewBytes: number;
}

/** What a policy refusal adds to the error body: which rules, which effect, which approval. */
export interface RefusalDetails {
  readonly effect: string;
  readonly ruleIds: readonly string[];
  readonly approvalId: string;
}

/** How a protocol answers with its own error format (JSON for HTTP, a Status for Kubernetes). */
export type ErrorResponder = (res: ServerResponse, status: number, reason: string, message: string, details?: RefusalDetails) => void;

export interface ExchangeOutcome {
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly contentType: string;
  readonly bodyKind: BodyKind;
  readonly masked: { readonly maskedValues: number; readonly detectorHits: number } | undefined;
  /** Set when the exchange failed or was cut short; never contains body data. */
  readonly error: string | undefined;
  readonly preview: { readonly text: string; readonly truncated: boolean } | undefined;
}

export interface ExchangeRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly dispatcher: Dispatcher;
  /** Path and query as sent upstream. */
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly signal: AbortSignal;
  /** Undefined: the response passes untouched. */
  readonly mask: CompiledResponseMask | undefined;
  /** A masked response that is neither JSON nor text. */
  readonly otherContentTypes: 'refuse' | 'pass';
  readonly limits: ExchangeLimits;
  readonly respondError: ErrorResponder;
  readonly extraResponseHeaders?: Readonly<Record<string, string>>;
}

/** How much masked output may wait before the response head is committed (see ResponseMeter). */
const HEAD_HOLD = { bytes: 64 * 1024, ms: 200 } as const;

/** Statuses and methods that carry no response body (RFC 9110 §6.4.1). */
function hasResponseBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
}

/**
 * Forwards and streams back; resolves once the client's response is over (finished, failed or cut
 * short), with what happened.
 */
export function forwardExchange(request: ExchangeRequest): Promise<ExchangeOutcome> {
  const { req, res, limits } = request;
  const method = (req.method ?? 'GET').toUpperCase();
  const declaredLength = Number(req.headers['content-length'] ?? '0');
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const empty: Omit<ExchangeOutcome, 'status' | 'error'> = {
    bytesIn: 0,
    bytesOut: 0,
    contentType: '',
    bodyKind: 'other',
    masked: undefined,
    preview: undefined,
  };

  if (limits.maxRequestBodyBytes > 0 && declaredLength > limits.maxRequestBodyBytes) {
    request.respondError(res, 413, 'RequestEntityTooLarge', `the request body exceeds ${limits.maxRequestBodyBytes} bytes`);
    return Promise.resolve({ ...empty, status: 413, error: 'request body too large' });
  }

  const counter = new ByteCounter(limits.maxRequestBodyBytes);
  // Errors on either side of the request body are reported through undici's request (or the
  // response's close); these listeners only keep them from being unhandled.
  req.on('error', () => undefined);
  counter.on('error', () => undefined);
  const body = declaredLength > 0 || chunked ? req.pipe(counter) : null;
  const controller = new AbortController();
  const abortUpstream = (reason: unknown): void => controller.abort(reason);
  request.signal.addEventListener('abort', () => abortUpstream(request.signal.reason), { once: true });
  res.once('close', () => {
    if (!res.writableFinished) abortUpstream(new Error('client went away'));
  });

  return new Promise<ExchangeOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: ExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };

    request.dispatcher
      .request({
        path: request.path,
        method,
        headers: request.headers,
        body,
        signal: controller.signal,
        headersTimeout: limits.upstreamHeadersTimeoutMs,
        bodyTimeout: limits.upstreamBodyIdleTimeoutMs,
      })
      .then(
        (upstream) => streamBack(request, method, upstream, counter, finish),
        (error: unknown) => {
          const { status, reason, message } = describeUpstreamError(error, counter, request.signal);
          if (!res.headersSent && !res.destroyed) request.respondError(res, status, reason, message);
          finish({ ...empty, bytesIn: counter.bytes, status, error: message });
        },
      );
  });
}

function streamBack(
  request: ExchangeRequest,
  method: string,
  upstream: Dispatcher.ResponseData,
  counter: ByteCounter,
  finish: (outcome: ExchangeOutcome) => void,
): void {
  const { res, mask, limits } = request;
  const contentType = headerString(upstream.headers['content-type']);
  const bodyKind = classifyBody(contentType);
  const withBody = hasResponseBody(method, upstream.statusCode);
  const base = { status: upstream.statusCode, contentType: contentType ?? '', bodyKind };

  let decoder: Transform | undefined;
  let masker: MaskingTransform | undefined;
  if (mask && withBody) {
    const refuse = (message: string): void => {
      // Destroying the body makes it emit an abort error: expected here, so it is swallowed.
      upstream.body.on('error', () => undefined);
      upstream.body.destroy();
      request.respondError(res, 502, 'BadGateway', message);
      finish({ ...base, status: 502, bytesIn: counter.bytes, bytesOut: 0, masked: undefined, preview: undefined, error: message });
    };
    if (bodyKind === 'other' && request.otherContentTypes === 'refuse') {
      refuse('the response must be masked but its content type cannot be (only JSON and UTF-8 text can)');
      return;
    }
    if (bodyKind === 'text' && mask.rules.length > 0) {
      // Field rules name JSON keys; text (JSONP, CSV, HTML…) has none, so they could not apply.
      refuse('the response must be masked by field but is text, not JSON');
      return;
    }
    if (bodyKind !== 'other') {
      const decoded = decoderFor(headerString(upstream.headers['content-encoding']));
      if (decoded === 'unsupported') {
        refuse('the response must be masked but its content encoding cannot be decoded');
        return;
      }
      decoder = decoded;
      masker = new MaskingTransform(bodyKind, mask, { maxValueChars: limits.maxMaskedValueBytes });
    }
  }

  const rewritten = masker !== undefined;
  const headers = {
    // Masked or not rewritten (HEAD, 304, no body): validators and lengths of the unmasked
    // representation (ETag, Content-Length, digests) would still describe — and leak — it.
    ...clientResponseHeaders(upstream.headers, rewritten || mask !== undefined),
    ...(rewritten ? { 'x-sluice-masked': 'true' } : {}),
    ...request.extraResponseHeaders,
  };
  const previewBytes = bodyKind === 'json' ? limits.previewBytes : 0;
  const meter = new ResponseMeter(previewBytes, rewritten ? HEAD_HOLD : undefined);
  const outcome = (error: string | undefined, status = upstream.statusCode): ExchangeOutcome => ({
    ...base,
    status,
    bytesIn: counter.bytes,
    bytesOut: meter.bytes,
    masked: masker?.maskingStats,
    error,
    preview: previewBytes > 0 && meter.bytes > 0 ? { text: meter.previewText(), truncated: meter.truncated } : undefined,
  });

  if (!rewritten) {
    // The fast path: headers now, bytes as they come.
    res.writeHead(upstream.statusCode, headers);
    pipeline(upstream.body, meter, res, (error) => finish(outcome(error ? describeStreamError(error) : undefined)));
    return;
  }

  // Masked: the head waits for the first masked bytes, so a body that fails early still gets a clean error.
  let failure: { message: string; status: number } | undefined;
  res.once('close', () => {
    const cut = res.writableFinished ? undefined : 'client went away';
    finish(outcome(failure?.message ?? cut, failure?.status));
  });
  const head = (): void => {
    if (!res.headersSent) res.writeHead(upstream.statusCode, headers);
  };
  meter.onFirstBytes = head;
  meter.pipe(res);
  const stages: (Readable | Transform)[] = [upstream.body, ...(decoder ? [decoder] : []), ...(masker ? [masker] : []), meter];
  pipeline(stages as unknown as [Readable, Transform], (error) => {
    if (!error) {
      head();
      return;
    }
    const message = describeStreamError(error);
    meter.unpipe(res);
    if (!res.headersSent) {
      failure = { message, status: 502 };
      request.respondError(res, 502, 'BadGateway', `the response could not be masked, so it was not sent (${message})`);
    } else {
      // Part of the masked body went out; cut the rest rather than send anything unmasked.
      failure = { message, status: upstream.statusCode };
      res.destroy();
    }
  });
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeUpstreamError(
  error: unknown,
  counter: ByteCounter,
  signal: AbortSignal,
): { status: number; reason: string; message: string } {
  if (signal.aborted && signal.reason instanceof SessionEndedError) {
    const code = signal.reason.code;
    if (code === 'redecide') return { status: 503, reason: 'ServiceUnavailable', message: signal.reason.message };
    const status = code === 'revoked' || code === 'terminated' ? 403 : 401;
    return { status, reason: status === 403 ? 'Forbidden' : 'Unauthorized', message: signal.reason.message };
  }
  if (counter.exceeded) return { status: 413, reason: 'RequestEntityTooLarge', message: `the request body exceeds ${counter.limit} bytes` };
  if (error instanceof undiciErrors.HeadersTimeoutError)
    return { status: 504, reason: 'Timeout', message: 'the upstream did not answer in time' };
  if (error instanceof undiciErrors.HeadersOverflowError)
    return { status: 502, reason: 'BadGateway', message: 'the upstream sent oversized headers' };
  if (error instanceof undiciErrors.RequestAbortedError) return { status: 499, reason: 'ClientClosed', message: 'the request was aborted' };
  const code = (error as { code?: string }).code ?? 'error';
  return { status: 502, reason: 'BadGateway', message: `the upstream could not be reached (${code})` };
}

function describeStreamError(error: Error): string {
  if (error.name === 'JsonMaskingError' || error.name === 'TextMaskingError') return error.message;
  const code = (error as { code?: string }).code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return 'the stream was cut short';
  if (code?.startsWith('Z_')) return 'the compressed body could not be decoded';
  return code ?? error.name;
}

/** Counts request body bytes and fails the stream past the limit (0: no limit). */
class ByteCounter extends Transform {
  bytes = 0;
  exceeded = false;

  constructor(readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit > 0 && this.bytes > this.limit) {
      this.exceeded = true;
      callback(new Error('request body too large'));
      return;
    }
    callback(null, chunk);
  }
}
