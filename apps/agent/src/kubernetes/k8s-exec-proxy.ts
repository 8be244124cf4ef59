// exec/attach over WebSocket (libraries.md §10 point 3; KEP-4006): the upgrade is decided like any
// request, then bridged to the apiserver with `ws` on the same channel subprotocol, and the terminal
// is recorded as asciicast. SPDY upgrades are refused with a Status pointing to WebSockets.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { splitQuery } from '../http/http-request-facts.js';
import { decidedEvent, refusalMessage, type RequestGate } from '../http/request-gate.js';
import type { RequestSession, RequestSessionPool } from '../http/request-session-pool.js';
import type { ClientInfo } from '../http/request-session-pool.js';
import { offeredProtocols, type K8sAdapter, type K8sRequestContext } from './k8s-adapter.js';
import { writeStatusToSocket, statusObject } from './k8s-status.js';
import { TerminalRecording } from './terminal-recording.js';

/** Channel subprotocols whose framing the agent understands (byte 0 = channel). */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STREAM_SUBRESOURCES = new Set(['exec', 'attach']);

const enum Channel {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  Error = 3,
  Resize = 4,
  /** v5: `[255, n]` closes stream n (stdin EOF). */
  Close = 255,
}

/** Above this much unsent data towards one side, the other side is paused (backpressure). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const UPSTREAM_HANDSHAKE_TIMEOUT_MS = 15_000;
/** Bound on the body of a refused upstream upgrade relayed to the client. */
const MAX_RELAYED_BODY_BYTES = 64 * 1024;

export interface ExecProxyOptions {
  readonly adapter: K8sAdapter;
  readonly pool: RequestSessionPool;
  readonly gate: RequestGate;
  readonly upstream: URL;
  readonly basePath: string;
  readonly tls: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly servername?: string;
    readonly rejectUnauthorized: boolean;
  };
  readonly recordStdin: boolean;
  readonly logger: Logger;
}

