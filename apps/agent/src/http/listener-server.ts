// The client-facing server of an HTTP or Kubernetes connection: HTTPS by default (the token travels
// in a header), plain HTTP only on a loopback address when the connection allows it.
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { devCertificate } from '../tls/dev-certificate.js';

export interface ListenerServerOptions {
  readonly connection: string;
  readonly listen: string;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly allowPlaintextOnLoopback: boolean;
  readonly maxHeaderBytes: number;
  readonly stateDir: string;
  readonly agentId: string;
  readonly logger: Logger;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Undefined: upgrade requests are answered 501. */
  readonly onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** How long the client may take to send request headers (slowloris). Bodies are bounded by size, not time. */
const HEADERS_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

export class ListenerServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private address = '';

  constructor(private readonly options: ListenerServerOptions) {}

  get listenAddress(): string {
    return this.address;
  }

  get scheme(): 'http' | 'https' {
    return this.plaintext ? 'http' : 'https';
  }

  private get plaintext(): boolean {
    return this.options.allowPlaintextOnLoopback && this.options.tls === undefined;
  }

  async start(): Promise<void> {
    const { options } = this;
    const [host, port] = splitHostPort(options.listen);
    if (this.plaintext && !isLoopbackHost(host)) {
      throw new Error(`connection ${options.connection}: allowPlaintextOnLoopback needs a loopback listen address, not ${options.listen}`);
    }
    const common = {
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    };
    let server: Server;
    if (this.plaintext) server = createHttpServer(common, options.onRequest);
    else {
      const cert = await this.certificate();
      server = createHttpsServer({ ...common, cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' }, options.onRequest);
    }
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (options.onUpgrade) options.onUpgrade(req, socket, head);
      else socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      options.logger.debug({ connection: options.connection, code: error.code }, 'client error');
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    });
    server.on('error', (error) => options.logger.error({ err: error, connection: options.connection }, 'listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    this.address = typeof address === 'object' && address ? `${address.address}:${address.port}` : options.listen;
  }

  /** Stops accepting; requests in flight end with their sessions (the registry) or destroyAll. */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.close();
    server?.closeIdleConnections();
    return Promise.resolve();
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private async certificate(): Promise<{ cert: string | Buffer; key: string | Buffer }> {
    const { tls } = this.options;
    if (tls) return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
    const dev = await devCertificate(this.options.stateDir, this.options.agentId);
    if (dev.generated)
      this.options.logger.warn(
        { connection: this.options.connection },
        'generated a self-signed TLS certificate for clients (configure tls.certFile/keyFile in production)',
      );
    return dev;
  }
}

export function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))];
}

function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
