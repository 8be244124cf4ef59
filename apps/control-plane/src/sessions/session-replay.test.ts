import { describe, expect, it } from 'vitest';
import { ReplayBuilder, type ReplayInputEvent } from './session-replay.js';

let seq = 0;
function event(kind: string, payload: Record<string, unknown>): ReplayInputEvent {
  seq += 1;
  return { seq, kind, occurredAt: new Date(1_760_000_000_000 + seq), payload };
}

function build(events: ReplayInputEvent[]): ReplayBuilder {
  const builder = new ReplayBuilder();
  for (const e of events) builder.add(e);
  return builder;
}

describe('ReplayBuilder', () => {
  it('folds a simple query into one statement with its decision and completion', () => {
    seq = 0;
    const replay = build([
      event('session.opened', { protocol: 'postgres' }),
      event('command.received', { via: 'query', text: 'SELECT * FROM customers', classes: ['sql.dml.select'], tables: ['customers'] }),
      event('command.decided', { effect: 'mask', ruleIds: ['mask-pii'], reason: 'masked', policyVersion: 'v3', cached: false }),
      event('command.result-preview', { columns: ['email'], rows: [['****']] }),
      event('command.completed', { text: 'SELECT * FROM customers', durationMs: 4, tag: 'SELECT 1', rows: 1 }),
      event('session.closed', { reason: 'client_closed' }),
    ]);
    expect(replay.statements).toHaveLength(1);
    expect(replay.statements[0]).toMatchObject({
      seq: 2,
      via: 'query',
      text: 'SELECT * FROM customers',
      classes: ['sql.dml.select'],
      decision: { seq: 3, effect: 'mask', ruleIds: ['mask-pii'], policyVersion: 'v3', cached: false },
      resultPreviews: [{ seq: 4, payload: { columns: ['email'], rows: [['****']] } }],
      completion: { seq: 5, tag: 'SELECT 1', rows: 1, durationMs: 4, error: null, refused: false },
    });
    expect(replay.events.map((e) => e.kind)).toEqual(['session.opened', 'session.closed']);
  });

  it('shows the preview a completion carries as the result preview of its statement', () => {
    seq = 0;
    const replay = build([
      event('command.received', { via: 'query', text: 'SELECT email FROM customers' }),
      event('command.decided', { effect: 'mask' }),
      event('command.completed', {
        text: 'SELECT email FROM customers',
        tag: 'SELECT 1',
        rows: 1,
        preview: { columns: ['email'], rows: [['****']] },
      }),
      event('command.received', { via: 'query', text: 'SELECT 1' }),
      event('command.decided', { effect: 'allow' }),
      event('command.completed', { text: 'SELECT 1', tag: 'SELECT 1', preview: 'not an object' }),
    ]);
    expect(replay.statements.map((s) => s.resultPreviews)).toEqual([
      [
        {
          seq: 3,
          at: new Date(1_760_000_000_003).toISOString(),
          kind: 'command.result-preview',
          payload: { columns: ['email'], rows: [['****']] },
        },
      ],
      [],
    ]);
    expect(replay.statements[0]?.completion).toMatchObject({ seq: 3, tag: 'SELECT 1', rows: 1 });
  });

  it('matches completions of a multi-statement message to their statements in order, by text', () => {
    seq = 0;
    const replay = build([
      event('command.received', { text: 'SELECT 1' }),
      event('command.decided', { effect: 'allow' }),
      event('command.received', { text: 'SELECT 2' }),
      event('command.decided', { effect: 'allow' }),
      event('command.completed', { text: 'SELECT 1', tag: 'SELECT 1' }),
      event('command.completed', { text: 'SELECT 2', tag: 'SELECT 1' }),
    ]);
    expect(replay.statements.map((s) => [s.text, s.decision?.seq, s.completion?.seq])).toEqual([
      ['SELECT 1', 2, 5],
      ['SELECT 2', 4, 6],
    ]);
  });

  it('attaches approvals to the held statement, and a refusal to the refused one', () => {
    seq = 0;
    const replay = build([
      event('command.received', { text: 'DELETE FROM customers' }),
      event('command.decided', { effect: 'review', reason: 'needs approval' }),
      event('approval.requested', { approvalId: 'a1', reason: 'needs approval' }),
      event('approval.resolved', { approvalId: 'a1', outcome: 'denied', comment: 'not today' }),
      event('command.completed', { text: 'DELETE FROM customers', error: '42501', refused: true }),
    ]);
    const [held] = replay.statements;
    expect(held?.approvals.map((a) => [a.kind, a.payload.outcome ?? null])).toEqual([
      ['approval.requested', null],
      ['approval.resolved', 'denied'],
    ]);
    expect(held?.completion).toMatchObject({ error: '42501', refused: true });
  });

  it('keeps events it cannot place, and tolerates malformed payload fields', () => {
    seq = 0;
    const replay = build([
      event('command.completed', { text: 'orphan' }),
      event('command.received', { text: 42, classes: 'not-a-list', tables: [1, 't'] }),
      event('event.malformed', { problem: 'payload is not JSON' }),
    ]);
    expect(replay.events.map((e) => e.kind)).toEqual(['command.completed', 'event.malformed']);
    expect(replay.statements[0]).toMatchObject({ text: '', classes: [], tables: ['t'], decision: null, completion: null });
  });
});
