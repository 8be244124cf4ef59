import type { ReplayJson, SessionJson, SessionSummaryJson, VerificationJson } from '../api-types.js';
import { EXIT, UsageError } from '../cli-errors.js';
import type { CommandSpec } from '../command.js';
import { renderReplay } from '../render/replay-text.js';
import { fields, table } from '../render/table.js';
import { oneLine } from '../render/terminal-safe.js';

const EFFECTS = ['allow', 'mask', 'deny', 'review', 'refused'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sessionId(text: string): string {
  if (!UUID.test(text)) throw new UsageError(`not a session id: ${oneLine(text)}`);
  return text;
}

function state(s: SessionJson): string {
  return s.closedAt === null ? 'open' : `closed (${s.closeReason ?? '?'})`;
}

export const sessionsCommands: CommandSpec[] = [
  {
    name: 'sessions list',
    summary: 'Recorded sessions, newest first',
    options: {
      principal: { type: 'string', value: 'ID', help: 'Only this principal (its id, see "principals list")' },
      connection: { type: 'string', value: 'NAME', help: 'Only this connection' },
      from: { type: 'string', value: 'TIME', help: 'Only sessions still open at or after this ISO 8601 time' },
      to: { type: 'string', value: 'TIME', help: 'Only sessions opened before this ISO 8601 time' },
      effect: { type: 'string', value: 'EFFECT', help: `Only sessions with such a decision: ${EFFECTS.join(', ')}` },
      limit: { type: 'string', value: 'N', help: 'Sessions per page (1–500, default 50)' },
      cursor: { type: 'string', value: 'CURSOR', help: 'Continue after a previous page' },
      all: { type: 'boolean', help: 'Follow every page' },
    },
    async run(ctx) {
      const effect = ctx.string('effect');
      if (effect !== undefined && !EFFECTS.includes(effect)) throw new UsageError(`--effect: one of ${EFFECTS.join(', ')}`);
      const api = await ctx.api();
      const items: SessionJson[] = [];
      let cursor = ctx.string('cursor');
      for (;;) {
        const response = await api.request('GET', '/api/v1/sessions', {
          query: {
            principal: ctx.string('principal'),
            connection: ctx.string('connection'),
            from: ctx.string('from'),
            to: ctx.string('to'),
            effect,
            limit: ctx.string('limit') ?? 50,
            cursor,
          },
        });
        items.push(...((await response.json()) as SessionJson[]));
        cursor = response.headers.get('x-next-cursor') ?? undefined;
        if (!cursor || !ctx.flag('all')) break;
      }
      ctx.print({ sessions: items, nextCursor: cursor ?? null }, () =>
        items.length === 0
          ? 'no sessions\n'
          : table(
              ['ID', 'OPENED', 'STATE', 'PRINCIPAL', 'CONNECTION', 'CLIENT'],
              items.map((s) => [
                s.id,
                s.openedAt,
                state(s),
                s.principalName ?? s.principalId,
                s.connection,
                `${s.clientAddress} ${s.clientApplication ?? ''}`,
              ]),
            ),
      );
      if (cursor && !ctx.json) ctx.io.stderr(`more sessions: add --cursor ${cursor} (or --all)\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'sessions show',
    args: '<id>',
    positionals: ['id'],
    summary: 'One session: who, where, when, and counts by decision',
    async run(ctx) {
      const s = await (await ctx.api()).json<SessionSummaryJson>('GET', `/api/v1/sessions/${sessionId(ctx.positional(0))}`);
      ctx.print(s, () =>
        fields([
          ['id', s.id],
          ['principal', s.principal.displayName ? `${s.principal.displayName} (${s.principal.id})` : s.principal.id],
          ['kind', s.principal.kind],
          ['groups', s.principal.groups.join(', ')],
          ['connection', s.connection],
          ['agent', s.agentId],
          [
            'client',
            `${s.clientAddress}${s.clientApplication ? ` ${s.clientApplication}` : ''}${s.clientUser ? ` (user ${s.clientUser})` : ''}`,
          ],
          ['opened', s.openedAt],
          ['closed', s.closedAt === null ? 'still open' : `${s.closedAt} (${s.closeReason ?? '?'})`],
          ['events', s.events],
          ['statements', s.statements],
          [
            'decisions',
            Object.entries(s.decisions)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ') || 'none',
          ],
        ]),
      );
      return EXIT.ok;
    },
  },
  {
    name: 'sessions replay',
    args: '<id>',
    positionals: ['id'],
    summary: 'The session as the client experienced it: statements, decisions, approvals, results',
    async run(ctx) {
      const id = sessionId(ctx.positional(0));
      const api = await ctx.api();
      let page = await api.json<ReplayJson>('GET', `/api/v1/sessions/${id}/replay`);
      const whole: ReplayJson = { ...page, statements: [...page.statements], events: [...page.events] };
      while (page.nextAfterSeq !== null) {
        page = await api.json<ReplayJson>('GET', `/api/v1/sessions/${id}/replay`, { query: { afterSeq: page.nextAfterSeq } });
        whole.statements.push(...page.statements);
        whole.events.push(...page.events);
      }
      ctx.print({ ...whole, nextAfterSeq: null }, () => renderReplay(whole));
      return EXIT.ok;
    },
  },
  {
    name: 'sessions verify',
    args: '<id>',
    positionals: ['id'],
    summary: 'Recompute the hash chain: is the log complete and unaltered? (exit 0 yes, 1 tampered, 3 incomplete)',
    async run(ctx) {
      const v = await (await ctx.api()).json<VerificationJson>('GET', `/api/v1/sessions/${sessionId(ctx.positional(0))}/verify`);
      const verdict = !v.intact ? 'TAMPERED' : v.complete ? 'INTACT and COMPLETE' : 'INTACT, not complete';
      ctx.print(v, () =>
        [
          `session ${v.sessionId}: ${verdict}`,
          `${v.events} events stored; chain verified through event ${v.verifiedThroughSeq}`,
          ...(v.firstBadSeq === undefined ? [] : [`first bad event: ${v.firstBadSeq}`]),
          ...(v.problem === undefined ? [] : [oneLine(v.problem)]),
          `head hash: ${v.headHash}`,
          '',
        ].join('\n'),
      );
      return !v.intact ? EXIT.failed : v.complete ? EXIT.ok : EXIT.incomplete;
    },
  },
];
