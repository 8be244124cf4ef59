import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { DEFAULT_MAX_MESSAGE_LENGTH } from '@sluice/postgres-wire';
import type { Logger } from 'pino';
import type { ResolvedConnection } from '../config/agent-config.js';
import { devCertificate } from '../tls/dev-certificate.js';
import type { BackendTarget } from './backend-connector.js';
import { CatalogResolver } from './catalog-resolver.js';
import { PostgresSession, type PostgresSessionServices } from './postgres-session.js';

type PostgresConnection = Extract<ResolvedConnection, { protocol: 'postgres' }>;

export type SharedServices = Omit<
  PostgresSessionServices,
  'connectionName' | 'target' | 'tls' | 'allowPlaintextOnLoopback' | 'catalog' | 'maxMessageBytes'
>;

const BACKEND_CONNECT_TIMEOUT_MS = 10_000;

/** One PostgreSQL connection served by the agent: a TCP listener whose clients become PostgresSessions. */
export class PostgresListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private catalog: CatalogResolver | undefined;

  constructor(
    private readonly connection: PostgresConnection,
    private readonly shared: SharedServices,
    private readonly options: { readonly stateDir: string; readonly agentId: string },
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { connection } = this;
    const password = connection.password;
    if (!password) throw new Error(`connection ${connection.name}: no password resolved`);
    const target: BackendTarget = {
      host: connection.target.host,
      port: connection.target.port,
      database: connection.target.database,
      user: connection.credentials.username,
      password: () => password.reveal(),
      sslMode: connection.target.sslMode,
      caCertificate: connection.target.caFile ? await readFile(connection.target.caFile) : undefined,
      connectTimeoutMs: BACKEND_CONNECT_TIMEOUT_MS,
    };
    const tls = connection.tls
      ? { cert: await readFile(connection.tls.certFile), key: await readFile(connection.tls.keyFile) }
      : await devCertificate(this.options.stateDir, this.options.agentId).then((dev) => {
          if (dev.generated)
            this.logger.warn(
              { connection: connection.name },
              'generated a self-signed TLS certificate for clients (configure tls.certFile/keyFile in production)',
            );
          return dev;
        });
    this.catalog = new CatalogResolver(target);
    const services: PostgresSessionServices = {
      ...this.shared,
      connectionName: connection.name,
      target,
      tls: createSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }),
      allowPlaintextOnLoopback: connection.allowPlaintextOnLoopback,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_LENGTH,
      catalog: this.catalog,
    };
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      new PostgresSession(socket, services);
    });
    server.on('error', (error) => this.logger.error({ err: error, connection: connection.name }, 'postgres listener error'));
    const [host, port] = splitHostPort(connection.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    this.logger.info(
      {
        connection: connection.name,
        listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : connection.listen,
      },
      'postgres connection listening',
    );
  }

  /** Stops accepting; open sessions are ended by the registry (or by their clients). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.catalog?.close();
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))];
}
