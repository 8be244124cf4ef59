import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AgentPushBus } from '../agent-link/agent-push.bus.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { PrincipalEntity } from './principal.entity.js';
import type { VerifiedPrincipal } from './verified-principal.js';

export interface PrincipalRecord {
  readonly id: string;
  readonly issuer: string;
  readonly tenantId: string | null;
  readonly subject: string;
  readonly kind: 'workload' | 'user';
  readonly displayName: string | null;
  readonly appId: string | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly groupOverage: boolean;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
}

/** Principals seen in verified tokens, and their revocation. Owns `principals`. */
@Injectable()
export class PrincipalsService {
  constructor(
    @InjectRepository(PrincipalEntity) private readonly principals: Repository<PrincipalEntity>,
    private readonly pushes: AgentPushBus,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Records that `principal` presented a valid token now; returns the stored record (with revocation state). */
  async recordSeen(principal: VerifiedPrincipal): Promise<PrincipalRecord> {
    // One parameterized upsert: first_seen_at and revocation state are kept, the rest refreshed.
    await this.principals.query(
      `INSERT INTO principals (id, issuer, tenant_id, subject, kind, display_name, app_id, groups, roles, scopes, group_overage, last_claims)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11, $12::jsonb)
       ON CONFLICT (id) DO UPDATE SET
         issuer = EXCLUDED.issuer, tenant_id = EXCLUDED.tenant_id, subject = EXCLUDED.subject, kind = EXCLUDED.kind,
         display_name = EXCLUDED.display_name, app_id = EXCLUDED.app_id, groups = EXCLUDED.groups, roles = EXCLUDED.roles,
         scopes = EXCLUDED.scopes, group_overage = EXCLUDED.group_overage, last_claims = EXCLUDED.last_claims, last_seen_at = now()`,
      [
        principal.id,
        principal.issuer,
        principal.tenantId ?? null,
        principal.subject,
        principal.kind,
        principal.displayName ?? null,
        principal.appId ?? null,
        JSON.stringify(principal.groups),
        JSON.stringify(principal.roles),
        JSON.stringify(principal.scopes),
        principal.groupOverage,
        JSON.stringify(principal.claims),
      ],
    );
    return toRecord(await this.principals.findOneByOrFail({ id: principal.id }));
  }

  async list(): Promise<PrincipalRecord[]> {
    return (await this.principals.find({ order: { lastSeenAt: 'DESC' } })).map(toRecord);
  }

  async get(id: string): Promise<PrincipalRecord | undefined> {
    const found = await this.principals.findOneBy({ id });
    return found ? toRecord(found) : undefined;
  }

  async isRevoked(id: string): Promise<boolean> {
    const found = await this.principals.findOne({ select: { revokedAt: true }, where: { id } });
    return found?.revokedAt != null;
  }

  /**
   * Revokes a principal: new sessions are refused from now on, and every agent is told to end the
   * principal's open sessions at once (through the push bus, whichever replica holds the agent).
   */
  async revoke(id: string, by: string, reason: string): Promise<PrincipalRecord | undefined> {
    const result = await this.principals.update({ id }, { revokedAt: new Date(), revokedBy: by, revokeReason: reason });
    if ((result.affected ?? 0) === 0) return undefined;
    this.logger.info({ principalId: id, by, reason }, 'principal revoked');
    await this.pushes.publish('all-agents', { revokePrincipal: { principalId: id, reason } });
    return this.get(id);
  }

  async unrevoke(id: string, by: string): Promise<PrincipalRecord | undefined> {
    const result = await this.principals.update({ id }, { revokedAt: null, revokedBy: null, revokeReason: null });
    if ((result.affected ?? 0) === 0) return undefined;
    this.logger.info({ principalId: id, by }, 'principal revocation lifted');
    return this.get(id);
  }
}

function toRecord(row: PrincipalEntity): PrincipalRecord {
  return {
    id: row.id,
    issuer: row.issuer,
    tenantId: row.tenantId,
    subject: row.subject,
    kind: row.kind,
    displayName: row.displayName,
    appId: row.appId,
    groups: row.groups,
    roles: row.roles,
    scopes: row.scopes,
    groupOverage: row.groupOverage,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    revokedAt: row.revokedAt,
    revokedBy: row.revokedBy,
    revokeReason: row.revokeReason,
  };
}