export class ExecProxy {
  /** The subprotocol the apiserver chose, per client request: the client gets the same one. */
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (_offered, request) => this.chosen.get(request) ?? false,
  });

  constructor(private readonly options: ExecProxyOptions) {}

  /** Handles one upgrade request; never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    this.upgrade(req, socket, head).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'internal error during an upgrade');
      writeStatusToSocket(socket, 500, 'InternalError', 'internal error in the Sluice agent');
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { adapter } = this.options;
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    const spdy = upgrade.startsWith('spdy/');
    if (!spdy && upgrade !== 'websocket') {
      writeStatusToSocket(socket, 400, 'BadRequest', `upgrade to ${upgrade.slice(0, 32) || 'nothing'} is not supported`);
      return;
    }
    const command = splitQuery((req.url ?? '').split('?')[1] ?? '')
      .filter(([k]) => k === 'command')
      .map(([, v]) => v);
    const classified = adapter.classify(req, command);
    if (!('facts' in classified)) {
      writeStatusToSocket(socket, classified.status, classified.reason, classified.message);
      return;
    }
    const { info } = classified.context;
    const token = adapter.token(req);
    if (!token) {
      writeStatusToSocket(socket, 401, 'Unauthorized', 'an access token is required: send Authorization: Bearer <token>');
      return;
    }
    const client: ClientInfo = {
      address: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
      application: req.headers['user-agent'] ?? '',
    };
    const acquired = await this.options.pool.acquire(token, client);
    if (!acquired.ok) {
      const status = acquired.code === 'invalid_token' ? 401 : acquired.unavailable ? 503 : 403;
      writeStatusToSocket(socket, status, status === 401 ? 'Unauthorized' : 'Forbidden', acquired.message);
      return;
    }
    const session = acquired.session;
    const scope = session.begin();
    if (!scope) {
      writeStatusToSocket(socket, 503, 'ServiceUnavailable', 'the session ended; retry');
      return;
    }
    let bridged = false;
    try {
      session.recorder.record('command.received', {
        text: classified.facts.text,
        ...classified.received,
        classes: classified.facts.classes,
        upgrade,
      });
      // A held exec waits for its approver before the WebSocket is accepted.
      const clientGone = new AbortController();
      socket.once('close', () => clientGone.abort());
      const verdict = await this.options.gate.decideWithHold(session, classified.facts, AbortSignal.any([clientGone.signal, scope.signal]));
      session.recorder.record('command.decided', decidedEvent(verdict));
      const refuse = (status: number, reason: string, message: string, details?: Parameters<typeof writeStatusToSocket>[4]): void => {
        writeStatusToSocket(socket, status, reason, message, details);
        session.recorder.record('command.completed', { text: classified.facts.text, status, refused: true });
      };
      if (verdict.kind !== 'forward') {
        const status = verdict.kind === 'unavailable' ? 503 : 403;
        refuse(
          status,
          status === 403 ? 'Forbidden' : 'ServiceUnavailable',
          refusalMessage(verdict),
          verdict.kind === 'unavailable'
            ? undefined
            : { effect: verdict.decision.effect, ruleIds: verdict.decision.ruleIds, approvalId: verdict.decision.approvalId },
        );
        return;
      }
      if (verdict.decision.effect === 'mask') {
        // A terminal's output cannot be masked reliably (it is a byte stream, echoes input, redraws):
        // rather than show it unmasked, refuse.
        refuse(403, 'Forbidden', 'exec and attach cannot run where policy masks results; ask for a rule that allows them unmasked');
        return;
      }
      if (spdy) {
        refuse(400, 'BadRequest', 'Sluice proxies exec and attach over WebSockets only (v5.channel.k8s.io); use kubectl 1.30 or newer');
        return;
      }
      if (!STREAM_SUBRESOURCES.has(info.subresource) || info.resource !== 'pods') {
        refuse(
          400,
          'BadRequest',
          `streaming ${info.resource}/${info.subresource || info.verb} over WebSocket is not supported through Sluice`,
        );
        return;
      }
      const protocols = offeredProtocols(req).filter((p): p is (typeof CHANNEL_PROTOCOLS)[number] =>
        (CHANNEL_PROTOCOLS as readonly string[]).includes(p),
      );
      if (protocols.length === 0) {
        refuse(400, 'BadRequest', `no supported stream protocol offered (supported: ${CHANNEL_PROTOCOLS.join(', ')})`);
        return;
      }
      bridged = true;
      this.connectUpstream(req, socket, head, session, scope, protocols, classified.context, command);
    } finally {
      if (!bridged) scope.done();
    }
  }

  private connectUpstream(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    session: RequestSession,
    scope: { signal: AbortSignal; done(): void },
    protocols: readonly string[],
    context: K8sRequestContext,
    command: readonly string[],
  ): void {
    const { options } = this;
    const scheme = options.upstream.protocol === 'https:' ? 'wss:' : 'ws:';
    const wsUrl = `${scheme}//${options.upstream.host}${options.adapter.upstreamPath(req, context)}`;
    let settled = false;
    const settle = (status: number, extra: Record<string, unknown> = {}): void => {
      if (settled) return;
      settled = true;
      session.recorder.record('command.completed', { text: context.facts.text, status, ...extra });
      scope.done();
    };
    void options.adapter
      .upstreamHeaders(req, session, context, false)
      .then((headers) => {
        // ws writes its own handshake fields and Host.
        const { 'sec-websocket-key': _k, 'sec-websocket-version': _v, 'sec-websocket-extensions': _e, host: _h, ...forwarded } = headers;
        const upstream = new WebSocket(wsUrl, [...protocols], {
          headers: forwarded as Record<string, string>,
          ...options.tls,
          perMessageDeflate: false,
          maxPayload: MAX_FRAME_BYTES,
          handshakeTimeout: UPSTREAM_HANDSHAKE_TIMEOUT_MS,
        });
        const abort = (): void => {
          writeStatusToSocket(socket, 403, 'Forbidden', (scope.signal.reason as Error).message);
          settle(403, { refused: true });
          upstream.terminate();
        };
        scope.signal.addEventListener('abort', abort, { once: true });
        upstream.once('unexpected-response', (_request, response) => {
          scope.signal.removeEventListener('abort', abort);
          relayRefusedUpgrade(response, socket);
          settle(response.statusCode ?? 502);
        });
        upstream.on('error', (error) => {
          scope.signal.removeEventListener('abort', abort);
          if (settled) return;
          options.logger.warn({ err: error.message }, 'upstream WebSocket failed');
          writeStatusToSocket(socket, 502, 'BadGateway', 'the apiserver stream could not be opened');
          settle(502, { error: 'upstream stream failed' });
        });
        upstream.once('open', () => {
          scope.signal.removeEventListener('abort', abort);
          upstream.removeAllListeners('error');
          this.chosen.set(req, upstream.protocol);
          this.server.handleUpgrade(req, socket, head, (client) => {
            settled = true;
            bridge(client, upstream, {
              session,
              scope,
              v5: upstream.protocol === 'v5.channel.k8s.io',
              recordStdin: options.recordStdin,
              // What was decided (and approved) is the request's parameters: no stdin unless it asked.
              stdinRequested: splitQuery((req.url ?? '').split('?')[1] ?? '').some(
                ([k, v]) => k === 'stdin' && (v === 'true' || v === '1'),
              ),
              command,
              title: context.rawPath,
              text: context.facts.text,
              logger: options.logger,
            });
          });
        });
      })
      .catch((error: unknown) => {
        options.logger.warn({ err: (error as Error).message }, 'could not prepare the upstream stream');
        writeStatusToSocket(socket, 502, 'BadGateway', 'the apiserver stream could not be opened');
        settle(502, { error: 'upstream stream not prepared' });
      });
  }

  close(): void {
    this.server.close();
  }
}

interface BridgeOptions {
  readonly session: RequestSession;
  readonly scope: { signal: AbortSignal; done(): void };
  readonly v5: boolean;
  readonly recordStdin: boolean;
  /** The request asked for stdin (`stdin=true`); otherwise stdin frames are dropped. */
  readonly stdinRequested: boolean;
  readonly command: readonly string[];
  readonly title: string;
  readonly text: string;
  readonly logger: Logger;
}

