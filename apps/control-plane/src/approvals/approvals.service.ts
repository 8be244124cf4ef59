import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, MoreThan, type Repository } from 'typeorm';
import { AgentPushBus } from '../agent-link/agent-push.bus.js';
import { CONTROL_PLANE_CONFIG } from '../config/config.module.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { ApprovalActionEntity } from './approval-action.entity.js';
import { ApprovalRequestEntity, type ApprovalStatus } from './approval-request.entity.js';
import { WebhookNotifier } from './webhook-notifier.js';

/** Who is acting on an approval (from the verified REST token). */
export interface Approver {
  readonly principalId: string;
  readonly displayName: string | undefined;
  readonly groups: readonly string[];
}

export interface ReviewRequirementInput {
  readonly approverGroups: readonly string[];
  readonly timeoutSeconds: number;
  readonly minApprovals: number;
}

/** What a review asks of the approvals that satisfy it. */
export interface ReviewRequirement {
  readonly ruleIds: readonly string[];
  readonly approverGroups: readonly string[];
  readonly minApprovals: number;
}

/** A rule's approver group against one of the approver's groups: case-insensitive, as policy compares groups. */
export function groupMatches(approverGroup: string, group: string): boolean {
  return approverGroup.toLowerCase() === group.toLowerCase();
}

function sameRequirement(request: ApprovalRequestEntity, requirement: ReviewRequirement): boolean {
  const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
  return (
    sameSet(request.ruleIds, requirement.ruleIds) &&
    sameSet(request.approverGroups, requirement.approverGroups) &&
    request.minApprovals >= requirement.minApprovals
  );
}

/** Pending command reviews one principal may have at once (more: denied until some are resolved). */
export const MAX_PENDING_REVIEWS = 20;

/** Pending access requests one principal may have at once (more: 429 until some are resolved). */
export const MAX_PENDING_ACCESS_REQUESTS = 10;

export interface CommandReviewInput {
  readonly principalId: string;
  readonly principalName: string | undefined;
  readonly connection: string;
  readonly sessionId: string;
  readonly agentId: string;
  readonly commandText: string;
  readonly commandClasses: readonly string[];
  readonly ruleIds: readonly string[];
  readonly reason: string;
  readonly review: ReviewRequirementInput;
}

export type ApprovalActionResult =
  | { readonly ok: true; readonly approval: ApprovalRequestEntity }
  | { readonly ok: false; readonly status: 403 | 404 | 409; readonly message: string };

const SWEEP_INTERVAL_MS = 1_000;
const MAX_COMMAND_TEXT = 64 * 1024;

/** The digest an approval binds a command to: the exact statement text. */
export function commandDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Approval requests: a held command (review) or a request for time-bound access. Owns
 * `approval_requests`, `approval_actions`. Resolutions reach the agent holding the command through
 * the push bus (PostgreSQL NOTIFY), whichever replica the approver used.
 */
