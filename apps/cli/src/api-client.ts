import { ApiError, CliError } from './cli-errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The control plane's base URL, normalised (no trailing slash, no query): the key tokens are stored
 * under. Plain http is accepted for loopback only, unless the environment allows it explicitly —
 * a bearer token over plain http to another host is readable by anyone on the way.
 */
export function normaliseServer(text: string, env: Readonly<Record<string, string | undefined>>): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--server: not a URL: ${text}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`--server: use an http(s) URL, not ${url.protocol}`);
  if (url.username || url.password) throw new CliError('--server: put no credentials in the URL; use sluice login');
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && env.SLUICE_ALLOW_HTTP !== '1') {
    throw new CliError(
      `refusing plain http to ${url.host}: tokens would cross the network unencrypted. Use https (or set SLUICE_ALLOW_HTTP=1 on a network you trust)`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** The REST API of one control plane, with one bearer token. Every call has a deadline. */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** Sends a request; resolves with the response when it is 2xx, throws ApiError (with the server's message) otherwise. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.server}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson;q=0.9, */*;q=0.1' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        // Never follow a redirect with the token attached.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new CliError(`${method} ${url.pathname}: ${networkReason(error, this.server, timeoutMs)}`);
    }
    if (!response.ok) {
      const message = serverMessage(await response.text().catch(() => ''));
      const error = new ApiError(response.status, method, url.pathname, message);
      if (response.status === 401) throw new CliError(`${error.message} (run "sluice login" to sign in again)`);
      throw error;
    }
    return response;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new CliError(`${method} ${path}: the server did not answer with JSON`);
    }
  }
}

/** The message of a JSON error body (Nest: `message`, a string or a list; policy: `errors`). */
export function serverMessage(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.trim().slice(0, 500);
  }
  if (typeof parsed !== 'object' || parsed === null) return String(parsed).slice(0, 500);
  const { message, errors, error } = parsed as { message?: unknown; errors?: unknown; error?: unknown };
  const parts: string[] = [];
  if (typeof message === 'string') parts.push(message);
  else if (Array.isArray(message)) parts.push(message.map(String).join('; '));
  if (Array.isArray(errors)) {
    for (const item of errors) {
      const e = item as { path?: unknown; message?: unknown };
      const text = typeof e.message === 'string' ? e.message : JSON.stringify(item);
      parts.push(typeof e.path === 'string' ? `${e.path}: ${text}` : text);
    }
  }
  if (parts.length === 0 && typeof error === 'string') parts.push(error);
  return parts.join('; ').slice(0, 2000);
}

function networkReason(error: unknown, server: string, timeoutMs: number): string {
  const e = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${server} within ${timeoutMs / 1000} s`;
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return `cannot reach ${server} (connection refused): is the control plane running?`;
  if (code === 'ENOTFOUND') return `cannot resolve the host of ${server}`;
  if (e.message?.includes('redirect')) return `the server answered with a redirect, which is not followed (the token would go along)`;
  return `cannot reach ${server}: ${code ?? e.cause?.message ?? e.message ?? 'network error'}`;
}
