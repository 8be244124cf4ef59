// One HTTP connection served by the agent: a listener whose requests go through the shared request
// flow to one upstream (docs/http.md).
import type { Logger } from 'pino';
import type { Pool } from 'undici';
import type { ResolvedConnection } from '../config/agent-config.js';
import { HttpAdapter, type HttpCredential } from './http-adapter.js';
import { ListenerServer } from './listener-server.js';
import { RequestHandler } from './request-handler.js';
import { RequestSessionPool } from './request-session-pool.js';
import type { RequestServices } from './request-services.js';
import { basePathOf, createUpstreamPool } from './upstream-pool.js';

type HttpConnection = Extract<ResolvedConnection, { protocol: 'http' }>;

export class HttpListener {
  private server: ListenerServer | undefined;
  private upstream: Pool | undefined;

  constructor(
    private readonly connection: HttpConnection,
    private readonly shared: RequestServices,
    private readonly options: { readonly stateDir: string; readonly agentId: string },
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { connection } = this;
    const url = new URL(connection.target.url);
    const upstream = await createUpstreamPool(url, connection.target.tls, connection.limits.maxUpstreamConnections);
    this.upstream = upstream;
    const logger = this.logger.child({ component: 'http', connection: connection.name });
    const pool = new RequestSessionPool({
      protocol: 'http',
      connection: connection.name,
      idleMs: connection.sessionIdleSeconds * 1000,
      controlPlane: this.shared.controlPlane,
      recorder: this.shared.recorder,
      sessions: this.shared.sessions,
      logger,
    });
    const server = new ListenerServer({
      connection: connection.name,
      listen: connection.listen,
      tls: connection.tls,
      allowPlaintextOnLoopback: connection.allowPlaintextOnLoopback,
      maxHeaderBytes: connection.limits.maxHeaderBytes,
      stateDir: this.options.stateDir,
      agentId: this.options.agentId,
      logger,
      onRequest: (req, res) => void handler.handle(req, res),
    });
    const adapter = new HttpAdapter({
      dispatcher: upstream,
      upstream: url,
      basePath: basePathOf(url),
      credential: credentialOf(connection),
      limits: connection.limits,
      otherContentTypes: connection.masking.otherContentTypes,
      clientScheme: server.scheme,
    });
    const handler = new RequestHandler(adapter, { pool, gate: this.shared.gate, hashKey: this.shared.hashKey, logger });
    await server.start();
    this.server = server;
    logger.info({ listen: server.listenAddress, scheme: server.scheme, upstream: url.origin }, 'http connection listening');
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  destroyAll(): void {
    this.server?.destroyAll();
    void this.upstream?.destroy();
  }
}

function credentialOf(connection: HttpConnection): HttpCredential {
  const credentials = connection.credentials;
  const secret = connection.upstreamSecret;
  if (credentials.kind === 'none') return { kind: 'none' };
  if (!secret) throw new Error(`connection ${connection.name}: no upstream credential resolved`);
  switch (credentials.kind) {
    case 'bearer':
      return { kind: 'bearer', token: secret };
    case 'basic':
      return { kind: 'basic', username: credentials.username, password: secret };
    case 'header':
      return { kind: 'header', name: credentials.name, value: secret };
  }
}
