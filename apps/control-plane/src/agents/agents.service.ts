import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { ConnectionsService, type ServedConnection } from '../connections/connections.service.js';
import { AgentEntity } from './agent.entity.js';
import { AgentKeysService } from './agent-keys.service.js';
import { agentStatus, type AgentStatus } from './agent-presence.js';

/** A hello claiming an agent id or a connection that belongs to another agent key. */
export class AgentClaimError extends Error {}

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
    private readonly keys: AgentKeysService,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /** A link said hello: the agent is online, serving exactly the connections it listed. */
  async recordConnected(announcement: AgentAnnouncement, keyId: string, linkId: string): Promise<void> {
    const now = new Date();
    // One transaction: nobody may see the agent online with a stale list of connections.
    await this.agents.manager.transaction(async (tx) => {
      await this.checkClaims(tx, announcement, keyId);
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

  /**
   * An agent id, and the connections it serves, belong to the agent key that registered them while
   * that key is enabled: another key (a different, perhaps compromised, agent) cannot take them over.
   * To move an id or a connection to a new key, disable the old key (docs/deploy.md).
   */
  private async checkClaims(tx: EntityManager, announcement: AgentAnnouncement, keyId: string): Promise<void> {
    const owner = await tx.query<{ key_id: string; enabled: boolean }[]>(
      `SELECT a.key_id, (k.id IS NOT NULL AND k.disabled_at IS NULL) AS enabled
         FROM agents a LEFT JOIN agent_keys k ON k.id = a.key_id WHERE a.id = $1 FOR UPDATE OF a`,
      [announcement.agentId],
    );
    const registered = owner[0];
    if (registered && registered.key_id !== keyId && registered.enabled) {
      throw new AgentClaimError(`agent id "${announcement.agentId}" is registered with another agent key; disable that key to move the id`);
    }
    const names = announcement.connections.map((c) => c.name);
    if (names.length === 0) return;
    const taken = await tx.query<{ name: string; agent_id: string }[]>(
      `SELECT c.name, c.agent_id FROM connections c
         JOIN agents a ON a.id = c.agent_id LEFT JOIN agent_keys k ON k.id = a.key_id
        WHERE c.name = ANY($1::text[]) AND c.agent_id <> $2 AND a.key_id <> $3 AND k.id IS NOT NULL AND k.disabled_at IS NULL`,
      [names, announcement.agentId, keyId],
    );
    const [first] = taken;
    if (first) {
      throw new AgentClaimError(
        `connection "${first.name}" is served by agent "${first.agent_id}", registered with another agent key; disable that key to move it`,
      );
    }
  }

  keyEnabled(keyId: string): Promise<boolean> {
    return this.keys.isEnabled(keyId);
  }

  /** Records a heartbeat; false when the agent's key was disabled since it connected (end the stream). */
  async recordHeartbeat(agentId: string, linkId: string, keyId: string): Promise<boolean> {
    await this.agents.update({ id: agentId, linkId }, { lastHeartbeatAt: new Date() });
    return this.keys.isEnabled(keyId);
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
