import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import {
  BackendDecoder,
  ScramSha256Client,
  chooseSaslMechanism,
  decodeBackendMessage,
  encodeFrontendMessage,
  encodePasswordMessage,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  type BackendFrame,
  type ErrorResponseMessage,
} from '@sluice/postgres-wire';

/** How the agent reaches the real PostgreSQL (libpq's sslmode names). */
export type BackendSslMode = 'disable' | 'prefer' | 'require' | 'verify-full';

export interface BackendTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Revealed only here, to answer the server's authentication challenge. */
  readonly password: () => string;
  readonly sslMode: BackendSslMode;
  readonly caCertificate?: Buffer | undefined;
  readonly connectTimeoutMs: number;
}

/** A backend connection that finished startup and is ready for queries. */
export interface BackendSession {
  readonly socket: Socket;
  readonly decoder: BackendDecoder;
  readonly parameters: ReadonlyMap<string, string>;
  /** Every ParameterStatus frame, to replay to the client as-is. */
  readonly parameterFrames: readonly Buffer[];
  readonly processId: number;
  readonly secretKey: Buffer;
  /** Frames that arrived after ReadyForQuery in the same chunk (normally none). */
  readonly pending: readonly BackendFrame[];
}

/** The backend refused us or misbehaved. `serverError` is set when it sent an ErrorResponse. */
export class BackendConnectError extends Error {
  constructor(
    message: string,
    readonly serverError?: ErrorResponseMessage,
  ) {
    super(message);
    this.name = 'BackendConnectError';
  }
}

const SSL_REQUEST = encodeFrontendMessage({ kind: 'SSLRequest' });

/**
 * Connects to the real server with the agent's own credentials: optional TLS, StartupMessage
 * (protocol 3.0), then cleartext, MD5 or SCRAM-SHA-256 — and for SCRAM we accept AuthenticationOk
 * only after verifying the server's signature, so a fake server cannot skip the proof.
 */
export async function connectBackend(target: BackendTarget, startupParameters: ReadonlyMap<string, string>): Promise<BackendSession> {
  const raw = await openSocket(target);
  let socket: Socket = raw;
  try {
    socket = await negotiateTls(raw, target);
    return await startup(socket, target, startupParameters);
  } catch (error) {
    socket.destroy();
    raw.destroy();
    throw error;
  }
}

function openSocket(target: BackendTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BackendConnectError(`could not reach the database within ${target.connectTimeoutMs} ms`));
    }, target.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new BackendConnectError(`could not reach the database: ${error.code ?? error.message}`));
    });
  });
}

async function negotiateTls(socket: Socket, target: BackendTarget): Promise<Socket> {
  if (target.sslMode === 'disable') return socket;
  socket.write(SSL_REQUEST);
  const answer = await readBytes(socket, 1, target.connectTimeoutMs);
  if (answer[0] === 0x4e /* 'N' */) {
    if (target.sslMode === 'prefer') return socket;
    throw new BackendConnectError(`the database does not offer TLS (sslmode=${target.sslMode})`);
  }
  if (answer[0] !== 0x53 /* 'S' */) throw new BackendConnectError('the database answered SSLRequest with neither S nor N');
  const options: ConnectionOptions = {
    socket,
    servername: target.host,
    ALPNProtocols: ['postgresql'],
    rejectUnauthorized: target.sslMode === 'verify-full',
    ...(target.caCertificate ? { ca: target.caCertificate } : {}),
  };
  return new Promise((resolve, reject) => {
    const tls = connectTls(options);
    tls.once('secureConnect', () => {
      tls.removeAllListeners('error');
      resolve(tls);
    });
    tls.once('error', (error: Error) => reject(new BackendConnectError(`TLS to the database failed: ${error.message}`)));
  });
}

/** Reads exactly `count` bytes that arrive before anything else (the SSLRequest answer). */
function readBytes(socket: Socket, count: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new BackendConnectError('the database did not answer in time')), timeoutMs);
    const onReadable = (): void => {
      const chunk = socket.read(count) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      resolve(chunk);
    };
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onError = (error: Error) => fail(new BackendConnectError(`database connection failed: ${error.message}`));
    const onEnd = () => fail(new BackendConnectError('the database closed the connection'));
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('end', onEnd);
    };
    socket.on('readable', onReadable);
    socket.once('error', onError);
    socket.once('end', onEnd);
    onReadable();
  });
}

