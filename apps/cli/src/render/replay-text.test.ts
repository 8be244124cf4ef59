import { describe, expect, it } from 'vitest';
import type { ReplayJson } from '../api-types.js';
import { renderReplay } from './replay-text.js';
import { clip, oneLine, terminalSafe } from './terminal-safe.js';

const replay: ReplayJson = {
  session: {
    id: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a',
    principalId: 'entra:t:p',
    principalName: 'Demo AI agent',
    connection: 'orders-db',
    agentId: 'agent-1',
    clientAddress: '127.0.0.1:5555',
    clientApplication: 'psql',
    clientUser: 'app',
    openedAt: '2026-01-31T10:00:00.000Z',
    closedAt: '2026-01-31T10:05:00.000Z',
    closeReason: 'client_closed',
    tokenExpiresAt: '2026-01-31T11:00:00.000Z',
    principal: { id: 'entra:t:p', kind: 'workload', displayName: 'Demo AI agent', groups: ['ai-agents'], roles: [] },
    events: 9,
    statements: 2,
    decisions: { mask: 1, review: 1 },
    firstEventAt: null,
    lastEventAt: null,
  },
  statements: [
    {
      seq: 2,
      at: '2026-01-31T10:00:01.000Z',
      via: 'query',
      text: 'SELECT full_name, ssn\nFROM customers',
      classes: ['sql.dml.select'],
      tables: ['customers'],
      decision: {
        seq: 3,
        at: '2026-01-31T10:00:01.001Z',
        effect: 'mask',
        ruleIds: ['mask-pii'],
        reason: 'PII masked',
        policyVersion: 'v3',
        cached: false,
      },
      approvals: [],
      resultPreviews: [
        {
          seq: 4,
          at: '2026-01-31T10:00:01.002Z',
          kind: 'command.result-preview',
          payload: { columns: ['full_name', 'ssn'], rows: [['Yusuf Jensen', '[redacted]']] },
        },
      ],
      completion: { seq: 5, at: '2026-01-31T10:00:01.003Z', durationMs: 4, tag: 'SELECT 1', rows: 1, error: null, refused: false },
    },
    {
      seq: 6,
      at: '2026-01-31T10:00:02.000Z',
      via: 'query',
      text: 'DELETE FROM customers',
      classes: ['sql.dml.delete'],
      tables: ['customers'],
      decision: {
        seq: 7,
        at: '2026-01-31T10:00:02.001Z',
        effect: 'review',
        ruleIds: ['review-deletes'],
        reason: 'needs approval',
        policyVersion: 'v3',
        cached: false,
      },
      approvals: [
        {
          seq: 8,
          at: '2026-01-31T10:00:02.002Z',
          kind: 'approval.resolved',
          payload: { approvalId: 'ap-1', outcome: 'denied', resolvedBy: 'Alice', comment: 'not today' },
        },
      ],
      resultPreviews: [],
      completion: { seq: 9, at: '2026-01-31T10:00:30.000Z', durationMs: 28000, tag: null, rows: null, error: '42501', refused: true },
    },
  ],
  events: [
    { seq: 1, at: '2026-01-31T10:00:00.000Z', kind: 'session.opened', payload: { protocol: 'postgres' } },
    { seq: 10, at: '2026-01-31T10:05:00.000Z', kind: 'session.closed', payload: { reason: 'client_closed' } },
  ],
  nextAfterSeq: null,
};

describe('renderReplay', () => {
  it('renders the session as a timeline of statements with decisions, previews, approvals and outcomes', () => {
    const text = renderReplay(replay);
    expect(text).toContain('principal  Demo AI agent (entra:t:p)');
    expect(text).toContain('recorded   9 events, 2 statements · mask 1 · review 1');
    const lines = text.split('\n');
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
    expect(at('session opened (postgres)')).toBeLessThan(at('SELECT full_name, ssn'));
    expect(lines[at('SELECT full_name, ssn') + 1]?.trim()).toBe('FROM customers');
    expect(text).toContain('~ mask · rules mask-pii · policy v3 · PII masked');
    expect(text).toMatch(/full_name\s+\| ssn/);
    expect(text).toMatch(/Yusuf Jensen \| \[redacted\]/);
    expect(text).toContain('= SELECT 1 · 1 rows · 4 ms');
    expect(text).toContain('! approval ap-1 denied by Alice: "not today"');
    expect(text).toContain('x failed: SQLSTATE 42501 (refused by Sluice)');
    expect(at('session closed: client_closed')).toBeGreaterThan(at('DELETE FROM customers'));
  });

  it('cannot be used to drive the auditor’s terminal: escapes and bidi overrides are shown, not sent', () => {
    const hostile: ReplayJson = {
      ...replay,
      statements: [{ ...replay.statements[0]!, text: 'SELECT 1 \u001b]0;pwned\u0007\u001b[2J -- \u202Eevil' }],
      events: [{ seq: 1, at: '2026-01-31T10:00:00.000Z', kind: 'session.closed', payload: { reason: '\u001b[31mred' } }],
    };
    const text = renderReplay(hostile);
    for (const raw of ['\u001b', '\u0007', '\u202E']) expect(text).not.toContain(raw);
    expect(text).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(text).toContain('\\u202e');
  });
});

describe('terminal-safe text', () => {
  it('keeps printable text, tabs and newlines; escapes controls', () => {
    expect(terminalSafe('a\tb\nc\u0000\u009b')).toBe('a\tb\nc\\x00\\x9b');
    expect(oneLine('a\nb\tc')).toBe('a\\nb\\tc');
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
