// One Kubernetes API connection served by the agent: an HTTPS listener kubectl uses as its server
// (docs/kubernetes.md), forwarding to the apiserver with the agent's own credentials.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Pool } from 'undici';
import type { ResolvedConnection } from '../config/agent-config.js';
import { ListenerServer } from '../http/listener-server.js';
import { RequestHandler } from '../http/request-handler.js';
import type { RequestServices } from '../http/request-services.js';
import { RequestSessionPool } from '../http/request-session-pool.js';
import { basePathOf, createUpstreamPool } from '../http/upstream-pool.js';
import { K8sAdapter } from './k8s-adapter.js';
import { TokenFile } from './k8s-credentials.js';
import { ExecProxy } from './k8s-exec-proxy.js';

type KubernetesConnection = Extract<ResolvedConnection, { protocol: 'kubernetes' }>;

export class KubernetesListener {
  private server: ListenerServer | undefined;
  private upstream: Pool | undefined;
  private exec: ExecProxy | undefined;

  constructor(
    private readonly connection: KubernetesConnection,
    private readonly shared: RequestServices,
    private readonly options: { readonly stateDir: string; readonly agentId: string },
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { connection } = this;
    const target = connection.target;
    const url = new URL(target.url);
    const logger = this.logger.child({ component: 'kubernetes', connection: connection.name });
    const tokenFile = target.tokenFile ? new TokenFile(target.tokenFile) : undefined;
    // Fail at start, not on the first request, when the agent's own credential is unreadable.
    await tokenFile?.token();
    const upstream = await createUpstreamPool(url, target, connection.limits.maxUpstreamConnections);
    this.upstream = upstream;
    const pool = new RequestSessionPool({
      protocol: 'kubernetes',
      connection: connection.name,
      idleMs: connection.sessionIdleSeconds * 1000,
      controlPlane: this.shared.controlPlane,
      recorder: this.shared.recorder,
      sessions: this.shared.sessions,
      logger,
    });
    const adapter = new K8sAdapter({
      dispatcher: upstream,
      upstream: url,
      basePath: basePathOf(url),
      tokenFile,
      impersonation: connection.impersonate,
      limits: connection.limits,
      gate: this.shared.gate,
    });
    const exec = new ExecProxy({
      adapter,
      pool,
      gate: this.shared.gate,
      upstream: url,
      basePath: basePathOf(url),
      tls: {
        ...(target.caFile ? { ca: await readFile(target.caFile) } : {}),
        ...(target.certFile ? { cert: await readFile(target.certFile) } : {}),
        ...(target.keyFile ? { key: await readFile(target.keyFile) } : {}),
        ...(target.serverName ? { servername: target.serverName } : {}),
        rejectUnauthorized: !target.insecureSkipVerify,
      },
      recordStdin: connection.recording.stdin,
      logger,
    });
    this.exec = exec;
    const handler = new RequestHandler(adapter, { pool, gate: this.shared.gate, hashKey: this.shared.hashKey, logger });
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
      onUpgrade: (req, socket, head) => exec.handleUpgrade(req, socket, head),
    });
    await server.start();
    this.server = server;
    logger.info(
      { listen: server.listenAddress, scheme: server.scheme, upstream: url.origin, impersonate: connection.impersonate.enabled },
      'kubernetes connection listening',
    );
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  destroyAll(): void {
    this.server?.destroyAll();
    this.exec?.close();
    void this.upstream?.destroy();
  }
}
