import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, type EntityManager, type Repository } from 'typeorm';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { ConnectionEntity } from './connection.entity.js';

export const PROTOCOLS = ['postgres', 'mysql', 'http', 'kubernetes'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface ServedConnection {
  readonly name: string;
  readonly protocol: Protocol;
  readonly listenAddress: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ConnectionView extends ServedConnection {
  readonly agentId: string;
  readonly updatedAt: Date;
}

/** The registry of connections as their agents declare them. Owns `connections`. */
@Injectable()
export class ConnectionsService {
  constructor(
    @InjectRepository(ConnectionEntity) private readonly connections: Repository<ConnectionEntity>,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** The agent serves exactly `served` now: upsert those, forget the ones it no longer lists. */
  async replaceServedBy(agentId: string, served: readonly ServedConnection[], within?: EntityManager): Promise<void> {
    const run = within
      ? (work: (tx: EntityManager) => Promise<void>) => work(within)
      : (work: (tx: EntityManager) => Promise<void>) => this.connections.manager.transaction(work);
    await run(async (tx) => {
      const repo = tx.getRepository(ConnectionEntity);
      const names = served.map((c) => c.name);
      const taken = names.length === 0 ? [] : await repo.findBy({ name: In(names), agentId: Not(agentId) });
      for (const other of taken) {
        this.logger.warn({ connection: other.name, previousAgent: other.agentId, agentId }, 'connection is now served by another agent');
      }
      await repo.delete(names.length === 0 ? { agentId } : { agentId, name: Not(In(names)) });
      if (served.length > 0) {
        await repo.upsert(
          served.map((c) => ({ ...c, tags: { ...c.tags }, agentId, updatedAt: new Date() })),
          { conflictPaths: ['name'] },
        );
      }
    });
  }

  async list(): Promise<ConnectionView[]> {
    const rows = await this.connections.find({ order: { name: 'ASC' } });
    return rows.map(toView);
  }

  async get(name: string): Promise<ConnectionView | undefined> {
    const row = await this.connections.findOneBy({ name });
    return row ? toView(row) : undefined;
  }

  async namesByAgent(): Promise<Map<string, string[]>> {
    const rows = await this.connections.find({ select: { name: true, agentId: true }, order: { name: 'ASC' } });
    const byAgent = new Map<string, string[]>();
    for (const row of rows) byAgent.set(row.agentId, [...(byAgent.get(row.agentId) ?? []), row.name]);
    return byAgent;
  }
}

function toView(row: ConnectionEntity): ConnectionView {
  return {
    name: row.name,
    protocol: row.protocol as Protocol,
    listenAddress: row.listenAddress,
    tags: row.tags,
    agentId: row.agentId,
    updatedAt: row.updatedAt,
  };
}
