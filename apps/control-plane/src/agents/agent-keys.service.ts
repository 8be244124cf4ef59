import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AgentKeyEntity } from './agent-key.entity.js';
import { generateAgentKey, hashSecret, parseAgentKey, secretMatches } from './agent-key.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';

export type AgentKeyCheck =
  | { readonly outcome: 'accepted'; readonly keyId: string }
  | { readonly outcome: 'malformed' }
  | { readonly outcome: 'unknown'; readonly keyId: string }
  | { readonly outcome: 'disabled'; readonly keyId: string };

export interface AgentKeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  readonly lastUsedAt: Date | null;
}

@Injectable()
export class AgentKeysService {
  constructor(
    @InjectRepository(AgentKeyEntity) private readonly keys: Repository<AgentKeyEntity>,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Checks a key presented on the link. The key itself is never logged or returned. */
  /** Whether a key exists and is not disabled (re-checked on every heartbeat of an open stream). */
  async isEnabled(keyId: string): Promise<boolean> {
    const record = await this.keys.findOneBy({ id: keyId });
    return record !== null && record.disabledAt === null;
  }

  async check(presented: string): Promise<AgentKeyCheck> {
    const parsed = parseAgentKey(presented);
    if (!parsed) return { outcome: 'malformed' };
    const record = await this.keys.findOneBy({ id: parsed.id });
    if (!record || !secretMatches(parsed.secret, record.secretSha256)) return { outcome: 'unknown', keyId: parsed.id };
    if (record.disabledAt) return { outcome: 'disabled', keyId: parsed.id };
    await this.keys.update({ id: parsed.id }, { lastUsedAt: new Date() });
    return { outcome: 'accepted', keyId: parsed.id };
  }

  /** Creates a key; the returned `key` is the only time its secret exists outside the agent. */
  async create(name: string): Promise<{ readonly id: string; readonly key: string }> {
    const generated = generateAgentKey();
    await this.keys.insert({ id: generated.id, name, secretSha256: generated.secretSha256, disabledAt: null, lastUsedAt: null });
    this.logger.info({ keyId: generated.id, name }, 'agent key created');
    return { id: generated.id, key: generated.key };
  }

  async disable(id: string): Promise<boolean> {
    const result = await this.keys.update({ id }, { disabledAt: new Date() });
    const changed = (result.affected ?? 0) > 0;
    if (changed) this.logger.info({ keyId: id }, 'agent key disabled');
    return changed;
  }

  async list(): Promise<AgentKeySummary[]> {
    const rows = await this.keys.find({ order: { createdAt: 'ASC' } });
    return rows.map(({ id, name, createdAt, disabledAt, lastUsedAt }) => ({ id, name, createdAt, disabledAt, lastUsedAt }));
  }

  /**
   * Registers an operator-supplied key (SLUICE_BOOTSTRAP_AGENT_KEYS) so a quick start or a compose
   * file can hand the same key to the control plane and the agent. A key that was disabled stays
   * disabled.
   */
  async registerBootstrapKey(key: string): Promise<void> {
    const parsed = parseAgentKey(key);
    if (!parsed)
      throw new Error('SLUICE_BOOTSTRAP_AGENT_KEYS holds something that is not an agent key (expected sak_<16 hex>.<43 base64url>)');
    const existing = await this.keys.findOneBy({ id: parsed.id });
    if (existing) {
      if (!secretMatches(parsed.secret, existing.secretSha256)) {
        throw new Error(`SLUICE_BOOTSTRAP_AGENT_KEYS: a key reuses the id ${parsed.id} of a different key`);
      }
      return;
    }
    await this.keys.insert({
      id: parsed.id,
      name: 'bootstrap',
      secretSha256: hashSecret(parsed.secret),
      disabledAt: null,
      lastUsedAt: null,
    });
    this.logger.info({ keyId: parsed.id }, 'bootstrap agent key registered');
  }
}
