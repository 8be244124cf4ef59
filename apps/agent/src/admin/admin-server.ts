import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { AgentMetrics } from './agent-metrics.js';

export interface AgentHealth {
  readonly link: string;
  readonly sessions: number;
  readonly recordingSaturated: boolean;
  readonly spoolBytes: number;
  readonly draining: boolean;
}

/**
 * The agent's local admin port: `/healthz` (alive, with details), `/readyz` (200 only while the
 * control plane link is up, recording has room and the agent is not draining), `/metrics`
 * (Prometheus). Bind it to loopback or a management network only.
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(
    private readonly metrics: AgentMetrics,
    private readonly health: () => AgentHealth,
    private readonly logger: Logger,
  ) {}

  async start(address: string): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (path === '/healthz' || path === '/readyz') {
        const health = this.health();
        const ready = health.link === 'ready' && !health.recordingSaturated && !health.draining;
        const status = path === '/healthz' ? 200 : ready ? 200 : 503;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ok' : 'degraded', ...health }));
        return;
      }
      if (path === '/metrics') {
        this.metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text))
          .catch(() => res.writeHead(500).end());
        return;
      }
      res.writeHead(404).end();
    });
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(at + 1));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound ? bound.port : port;
    this.logger.info({ address: `${host}:${boundPort}` }, 'admin endpoints listening (/healthz, /readyz, /metrics)');
    return boundPort;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