/**
 * Terminal bytes one exec may produce (and have recorded); beyond, the stream is ended rather than
 * let one noisy terminal fill the recording queue and stop every session on the agent.
 */
export const MAX_TERMINAL_BYTES = 64 * 1024 * 1024;

/** Frames flow both ways untouched; channels 0–4 are read for the recording. */
function bridge(client: WebSocket, upstream: WebSocket, options: BridgeOptions): void {
  const { session, scope } = options;
  const recording = new TerminalRecording(session.recorder, {
    width: 80,
    height: 24,
    ...(options.command.length > 0 ? { command: options.command.join(' ') } : {}),
    title: options.title,
  });
  let exitStatus: Record<string, unknown> | undefined;
  let ended = false;

  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    recording.end({ reason, ...(exitStatus ? { status: exitStatus } : {}) });
    session.recorder.record('command.completed', { text: options.text, status: 101, ...(exitStatus ? { exitStatus } : {}), reason });
    scope.done();
  };

  const forward = (from: WebSocket, to: WebSocket, data: RawData, isBinary: boolean): void => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      if (to.bufferedAmount < HIGH_WATER_BYTES && from.isPaused) from.resume();
    });
    if (to.bufferedAmount >= HIGH_WATER_BYTES) from.pause();
  };

  let terminalBytes = 0;
  const counted = (bytes: number): boolean => {
    terminalBytes += bytes;
    if (terminalBytes <= MAX_TERMINAL_BYTES) return true;
    const reason = Buffer.from('terminal output limit reached: the session cannot be recorded further');
    closeOther(client, 1008, reason);
    closeOther(upstream, 1000, reason);
    end('terminal output limit reached');
    return false;
  };

  client.on('message', (data, isBinary) => {
    const frame = toBuffer(data);
    if (isBinary && frame.length > 0) {
      const channel = frame[0];
      if (channel === Channel.Stdin && !options.stdinRequested) return;
      if (channel === Channel.Stdin && !counted(frame.length)) return;
      if (channel === Channel.Stdin && options.recordStdin) recording.input(frame.subarray(1));
      else if (channel === Channel.Resize) {
        const size = parseResize(frame.subarray(1));
        if (size) recording.resize(size.width, size.height);
      }
    }
    forward(client, upstream, data, isBinary);
  });
  upstream.on('message', (data, isBinary) => {
    const frame = toBuffer(data);
    if (isBinary && frame.length > 0) {
      const channel = frame[0];
      if ((channel === Channel.Stdout || channel === Channel.Stderr) && !counted(frame.length)) return;
      if (channel === Channel.Stdout) recording.output('stdout', frame.subarray(1));
      else if (channel === Channel.Stderr) recording.output('stderr', frame.subarray(1));
      else if (channel === Channel.Error) exitStatus = parseStatus(frame.subarray(1));
      else if (channel === Channel.Close && !options.v5) options.logger.debug('close frame on a v4 stream');
    }
    forward(upstream, client, data, isBinary);
  });

  const closeOther = (other: WebSocket, code: number, reason: Buffer): void => {
    if (other.readyState === WebSocket.OPEN || other.readyState === WebSocket.CONNECTING)
      other.close(sendableCode(code), reason.subarray(0, 123));
  };
  client.on('close', (code, reason) => {
    closeOther(upstream, code, reason);
    end('client closed');
  });
  upstream.on('close', (code, reason) => {
    closeOther(client, code, reason);
    end('stream ended');
  });
  client.on('error', (error) => options.logger.debug({ err: error.message }, 'client WebSocket error'));
  upstream.on('error', (error) => options.logger.debug({ err: error.message }, 'upstream WebSocket error'));

  // Revocation or termination mid-stream: tell the client why on the error channel, then close.
  scope.signal.addEventListener(
    'abort',
    () => {
      const message = (scope.signal.reason as Error).message;
      if (client.readyState === WebSocket.OPEN) {
        client.send(Buffer.concat([Buffer.from([Channel.Error]), Buffer.from(JSON.stringify(statusObject(403, 'Forbidden', message)))]));
        client.close(1000);
      }
      upstream.terminate();
      end(`session ended: ${message}`);
    },
    { once: true },
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const value = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const width = Number(value.Width);
    const height = Number(value.Height);
    return Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width < 10_000 && height < 10_000
      ? { width, height }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The channel-3 Status: `Success`, or `Failure` with `NonZeroExitCode` and the exit code in causes. */
function parseStatus(data: Buffer): Record<string, unknown> | undefined {
  try {
    const status = JSON.parse(data.toString('utf8')) as {
      status?: unknown;
      reason?: unknown;
      message?: unknown;
      details?: { causes?: { reason?: unknown; message?: unknown }[] };
    };
    const exit = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    return {
      status: typeof status.status === 'string' ? status.status : 'unknown',
      ...(typeof status.reason === 'string' ? { reason: status.reason } : {}),
      exitCode: status.status === 'Success' ? 0 : typeof exit === 'string' ? Number(exit) : null,
    };
  } catch {
    return { status: 'unreadable' };
  }
}

/** 1005/1006/1015 are reserved: they may not be sent in a close frame. */
function sendableCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 || code < 1000 || code >= 5000 ? 1000 : code;
}

/** A refused upgrade (e.g. 403 from RBAC, 404 pod) is relayed as it came, body bounded. */
function relayRefusedUpgrade(response: IncomingMessage, socket: Duplex): void {
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    if (size < MAX_RELAYED_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_RELAYED_BODY_BYTES - size));
    size += chunk.length;
  });
  response.on('end', () => {
    const body = Buffer.concat(chunks);
    const status = response.statusCode ?? 502;
    const type = response.headers['content-type'] ?? 'application/json';
    if (!socket.writable) return;
    socket.end(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 ${status} ${response.statusMessage ?? ''}\r\ncontent-type: ${type.replace(/[\r\n]/g, '')}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        ),
        body,
      ]),
    );
  });
  response.on('error', () => socket.destroy());
}