async function startup(socket: Socket, target: BackendTarget, startupParameters: ReadonlyMap<string, string>): Promise<BackendSession> {
  const parameters = new Map<string, string>([...startupParameters, ['user', target.user], ['database', target.database]]);
  socket.write(encodeFrontendMessage({ kind: 'StartupMessage', protocolVersion: { major: 3, minor: 0 }, parameters }));

  const decoder = new BackendDecoder();
  const frames = frameStream(socket, decoder, target.connectTimeoutMs);
  const serverParameters = new Map<string, string>();
  const parameterFrames: Buffer[] = [];
  let scram: ScramSha256Client | undefined;
  let processId = 0;
  let secretKey: Buffer = Buffer.alloc(0);

  for (;;) {
    const frame = await frames.next();
    const message = decodeBackendMessage(frame);
    switch (message.kind) {
      case 'AuthenticationCleartextPassword':
        socket.write(encodePasswordMessage(target.password()));
        break;
      case 'AuthenticationMD5Password':
        socket.write(encodePasswordMessage(md5Password(target.user, target.password(), message.salt)));
        break;
      case 'AuthenticationSASL': {
        const mechanism = chooseSaslMechanism(message.mechanisms);
        if (mechanism === undefined)
          throw new BackendConnectError(`the database offers no supported SASL mechanism (${message.mechanisms.join(', ')})`);
        scram = new ScramSha256Client({ password: target.password() });
        socket.write(encodeSASLInitialResponse(mechanism, scram.clientFirstMessage()));
        break;
      }
      case 'AuthenticationSASLContinue':
        if (!scram) throw new BackendConnectError('SASLContinue without a SASL exchange');
        socket.write(encodeSASLResponse(await scram.clientFinalMessage(message.data)));
        break;
      case 'AuthenticationSASLFinal':
        if (!scram) throw new BackendConnectError('SASLFinal without a SASL exchange');
        scram.verifyServerFinal(message.data);
        break;
      case 'AuthenticationOk':
        if (scram && !scram.verified) throw new BackendConnectError('the database skipped the SCRAM server proof');
        break;
      case 'ParameterStatus':
        serverParameters.set(message.name, message.value);
        parameterFrames.push(frame.raw);
        break;
      case 'BackendKeyData':
        processId = message.processId;
        secretKey = message.secretKey;
        break;
      case 'NoticeResponse':
      case 'NegotiateProtocolVersion':
        break;
      case 'ErrorResponse':
        throw new BackendConnectError(`the database refused the agent's connection: ${message.code} ${message.message}`, message);
      case 'ReadyForQuery':
        frames.stop();
        return { socket, decoder, parameters: serverParameters, parameterFrames, processId, secretKey, pending: frames.rest() };
      default:
        throw new BackendConnectError(`unexpected ${message.kind} during startup`);
    }
  }
}

/** md5 authentication: 'md5' + md5(md5(password + user) + salt), hex. */
function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user, 'utf8')
    .digest('hex');
  return `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner, 'utf8'), salt]))
    .digest('hex')}`;
}

/** Pull-style access to backend frames during startup, with one deadline for the whole exchange. */
function frameStream(socket: Socket, decoder: BackendDecoder, timeoutMs: number) {
  const queue: BackendFrame[] = [];
  let waiter: { resolve: (f: BackendFrame) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    waiter?.reject(failure);
    waiter = undefined;
  };
  const onData = (chunk: Buffer): void => {
    try {
      queue.push(...decoder.push(chunk));
    } catch (error) {
      fail(new BackendConnectError(`malformed data from the database: ${(error as Error).message}`));
      return;
    }
    const next = queue.shift();
    if (next && waiter) {
      waiter.resolve(next);
      waiter = undefined;
    } else if (next) queue.unshift(next);
  };
  const onEnd = () => fail(new BackendConnectError('the database closed the connection during startup'));
  const onError = (error: Error) => fail(new BackendConnectError(`database connection failed: ${error.message}`));
  const timer = setTimeout(() => fail(new BackendConnectError(`database startup took longer than ${timeoutMs} ms`)), timeoutMs);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  return {
    next(): Promise<BackendFrame> {
      if (failure) return Promise.reject(failure);
      const frame = queue.shift();
      if (frame) return Promise.resolve(frame);
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    stop(): void {
      clearTimeout(timer);
      // Hold further data until the session attaches its own reader: a flowing socket with no
      // 'data' listener would drop it.
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    },
    rest(): BackendFrame[] {
      return queue.splice(0);
    },
  };
}
