import type { ReplayAttachmentJson, ReplayJson, ReplayStatementJson } from '../api-types.js';
import { clip, oneLine, terminalSafe } from './terminal-safe.js';

const PREVIEW_ROWS = 10;
const PREVIEW_CELL = 30;

/**
 * A recorded session as text, in the order things happened: each statement with its decision,
 * approvals, result preview (as masked on the wire) and outcome (docs/cli.md "Replay").
 */
export function renderReplay(replay: ReplayJson): string {
  const s = replay.session;
  const who = s.principal.displayName ? `${s.principal.displayName} (${s.principal.id})` : s.principal.id;
  const counts = Object.entries(s.decisions)
    .map(([effect, n]) => `${effect} ${n}`)
    .join(' · ');
  const out: string[] = [
    `session ${s.id}`,
    `  principal  ${oneLine(who)}`,
    `  connection ${oneLine(s.connection)} via agent ${oneLine(s.agentId)}`,
    `  client     ${oneLine(s.clientAddress)}${s.clientApplication ? ` ${oneLine(s.clientApplication)}` : ''}${s.clientUser ? ` (user ${oneLine(s.clientUser)})` : ''}`,
    `  opened     ${s.openedAt}`,
    `  closed     ${s.closedAt === null ? 'still open' : `${s.closedAt}${s.closeReason ? ` (${oneLine(s.closeReason)})` : ''}`}`,
    `  recorded   ${plural(s.events, 'event')}, ${plural(s.statements, 'statement')}${counts ? ` · ${counts}` : ''}`,
    '',
  ];
  const timeline: ({ seq: number; statement: ReplayStatementJson } | { seq: number; event: ReplayAttachmentJson })[] = [
    ...replay.statements.map((statement) => ({ seq: statement.seq, statement })),
    ...replay.events.map((event) => ({ seq: event.seq, event })),
  ].sort((a, b) => a.seq - b.seq);
  for (const item of timeline) {
    if ('statement' in item) out.push(...statementLines(item.statement));
    else out.push(`${stamp(item.event.at, item.seq)}${eventLine(item.event)}`);
  }
  if (timeline.length === 0) out.push('(nothing recorded)');
  return `${out.join('\n')}\n`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function stamp(at: string, seq: number): string {
  return `${at.slice(11, 23)}  ${`#${seq}`.padEnd(6)}`;
}

const INDENT = ' '.repeat(20);

function statementLines(st: ReplayStatementJson): string[] {
  const [first = '', ...rest] = terminalSafe(st.text).split('\n');
  const lines = [`${stamp(st.at, st.seq)}${first}`, ...rest.map((l) => `${INDENT}${l}`)];
  const d = st.decision;
  if (d) {
    const rules = d.ruleIds.length > 0 ? ` · rules ${d.ruleIds.join(', ')}` : '';
    const policy = d.policyVersion ? ` · policy ${d.policyVersion}` : '';
    lines.push(
      `${INDENT}${marker(d.effect)} ${oneLine(d.effect)}${rules}${policy}${d.reason ? ` · ${oneLine(d.reason)}` : ''}${d.cached ? ' (cached)' : ''}`,
    );
  } else {
    lines.push(`${INDENT}? no decision recorded`);
  }
  for (const a of st.approvals) lines.push(`${INDENT}${approvalLine(a)}`);
  for (const p of st.resultPreviews) lines.push(...previewLines(p.payload).map((l) => `${INDENT}${l}`));
  const c = st.completion;
  if (c) {
    const duration = c.durationMs === null ? '' : ` · ${c.durationMs} ms`;
    if (c.error !== null)
      lines.push(`${INDENT}x failed: SQLSTATE ${oneLine(c.error)}${c.refused ? ' (refused by Sluice)' : ''}${duration}`);
    else lines.push(`${INDENT}= ${oneLine(c.tag ?? 'done')}${c.rows === null ? '' : ` · ${c.rows} rows`}${duration}`);
  } else {
    lines.push(`${INDENT}… no completion recorded`);
  }
  return lines;
}

function marker(effect: string): string {
  switch (effect) {
    case 'allow':
      return '+';
    case 'mask':
      return '~';
    case 'review':
      return '!';
    default:
      return 'x';
  }
}

function approvalLine(a: ReplayAttachmentJson): string {
  const p = a.payload;
  const id = typeof p.approvalId === 'string' ? ` ${oneLine(p.approvalId)}` : '';
  if (a.kind === 'approval.requested') return `! approval${id} requested${typeof p.reason === 'string' ? `: ${oneLine(p.reason)}` : ''}`;
  const by = typeof p.resolvedBy === 'string' ? ` by ${oneLine(p.resolvedBy)}` : '';
  const comment = typeof p.comment === 'string' && p.comment !== '' ? `: "${oneLine(p.comment)}"` : '';
  return `! approval${id} ${typeof p.outcome === 'string' ? oneLine(p.outcome) : 'resolved'}${by}${comment}`;
}

function eventLine(e: ReplayAttachmentJson): string {
  const p = e.payload;
  switch (e.kind) {
    case 'session.opened':
      return `session opened${typeof p.protocol === 'string' ? ` (${oneLine(p.protocol)})` : ''}`;
    case 'session.closed':
    case 'session.terminated':
      return `${e.kind.replace('.', ' ')}${typeof p.reason === 'string' ? `: ${oneLine(p.reason)}` : ''}${typeof p.code === 'string' ? ` (${oneLine(p.code)})` : ''}`;
    default:
      return `${oneLine(e.kind)} ${clip(JSON.stringify(p), 200)}`;
  }
}

/** A result preview as a small table when it has columns and rows, else as compact JSON. */
function previewLines(payload: Record<string, unknown>): string[] {
  const columns = Array.isArray(payload.columns)
    ? payload.columns.map((c: unknown) =>
        typeof c === 'string' ? c : typeof c === 'object' && c !== null && 'name' in c ? String(c.name) : String(c),
      )
    : undefined;
  const rows = Array.isArray(payload.rows) ? (payload.rows as unknown[]).filter((r): r is unknown[] => Array.isArray(r)) : undefined;
  if (!columns || !rows) return [`preview ${clip(JSON.stringify(payload), 200)}`];
  const cell = (v: unknown) => clip(v === null ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v), PREVIEW_CELL);
  const shown = rows.slice(0, PREVIEW_ROWS).map((r) => columns.map((_c, i) => cell(r[i])));
  const header = columns.map((c) => clip(c, PREVIEW_CELL));
  const widths = header.map((h, i) => Math.max(h.length, ...shown.map((r) => r[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  const more = [
    ...(rows.length > PREVIEW_ROWS ? [`(${rows.length - PREVIEW_ROWS} more rows in the recorded preview; --json shows them)`] : []),
    ...(payload.truncated === true ? ['(the agent recorded only the first rows)'] : []),
  ];
  return ['preview:', `  ${line(header)}`, ...shown.map((r) => `  ${line(r)}`), ...more.map((m) => `  ${m}`)];
}
