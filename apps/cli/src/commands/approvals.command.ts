import type { ApprovalJson } from '../api-types.js';
import { EXIT, UsageError } from '../cli-errors.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { fields, table } from '../render/table.js';
import { oneLine } from '../render/terminal-safe.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed', 'revoked'];

function approvalPath(id: string, action = ''): string {
  return `/api/v1/approvals/${encodeURIComponent(id)}${action}`;
}

function describe(a: ApprovalJson): string {
  const known = new Set([
    'id',
    'status',
    'kind',
    'principalId',
    'principalName',
    'connection',
    'commandText',
    'reason',
    'requestedAt',
    'expiresAt',
  ]);
  const extra = Object.entries(a)
    .filter(([k, v]) => !known.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => [k, typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)] as const);
  return fields([
    ['id', a.id],
    ['status', a.status],
    ['kind', a.kind],
    ['principal', a.principalName ? `${a.principalName} (${a.principalId ?? '?'})` : a.principalId],
    ['connection', a.connection],
    ['command', a.commandText],
    ['reason', a.reason],
    ['requested', a.requestedAt],
    ['expires', a.expiresAt],
    ...extra,
  ]);
}

async function resolve(ctx: CommandContext, action: 'approve' | 'deny'): Promise<number> {
  const comment = ctx.string('comment');
  if (action === 'deny' && (comment === undefined || comment.trim() === ''))
    throw new UsageError('--comment is required to deny: the requester sees it');
  const a = await (
    await ctx.api()
  ).json<ApprovalJson>('POST', approvalPath(ctx.positional(0), `/${action}`), {
    body: JSON.stringify(comment === undefined ? {} : { comment }),
    contentType: 'application/json',
  });
  ctx.print(a, () => `${action === 'approve' ? 'approved' : 'denied'}: ${oneLine(a.id)} is now ${oneLine(a.status)}\n`);
  return EXIT.ok;
}

const comment = { comment: { type: 'string', value: 'TEXT', help: 'Why (recorded, shown to the requester)' } } as const;

export const approvalsCommands: CommandSpec[] = [
  {
    name: 'approvals list',
    summary: 'Approval requests (default: pending)',
    options: { status: { type: 'string', value: 'STATUS', help: `${STATUSES.join(', ')} (default pending)` } },
    async run(ctx) {
      const status = ctx.string('status') ?? 'pending';
      if (!STATUSES.includes(status)) throw new UsageError(`--status: one of ${STATUSES.join(', ')}`);
      const approvals = await (await ctx.api()).json<ApprovalJson[]>('GET', '/api/v1/approvals', { query: { status } });
      ctx.print(approvals, () =>
        approvals.length === 0
          ? `no ${status} approvals\n`
          : table(
              ['ID', 'STATUS', 'PRINCIPAL', 'CONNECTION', 'COMMAND', 'EXPIRES'],
              approvals.map((a) => [
                a.id,
                a.status,
                a.principalName ?? a.principalId,
                a.connection,
                a.commandText ?? a.reason,
                a.expiresAt,
              ]),
            ),
      );
      return EXIT.ok;
    },
  },
  {
    name: 'approvals show',
    args: '<id>',
    positionals: ['id'],
    summary: 'One approval request',
    async run(ctx) {
      const a = await (await ctx.api()).json<ApprovalJson>('GET', approvalPath(ctx.positional(0)));
      ctx.print(a, () => describe(a));
      return EXIT.ok;
    },
  },
  {
    name: 'approvals approve',
    args: '<id>',
    positionals: ['id'],
    summary: 'Approve a request',
    options: comment,
    run: (ctx) => resolve(ctx, 'approve'),
  },
  {
    name: 'approvals deny',
    args: '<id>',
    positionals: ['id'],
    summary: 'Deny a request (with --comment)',
    options: comment,
    run: (ctx) => resolve(ctx, 'deny'),
  },
];
