import { describe, expect, it } from 'vitest';
import type { AuditEventRow } from '../sessions/session-queries.js';
import { datastoreActivity, srcEndpoint, toOcsfEvent } from './ocsf-event.mapper.js';

function row(kind: string, payload: Record<string, unknown>, command: Record<string, unknown> | null = null): AuditEventRow {
  return {
    sessionId: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a',
    seq: 7,
    kind,
    occurredAt: new Date('2026-01-31T10:00:00.123Z'),
    payload,
    hash: 'ab'.repeat(32),
    prevHash: 'cd'.repeat(32),
    session: {
      principal: {
        id: 'entra:tenant:oid',
        issuer: 'https://login.microsoftonline.com/tenant/v2.0',
        tenantId: 'tenant',
        subject: 'oid',
        kind: 'workload',
        displayName: 'Demo AI agent',
        appId: 'app-1',
        groups: ['ai-agents'],
        roles: ['Reader'],
        scopes: [],
        groupOverage: false,
      },
      connection: 'orders-db',
      agentId: 'agent-1',
      clientAddress: '10.1.2.3:51234',
      clientApplication: 'psql',
      clientUser: 'app',
      protocol: 'postgres',
    },
    command,
    cursor: { occurredAt: '2026-01-31 10:00:00.123+00', sessionId: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a', seq: 7 },
  };
}

describe('toOcsfEvent', () => {
  it('maps a denied statement to Datastore Activity with the query, the blocked disposition and the chain hash', () => {
    const event = toOcsfEvent(
      row(
        'command.decided',
        { effect: 'deny', ruleIds: ['block-ddl'], reason: 'Denied by rule block-ddl', policyVersion: 'v4' },
        {
          text: 'DROP TABLE customers',
          classes: ['sql.ddl.drop'],
        },
      ),
      '0.1.0',
    );
    expect(event).toMatchObject({
      class_uid: 6005,
      category_uid: 6,
      activity_id: 7,
      activity_name: 'Delete',
      type_uid: 600507,
      time: Date.parse('2026-01-31T10:00:00.123Z'),
      severity_id: 3,
      action_id: 2,
      disposition_id: 2,
      query_info: { query_string: 'DROP TABLE customers', uid: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a:7' },
      database: { name: 'orders-db', type_id: 1 },
      actor: { user: { uid: 'entra:tenant:oid', name: 'Demo AI agent', type_id: 99, groups: [{ name: 'ai-agents' }] }, app_name: 'psql' },
      src_endpoint: { ip: '10.1.2.3', port: 51234 },
      metadata: {
        version: '1.3.0',
        uid: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a:7',
        correlation_uid: '6f0c2a8e-4b1d-4c3e-9a55-0d8f3b2c1e7a',
        sequence: 7,
      },
      unmapped: { sluice: { kind: 'command.decided', hash: 'ab'.repeat(32), effect: 'deny', rule_ids: ['block-ddl'] } },
    });
  });

  it('maps a session opening to Authorize Session and a closing to Authentication Logoff', () => {
    expect(toOcsfEvent(row('session.opened', { protocol: 'postgres' }), '0.1.0')).toMatchObject({
      class_uid: 3003,
      activity_id: 2,
      type_uid: 300302,
      user: { uid: 'entra:tenant:oid' },
      groups: [{ name: 'ai-agents' }],
      privileges: ['Reader'],
    });
    expect(toOcsfEvent(row('session.closed', { reason: 'revoked' }), '0.1.0')).toMatchObject({
      class_uid: 3002,
      activity_id: 2,
      type_uid: 300202,
      status_detail: 'revoked',
    });
  });

  it('marks a failed completion as a failure with its SQLSTATE', () => {
    expect(
      toOcsfEvent(
        row('command.completed', { text: 'SELECT 1/0', error: '22012', durationMs: 3 }, { classes: ['sql.dml.select'] }),
        '0.1.0',
      ),
    ).toMatchObject({
      activity_id: 4,
      status_id: 2,
      status_code: '22012',
      duration: 3,
    });
  });

  it('never exports result previews (masked row data)', () => {
    const event = toOcsfEvent(row('command.result-preview', { columns: ['ssn'], rows: [['123-45-6789']] }), '0.1.0');
    expect(JSON.stringify(event)).not.toContain('123-45-6789');
    expect(event.unmapped.sluice.preview_rows).toBe(1);
  });

  it('never exports the preview a completion carries', () => {
    const event = toOcsfEvent(
      row('command.completed', {
        text: 'SELECT ssn FROM customers',
        tag: 'SELECT 1',
        rows: 1,
        preview: { columns: ['ssn'], rows: [['123-45-6789']] },
      }),
      '0.1.0',
    );
    expect(JSON.stringify(event)).not.toContain('123-45-6789');
    expect(event.unmapped.sluice.preview_rows).toBe(1);
  });

  it('exports unknown kinds as base events carrying their payload', () => {
    expect(toOcsfEvent(row('event.malformed', { problem: 'payload is not JSON' }), '0.1.0')).toMatchObject({
      class_uid: 0,
      type_uid: 99,
      unmapped: { sluice: { payload: { problem: 'payload is not JSON' } } },
    });
  });
});

describe('datastoreActivity', () => {
  it('names the most consequential activity of a statement', () => {
    expect(datastoreActivity(['sql.dml.select', 'sql.dml.delete'])).toEqual([7, 'Delete']);
    expect(datastoreActivity(['sql.ddl.create'])).toEqual([6, 'Create']);
    expect(datastoreActivity(['sql.dml.insert'])).toEqual([5, 'Write']);
    expect(datastoreActivity(['sql.cte.modifying'])).toEqual([2, 'Update']);
    expect(datastoreActivity(['sql.dml.select'])).toEqual([4, 'Query']);
    expect(datastoreActivity(['sql.tcl.begin'])).toEqual([99, 'Other']);
    // A prefix match needs a dot: 'sql.ddl.dropx' is not a drop.
    expect(datastoreActivity(['sql.ddl.dropx'])).toEqual([99, 'Other']);
  });
});

describe('srcEndpoint', () => {
  it('reads IPv4 and bracketed IPv6 addresses with ports, and ignores anything else', () => {
    expect(srcEndpoint('[::1]:5432')).toEqual({ src_endpoint: { ip: '::1', port: 5432 } });
    expect(srcEndpoint('::1')).toEqual({ src_endpoint: { ip: '::1' } });
    expect(srcEndpoint('db.example.com:5432')).toEqual({});
    expect(srcEndpoint('10.0.0.1:99999')).toEqual({ src_endpoint: { ip: '10.0.0.1' } });
  });
});
