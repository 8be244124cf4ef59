import { readFile } from 'node:fs/promises';
import { Server, ServerCredentials, status as GrpcStatus, type Metadata, type ServerDuplexStream } from '@grpc/grpc-js';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  AGENT_KEY_METADATA,
  loadAgentLinkPackage,
  type AgentMessage__Output,
  type ControlMessage,
  type ControlPush,
} from '@sluice/contract';
import type { Logger } from 'pino';
import { AgentKeysService } from '../agents/agent-keys.service.js';
import { AgentsService } from '../agents/agents.service.js';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { CONTROL_PLANE_VERSION } from '../version.js';
import { AgentRequestRouter } from './agent-request.router.js';
import { AgentStream } from './agent-stream.js';

/** gRPC channel options: keepalive pings find dead peers even when no heartbeat is due. */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
} as const;

/**
 * The control plane's end of the agent link: a raw @grpc/grpc-js server owned by Nest's lifecycle.
 * It authenticates each stream by its agent key, then hands it to an AgentStream.
 */
@Injectable()
export class AgentLinkServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly server = new Server(SERVER_OPTIONS);
  private readonly streams = new Map<string, AgentStream>();
  private readonly logger: Logger;
  private port: number | undefined;

  constructor(
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
    private readonly keys: AgentKeysService,
    private readonly agents: AgentsService,
    private readonly router: AgentRequestRouter,
  ) {
    this.logger = logger.child({ component: 'agent-link' });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const key of this.config.agents.bootstrapKeys) await this.keys.registerBootstrapKey(key);
    const contract = loadAgentLinkPackage();
    this.server.addService(contract.AgentLink.service, {
      connect: (call: ServerDuplexStream<AgentMessage__Output, ControlMessage>) => void this.accept(call),
    });
    const { host, port } = this.config.grpc;
    const credentials = await this.credentials();
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.logger.info({ address: `${host}:${this.port}`, tls: this.config.grpc.tls !== undefined }, 'agent link listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Tell connected agents to go elsewhere now rather than wait for keepalive to notice.
    for (const stream of this.streams.values()) stream.close(GrpcStatus.UNAVAILABLE, 'control plane is shutting down');
    await new Promise<void>((resolve) => {
      const force = setTimeout(
        () => {
          this.server.forceShutdown();
          resolve();
        },
        Math.min(this.config.shutdownTimeoutMs, 5_000),
      );
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.port = undefined;
  }

  /** The bound port, once listening (useful when configured with port 0). */
  get listeningPort(): number | undefined {
    return this.port;
  }

  /** Sends a push to an agent connected to this replica. False when it is not connected here. */
  push(agentId: string, push: ControlPush): boolean {
    return this.streams.get(agentId)?.push(push) ?? false;
  }

  connectedAgentIds(): string[] {
    return [...this.streams.keys()];
  }

  private async accept(call: ServerDuplexStream<AgentMessage__Output, ControlMessage>): Promise<void> {
    call.on('error', () => undefined); // stream errors are handled by AgentStream once it exists
    const presented = bearerKey(call.metadata);
    const peer = call.getPeer();
    if (!presented) {
      this.logger.warn({ peer }, 'agent link refused: no agent key');
      call.emit('error', {
        code: GrpcStatus.UNAUTHENTICATED,
        details: 'missing agent key: send metadata "authorization: Bearer <agent key>"',
      });
      return;
    }
    let check;
    try {
      check = await this.keys.check(presented);
    } catch (error) {
      this.logger.error({ err: error, peer }, 'agent key check failed');
      call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'control plane cannot check agent keys right now; retry' });
      return;
    }
    switch (check.outcome) {
      case 'malformed':
        this.logger.warn({ peer }, 'agent link refused: malformed agent key');
        call.emit('error', { code: GrpcStatus.UNAUTHENTICATED, details: 'malformed agent key' });
        return;
      case 'unknown':
        this.logger.warn({ peer, keyId: check.keyId }, 'agent link refused: unknown agent key');
        call.emit('error', { code: GrpcStatus.UNAUTHENTICATED, details: 'unknown agent key' });
        return;
      case 'disabled':
        this.logger.warn({ peer, keyId: check.keyId }, 'agent link refused: agent key disabled');
        call.emit('error', { code: GrpcStatus.PERMISSION_DENIED, details: 'agent key is disabled' });
        return;
      case 'accepted':
        break;
    }
    new AgentStream(call, check.keyId, {
      agents: this.agents,
      router: this.router,
      heartbeatIntervalMs: this.config.agents.heartbeatIntervalMs,
      controlPlaneVersion: CONTROL_PLANE_VERSION,
      logger: this.logger.child({ peer }),
      onOpen: (stream) => {
        const agentId = stream.agentId;
        if (agentId === undefined) return;
        // A restarted agent can reconnect before keepalive notices its old stream: newest wins.
        this.streams.get(agentId)?.close(GrpcStatus.ABORTED, 'replaced by a newer connection from the same agent id');
        this.streams.set(agentId, stream);
      },
      onClose: (stream, agentId) => {
        if (this.streams.get(agentId) === stream) this.streams.delete(agentId);
      },
    });
  }

  private async credentials(): Promise<ServerCredentials> {
    const tls = this.config.grpc.tls;
    if (!tls) return ServerCredentials.createInsecure();
    const [cert, key, ca] = await Promise.all([
      readFile(tls.certPath),
      readFile(tls.keyPath),
      tls.clientCaPath ? readFile(tls.clientCaPath) : Promise.resolve(null),
    ]);
    // With a client CA the agent must also present a certificate (mTLS) on top of its key.
    return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
  }
}

function bearerKey(metadata: Metadata): string | undefined {
  const [value] = metadata.get(AGENT_KEY_METADATA);
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer (\S+)$/.exec(value);
  return match?.[1];
}