@Injectable()
export class ApprovalsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @InjectRepository(ApprovalRequestEntity) private readonly requests: Repository<ApprovalRequestEntity>,
    @InjectRepository(ApprovalActionEntity) private readonly actions: Repository<ApprovalActionEntity>,
    private readonly pushes: AgentPushBus,
    private readonly webhooks: WebhookNotifier,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(
      () => void this.expireOverdue().catch((error: unknown) => this.logger.warn({ err: error }, 'approval sweep failed')),
      SWEEP_INTERVAL_MS,
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  // ── per-command review ──────────────────────────────────────────────────────────────────────────

  /**
   * An approved, unused approval for exactly this (principal, connection, statement) — consumed now,
   * atomically, so it lets the statement through once. Undefined when there is none.
   */
  async consumeApproved(
    principalId: string,
    connection: string,
    commandText: string,
    requirement: ReviewRequirement,
  ): Promise<ApprovalRequestEntity | undefined> {
    // Only an approval granted under the review the policy asks for now counts: the same rules and
    // approver groups, and at least as many approvers (a stricter policy must not honour an old one).
    // Wrapped in a CTE so the statement is a SELECT: TypeORM returns [rows, count] for a bare UPDATE.
    const rows = await this.requests.query<{ id: string }[]>(
      `WITH consumed AS (
         UPDATE approval_requests SET status = 'consumed', consumed_at = now()
          WHERE id = (SELECT id FROM approval_requests
                       WHERE kind = 'command' AND status = 'approved' AND principal_id = $1 AND connection = $2
                         AND command_digest = $3 AND use_until > now()
                         AND rule_ids @> $4::jsonb AND rule_ids <@ $4::jsonb
                         AND approver_groups @> $5::jsonb AND approver_groups <@ $5::jsonb
                         AND min_approvals >= $6
                       ORDER BY resolved_at LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id)
       SELECT id FROM consumed`,
      [
        principalId,
        connection,
        commandDigest(commandText),
        JSON.stringify(requirement.ruleIds),
        JSON.stringify(requirement.approverGroups),
        requirement.minApprovals,
      ],
    );
    const id = rows[0]?.id;
    if (!id) return undefined;
    this.logger.info({ approvalId: id, principalId }, 'approval used');
    return (await this.requests.findOneBy({ id })) ?? undefined;
  }

  /** The pending request for this command, or a new one; refused when the principal has too many pending. */
  async requestReview(input: CommandReviewInput): Promise<ApprovalRequestEntity | 'too-many-pending'> {
    const digest = commandDigest(input.commandText);
    const now = new Date();
    const request: ApprovalRequestEntity = {
      id: randomUUID(),
      kind: 'command',
      status: 'pending',
      principalId: input.principalId,
      principalName: input.principalName ?? null,
      connection: input.connection,
      sessionId: input.sessionId,
      agentId: input.agentId,
      commandText: input.commandText.slice(0, MAX_COMMAND_TEXT),
      commandDigest: digest,
      commandClasses: [...input.commandClasses],
      ruleIds: [...input.ruleIds],
      reason: input.reason,
      approverGroups: [...input.review.approverGroups],
      minApprovals: input.review.minApprovals,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + input.review.timeoutSeconds * 1000),
      resolvedAt: null,
      resolvedBy: null,
      resolutionComment: null,
      useUntil: null,
      consumedAt: null,
      grantName: null,
      grantSeconds: null,
      grantExpiresAt: null,
    };
    // One principal's reviews are looked up, counted and added one at a time (any replica): the
    // same statement reuses its pending request, and a flood cannot page the approvers without end.
    const outcome = await this.requests.manager.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sluice-reviews:' || $1))`, [input.principalId]);
      const open = await tx.find(ApprovalRequestEntity, {
        where: { kind: 'command', status: 'pending', principalId: input.principalId, expiresAt: MoreThan(now) },
        order: { requestedAt: 'DESC' },
      });
      // A pending request made under another review (the policy changed since) is not reused.
      const same = open.find(
        (p) =>
          p.connection === input.connection &&
          p.commandDigest === digest &&
          sameRequirement(p, { ruleIds: input.ruleIds, ...input.review }),
      );
      if (same) return { request: same, created: false } as const;
      if (open.length >= MAX_PENDING_REVIEWS) return 'too-many-pending' as const;
      await tx.insert(ApprovalRequestEntity, request);
      return { request, created: true } as const;
    });
    if (outcome === 'too-many-pending') return outcome;
    if (outcome.created) {
      this.logger.info(
        { approvalId: request.id, principalId: input.principalId, connection: input.connection, ruleIds: input.ruleIds },
        'approval requested',
      );
      this.webhooks.notify(request, 'approval.requested');
    }
    return outcome.request;
  }

  // ── access requests ─────────────────────────────────────────────────────────────────────────────

  async requestAccess(input: {
    readonly principalId: string;
    readonly principalName: string | undefined;
    readonly connection: string;
    readonly grant: string;
    readonly durationSeconds: number;
    readonly reason: string;
    readonly approverGroups: readonly string[];
  }): Promise<ApprovalRequestEntity | 'too-many-pending'> {
    const now = new Date();
    const request: ApprovalRequestEntity = {
      id: randomUUID(),
      kind: 'access',
      status: 'pending',
      principalId: input.principalId,
      principalName: input.principalName ?? null,
      connection: input.connection,
      sessionId: null,
      agentId: null,
      commandText: null,
      commandDigest: null,
      commandClasses: [],
      ruleIds: [],
      reason: input.reason,
      approverGroups: [...input.approverGroups],
      minApprovals: 1,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + this.config.approvals.accessRequestTtlMs),
      resolvedAt: null,
      resolvedBy: null,
      resolutionComment: null,
      useUntil: null,
      consumedAt: null,
      grantName: input.grant,
      grantSeconds: input.durationSeconds,
      grantExpiresAt: null,
    };
    // One principal's pending requests are counted and added one at a time (any replica), so a
    // flood of requests can neither pass the cap nor page the approvers more than once per request.
    const outcome = await this.requests.manager.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sluice-access-requests:' || $1))`, [input.principalId]);
      const pending = await tx.find(ApprovalRequestEntity, {
        where: { kind: 'access', status: 'pending', principalId: input.principalId, expiresAt: MoreThan(now) },
      });
      const same = pending.find(
        (p) =>
          p.connection === input.connection &&
          p.grantName === input.grant &&
          p.grantSeconds === input.durationSeconds &&
          sameRequirement(p, { ruleIds: [], approverGroups: input.approverGroups, minApprovals: 1 }),
      );
      if (same) return { request: same, created: false } as const;
      if (pending.length >= MAX_PENDING_ACCESS_REQUESTS) return 'too-many-pending' as const;
      await tx.insert(ApprovalRequestEntity, request);
      return { request, created: true } as const;
    });
    if (outcome === 'too-many-pending') return outcome;
    if (outcome.created) {
      this.logger.info({ approvalId: request.id, principalId: input.principalId, grant: input.grant }, 'access requested');
      this.webhooks.notify(request, 'access.requested');
    }
    return outcome.request;
  }

  /** Names of the grants a principal holds on a connection now. */
  async activeGrants(principalId: string, connection: string): Promise<string[]> {
    const rows = await this.requests.find({
      select: { grantName: true },
      where: { kind: 'access', status: 'approved', principalId, connection, grantExpiresAt: MoreThan(new Date()) },
    });
    return [...new Set(rows.map((r) => r.grantName).filter((n): n is string => n !== null))];
  }

  async revokeGrant(id: string, actor: Approver, isAdmin: boolean, comment: string): Promise<ApprovalActionResult> {
    const request = await this.requests.findOneBy({ id, kind: 'access' });
    if (!request) return { ok: false, status: 404, message: `no access request ${id}` };
    if (!isAdmin && request.principalId !== actor.principalId)
      return { ok: false, status: 403, message: 'only an admin or the requester may revoke a grant' };
    if (request.status !== 'approved') return { ok: false, status: 409, message: `the request is ${request.status}, not an active grant` };
    await this.requests.update({ id }, { status: 'revoked', grantExpiresAt: new Date() });
    await this.actions.insert({
      approvalId: id,
      actorId: actor.principalId,
      actorName: actor.displayName ?? null,
      action: 'revoke',
      comment,
      at: new Date(),
    });
    // Decisions cached under the grant must go.
    await this.pushes.publish('all-agents', { invalidateDecisions: { policyVersion: '', principalId: request.principalId } });
    return { ok: true, approval: withChanges(request, { status: 'revoked' }) };
  }

  // ── approvers ───────────────────────────────────────────────────────────────────────────────────

  async list(status: ApprovalStatus | undefined, limit: number): Promise<ApprovalRequestEntity[]> {
    await this.expireOverdue();
    return this.requests.find({ where: status ? { status } : {}, order: { requestedAt: 'DESC' }, take: limit });
  }

  async get(id: string): Promise<{ request: ApprovalRequestEntity; actions: ApprovalActionEntity[] } | undefined> {
    await this.expireOverdue();
    const request = await this.requests.findOneBy({ id });
    if (!request) return undefined;
    return { request, actions: await this.actions.find({ where: { approvalId: id }, order: { at: 'ASC' } }) };
  }

  /**
   * Records an approval by `approver`. Nobody approves their own request; only members of the
   * request's approver groups (any approver when it names none); the request is approved once
   * `minApprovals` distinct approvers agreed.
   */
  async approve(id: string, approver: Approver, comment: string): Promise<ApprovalActionResult> {
    return this.act(id, approver, 'approve', comment);
  }

  async deny(id: string, approver: Approver, comment: string): Promise<ApprovalActionResult> {
    return this.act(id, approver, 'deny', comment);
  }

  private async act(id: string, approver: Approver, action: 'approve' | 'deny', comment: string): Promise<ApprovalActionResult> {
    await this.expireOverdue();
    const result = await this.requests.manager.transaction(async (tx): Promise<ApprovalActionResult> => {
      const requests = tx.getRepository(ApprovalRequestEntity);
      const request = await requests.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!request) return { ok: false, status: 404, message: `no approval ${id}` };
      if (request.principalId === approver.principalId)
        return { ok: false, status: 403, message: 'nobody may approve or deny their own request' };
      if (request.approverGroups.length > 0 && !request.approverGroups.some((p) => approver.groups.some((g) => groupMatches(p, g)))) {
        return { ok: false, status: 403, message: `only members of ${request.approverGroups.join(', ')} may act on this request` };
      }
      if (request.status !== 'pending') return { ok: false, status: 409, message: `the request is already ${request.status}` };
      // The sweeper may not have reached it yet: an overdue request cannot be acted on.
      if (request.expiresAt.getTime() <= Date.now()) return { ok: false, status: 409, message: 'the request has expired' };
      const actions = tx.getRepository(ApprovalActionEntity);
      const already = await actions.countBy({ approvalId: id, actorId: approver.principalId, action });
      if (already > 0) return { ok: false, status: 409, message: `you already chose to ${action} this request` };
      await actions.insert({
        approvalId: id,
        actorId: approver.principalId,
        actorName: approver.displayName ?? null,
        action,
        comment,
        at: new Date(),
      });

      const now = new Date();
      if (action === 'deny') {
        const denied = { status: 'denied' as const, resolvedAt: now, resolvedBy: approver.principalId, resolutionComment: comment };
        await requests.update({ id }, denied);
        return { ok: true, approval: withChanges(request, denied) };
      }
      const approvals = await actions.countBy({ approvalId: id, action: 'approve' });
      if (approvals < request.minApprovals) return { ok: true, approval: request };
      const approved = {
        status: 'approved' as const,
        resolvedAt: now,
        resolvedBy: approver.principalId,
        resolutionComment: comment,
        useUntil: request.kind === 'command' ? new Date(now.getTime() + this.config.approvals.retryWindowMs) : null,
        grantExpiresAt:
          request.kind === 'access' && request.grantSeconds !== null ? new Date(now.getTime() + request.grantSeconds * 1000) : null,
      };
      await requests.update({ id }, approved);
      return { ok: true, approval: withChanges(request, approved) };
    });
    if (result.ok && result.approval.status !== 'pending') await this.announce(result.approval);
    if (result.ok)
      this.logger.info({ approvalId: id, by: approver.principalId, action, status: result.approval.status }, 'approval action recorded');
    return result;
  }

  /** Marks overdue pending requests expired and tells whoever waits. */
  async expireOverdue(): Promise<void> {
    const overdue = await this.requests.find({ where: { status: 'pending', expiresAt: LessThan(new Date()) }, take: 500 });
    if (overdue.length === 0) return;
    const ids = overdue.map((r) => r.id);
    const result = await this.requests.update({ id: In(ids), status: 'pending' }, { status: 'expired', resolvedAt: new Date() });
    if ((result.affected ?? 0) === 0) return; // another replica got there first
    for (const request of overdue) await this.announce(withChanges(request, { status: 'expired' }));
  }

  /** Tell the agent holding the command (any replica) and the webhooks. */
  private async announce(request: ApprovalRequestEntity): Promise<void> {
    if (request.kind === 'command' && request.agentId) {
      const outcome = request.status === 'approved' ? 'approved' : request.status === 'denied' ? 'denied' : 'expired';
      await this.pushes
        .publish(
          { agentId: request.agentId },
          {
            approvalResolved: {
              approvalId: request.id,
              outcome,
              comment: request.resolutionComment ?? '',
              resolvedBy: request.resolvedBy ?? '',
            },
          },
        )
        .catch((error: unknown) => this.logger.error({ err: error, approvalId: request.id }, 'could not publish the approval resolution'));
    }
    if (request.kind === 'access' && request.status === 'approved') {
      await this.pushes
        .publish('all-agents', { invalidateDecisions: { policyVersion: '', principalId: request.principalId } })
        .catch(() => undefined);
    }
    this.webhooks.notify(request, `${request.kind === 'access' ? 'access' : 'approval'}.${request.status}`);
  }
}

/** A copy of an approval request with some fields changed (keeps the entity's class). */
function withChanges(request: ApprovalRequestEntity, changes: Partial<ApprovalRequestEntity>): ApprovalRequestEntity {
  return Object.assign(new ApprovalRequestEntity(), request, changes);
}
