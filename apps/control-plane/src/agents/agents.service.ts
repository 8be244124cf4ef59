import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { ConnectionsService, type ServedConnection } from '../connections/connections.service.js';
import { AgentEntity } from './agent.entity.js';
import { agentStatus, type AgentStatus } from './agent-presence.js';

export interface AgentAnnouncement {
  readonly agentId: string;
  readonly version: string;
  readonly segment: string;
  readonly connections: readonly ServedConnection[];
}

export interface AgentView {
  readonly id: string;
  readonly segment: string;
  readonly version: string;
  readonly status: AgentStatus;
  readonly connectedSince: Date | null;
  readonly lastHeartbeatAt: Date | null;
  readonly firstSeenAt: Date;
  readonly connections: readonly string[];
}

/** The registry of agents: who is connected, since when, and serving what. Owns `agents`. */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(AgentEntity) private readonly agents: Repository<AgentEntity>,
    private readonly connections: ConnectionsService,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /** A link said hello: the agent is online, serving exactly the connections it listed. */
  async recordConnected(announcement: AgentAnnouncement, keyId: string, linkId: string): Promise<void> {
    const now = new Date();
    // One transaction: nobody may see the agent online with a stale list of connections.
    await this.agents.manager.transaction(async (tx) => {
      await tx.getRepository(AgentEntity).upsert(
        {
          id: announcement.agentId,
          segment: announcement.segment,
          version: announcement.version,
          keyId,
          linkId,
          connectedAt: now,
          disconnectedAt: null,
          lastHeartbeatAt: now,
        },
        { conflictPaths: ['id'] },
      );
      await this.connections.replaceServedBy(announcement.agentId, announcement.connections, tx);
    });
  }

  async recordHeartbeat(agentId: string, linkId: string): Promise<void> {
    await this.agents.update({ id: agentId, linkId }, { lastHeartbeatAt: new Date() });
  }

  /** Only the link that is current for the agent may mark it disconnected. */
  async recordDisconnected(agentId: string, linkId: string): Promise<void> {
    await this.agents.update({ id: agentId, linkId }, { linkId: null, disconnectedAt: new Date() });
  }

  async list(): Promise<AgentView[]> {
    const [rows, served] = await Promise.all([this.agents.find({ order: { id: 'ASC' } }), this.connections.namesByAgent()]);
    const now = new Date();
    return rows.map((row) => {
      const status = agentStatus(row, this.config.agents.heartbeatIntervalMs, now);
      return {
        id: row.id,
        segment: row.segment,
        version: row.version,
        status,
        connectedSince: status === 'online' ? row.connectedAt : null,
        lastHeartbeatAt: row.lastHeartbeatAt,
        firstSeenAt: row.firstSeenAt,
        connections: served.get(row.id) ?? [],
      };
    });
  }
}
