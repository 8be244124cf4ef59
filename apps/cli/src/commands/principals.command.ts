import type { PrincipalJson } from '../api-types.js';
import { EXIT } from '../cli-errors.js';
import type { CommandSpec } from '../command.js';
import { table } from '../render/table.js';
import { oneLine } from '../render/terminal-safe.js';

export const principalsCommands: CommandSpec[] = [
  {
    name: 'principals list',
    summary: 'Every principal seen in a verified token, most recent first',
    async run(ctx) {
      const principals = await (await ctx.api()).json<PrincipalJson[]>('GET', '/api/v1/principals');
      ctx.print(principals, () =>
        table(
          ['ID', 'KIND', 'NAME', 'ROLES', 'LAST SEEN', 'REVOKED'],
          principals.map((p) => [
            p.id,
            p.kind,
            p.displayName,
            p.roles.join(','),
            p.lastSeenAt,
            p.revokedAt ? `yes: ${p.revokeReason ?? ''}` : 'no',
          ]),
        ),
      );
      return EXIT.ok;
    },
  },
  {
    name: 'principals revoke',
    args: '<id>',
    positionals: ['id'],
    summary: 'Revoke a principal: new sessions are refused, open ones end within a second',
    options: { reason: { type: 'string', value: 'TEXT', help: 'Why (required; recorded)' } },
    async run(ctx) {
      const reason = ctx.need('reason', 'say why');
      const id = ctx.positional(0);
      const p = await (
        await ctx.api()
      ).json<PrincipalJson>('POST', `/api/v1/principals/${encodeURIComponent(id)}/revoke`, {
        body: JSON.stringify({ reason }),
        contentType: 'application/json',
      });
      ctx.print(p, () => `revoked ${oneLine(p.id)}${p.displayName ? ` (${oneLine(p.displayName)})` : ''} at ${p.revokedAt ?? '?'}\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'principals unrevoke',
    args: '<id>',
    positionals: ['id'],
    summary: 'Lift a revocation',
    async run(ctx) {
      const id = ctx.positional(0);
      const p = await (await ctx.api()).json<PrincipalJson>('POST', `/api/v1/principals/${encodeURIComponent(id)}/unrevoke`);
      ctx.print(p, () => `restored ${oneLine(p.id)}\n`);
      return EXIT.ok;
    },
  },
];
