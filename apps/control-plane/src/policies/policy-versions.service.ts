import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { PolicyFormat } from '@sluice/policy';
import { LessThan, type EntityManager, type FindOptionsSelect, type Repository } from 'typeorm';
import { contentSha256, fileNeedsApplying } from './policy-file.js';
import { PolicyVersionEntity, type PolicyVersionSource } from './policy-version.entity.js';

/** NOTIFY channel carrying the number of a newly activated version to every replica. */
export const POLICY_ACTIVATED_CHANNEL = 'sluice_policy_activated';

/** Serializes activations across replicas (distinct from the migration lock in database/migrate.ts). */
const POLICY_ACTIVATION_LOCK_KEY = 0x51_75_1c_e1;

export interface PolicyVersionRecord {
  readonly version: number;
  readonly format: PolicyFormat;
  readonly contentSha256: string;
  readonly source: PolicyVersionSource;
  readonly rolledBackFrom: number | null;
  readonly createdBy: string;
  readonly createdByName: string | null;
  readonly comment: string | null;
  readonly createdAt: Date;
  readonly active: boolean;
  readonly activatedAt: Date | null;
}

export interface PolicyVersionWithDocument extends PolicyVersionRecord {
  readonly document: string;
}

/** A version about to be stored and activated; its number is allocated by the store. */
export interface NewPolicyVersion {
  readonly format: PolicyFormat;
  readonly document: string;
  readonly source: PolicyVersionSource;
  readonly rolledBackFrom?: number;
  readonly createdBy: string;
  readonly createdByName?: string;
  readonly comment?: string;
}

const WITHOUT_DOCUMENT: FindOptionsSelect<PolicyVersionEntity> = {
  version: true,
  format: true,
  contentSha256: true,
  source: true,
  rolledBackFrom: true,
  createdBy: true,
  createdByName: true,
  comment: true,
  createdAt: true,
  active: true,
  activatedAt: true,
};

/**
 * The stored policy versions. Owns `policy_versions`. Activation is one transaction under an
 * advisory lock: allocate the next number, deactivate the old version, insert the new one active,
 * and NOTIFY every replica — PostgreSQL delivers the notification only if the transaction commits.
 */
@Injectable()
export class PolicyVersionsService {
  constructor(@InjectRepository(PolicyVersionEntity) private readonly versions: Repository<PolicyVersionEntity>) {}

  async active(): Promise<PolicyVersionWithDocument | undefined> {
    const row = await this.versions.findOneBy({ active: true });
    return row ? withDocument(row) : undefined;
  }

  async get(version: number): Promise<PolicyVersionWithDocument | undefined> {
    const row = await this.versions.findOneBy({ version });
    return row ? withDocument(row) : undefined;
  }

  /** Newest first, without the documents (they can be large). */
  async list(limit: number, before: number | undefined): Promise<PolicyVersionRecord[]> {
    const rows = await this.versions.find({
      select: WITHOUT_DOCUMENT,
      where: before === undefined ? {} : { version: LessThan(before) },
      order: { version: 'DESC' },
      take: limit,
    });
    return rows.map(toRecord);
  }

  /** Stores `draft` as the next version and makes it the active one. */
  async activate(draft: NewPolicyVersion): Promise<PolicyVersionWithDocument> {
    return this.versions.manager.transaction(async (tx) => {
      await lockActivations(tx);
      return insertActive(tx, draft);
    });
  }

  /**
   * The SLUICE_POLICY_FILE bootstrap: activates the file's content if it is newer (policy-file.ts),
   * deciding under the activation lock so that replicas starting together store it once.
   */
  async activateFileIfNewer(draft: NewPolicyVersion & { readonly source: 'file' }): Promise<PolicyVersionWithDocument | undefined> {
    return this.versions.manager.transaction(async (tx) => {
      await lockActivations(tx);
      const repo = tx.getRepository(PolicyVersionEntity);
      const active = await repo.findOne({ select: { contentSha256: true }, where: { active: true } });
      const lastFile = await repo.findOne({ select: { contentSha256: true }, where: { source: 'file' }, order: { version: 'DESC' } });
      const stored = { activeSha256: active?.contentSha256, lastFileSha256: lastFile?.contentSha256 };
      return fileNeedsApplying(contentSha256(draft.document), stored) ? insertActive(tx, draft) : undefined;
    });
  }
}

async function lockActivations(tx: EntityManager): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [POLICY_ACTIVATION_LOCK_KEY]);
}

async function insertActive(tx: EntityManager, draft: NewPolicyVersion): Promise<PolicyVersionWithDocument> {
  const repo = tx.getRepository(PolicyVersionEntity);
  // The database's clock, so that versions written by different replicas order consistently.
  const rows: unknown = await tx.query('SELECT coalesce(max(version), 0) + 1 AS next, now() AS now FROM policy_versions');
  const [{ next: nextValue, now }] = rows as [{ next: number | string; now: Date }];
  const next = Number(nextValue);
  await repo.update({ active: true }, { active: false });
  const entity = repo.create({
    version: next,
    format: draft.format,
    document: draft.document,
    contentSha256: contentSha256(draft.document),
    source: draft.source,
    rolledBackFrom: draft.rolledBackFrom ?? null,
    createdBy: draft.createdBy,
    createdByName: draft.createdByName ?? null,
    comment: draft.comment ?? null,
    createdAt: now,
    active: true,
    activatedAt: now,
  });
  await repo.insert(entity);
  await tx.query('SELECT pg_notify($1, $2)', [POLICY_ACTIVATED_CHANNEL, String(next)]);
  return withDocument(entity);
}

function toRecord(row: PolicyVersionEntity): PolicyVersionRecord {
  return {
    version: row.version,
    format: row.format,
    contentSha256: row.contentSha256,
    source: row.source,
    rolledBackFrom: row.rolledBackFrom,
    createdBy: row.createdBy,
    createdByName: row.createdByName,
    comment: row.comment,
    createdAt: row.createdAt,
    active: row.active,
    activatedAt: row.activatedAt,
  };
}

function withDocument(row: PolicyVersionEntity): PolicyVersionWithDocument {
  return { ...toRecord(row), document: row.document };
}
