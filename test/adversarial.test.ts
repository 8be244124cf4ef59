// Adversarial tests: an attacker's view of the PostgreSQL data path and of the control plane's REST
// API, against the real system (control plane + agent + PostgreSQL, real clients and raw sockets).
// Each test names the attack; together with the fixes they pin, they are the regression suite for
// the security review (docs/postgres.md "Known limits" lists what is not fixed here, and why).
import { randomBytes } from 'node:crypto';
import { waitFor, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSession, tokenClient } from './support/postgres-clients.js';
import { dataRowText, sendPipeline, settle, type PipelineStep } from './support/raw-pipeline.js';
import { devToken, type RunningControlPlane } from './support/system.js';
import {
  EMAILS,
  ORDER_EMAIL,
  POLICY,
  SSNS,
  VAULT_SECRET,
  startAdversarialTarget,
  type AdversarialTarget,
} from './support/adversarial-target.js';

describe('adversarial: an attacker against the data path and the control plane', () => {
  let target: TestDatabase;
  let adversary: AdversarialTarget;
  let controlPlane: RunningControlPlane;
  let port = 0;
  let direct: pg.Client;
  let agentToken = '';
  let adminToken = '';
  let approverToken = '';
  const clients: pg.Client[] = [];

  const exists = async (table: string): Promise<boolean> =>
    (await direct.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${table}`])).rows[0]?.t === table;
  const keeperCount = async (): Promise<number> =>
    Number((await direct.query<{ n: string }>('SELECT count(*) AS n FROM keepers')).rows[0]?.n);

  async function connect(token: string): Promise<pg.Client> {
    const client = tokenClient(port, target.name, token);
    clients.push(client);
    await client.connect();
    return client;
  }

  /** The SQLSTATE a statement fails with, or 'ok'. */
  async function outcome(client: pg.Client, sql: string | pg.QueryConfig): Promise<string> {
    try {
      await client.query(sql);
      return 'ok';
    } catch (error) {
      if (error instanceof pg.DatabaseError) return error.code ?? 'no-code';
      return `client-error: ${(error as Error).message}`;
    }
  }

  const expectNoSecret = (value: unknown, secrets: readonly string[]): void => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const secret of secrets) expect(text).not.toContain(secret);
  };

  const api = (path: string, init: RequestInit & { token?: string } = {}): Promise<Response> => {
    const { token, headers, ...rest } = init;
    return fetch(`${controlPlane.httpUrl}${path}`, {
      ...rest,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        ...(headers as Record<string, string>),
      },
    });
  };

  beforeAll(async () => {
    adversary = await startAdversarialTarget('adv');
    ({ target, direct, controlPlane, port } = adversary);
    [agentToken, adminToken, approverToken] = await Promise.all([
      devToken(controlPlane, 'demo-agent'),
      devToken(controlPlane, 'demo-admin'),
      devToken(controlPlane, 'demo-approver'),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await adversary.stop();
  });

  describe('policy bypass through what the classifier reads', () => {
    it('refuses DROP/DELETE however the text is dressed up (comments, quoting, nesting, case, escapes)', async () => {
      const agentClient = await connect(agentToken);
      const disguised = [
        '/* harmless */ DROP TABLE victim_a',
        'SELECT 1 /* /* nested */ */; DROP TABLE victim_a',
        'SELECT $$ ; $$; DROP TABLE victim_a',
        'SELECT $a$ $b$ ; $a$; DROP TABLE victim_a',
        "SELECT E'\\' ; ' ; DROP TABLE victim_a",
        'SELECT U&"\\0061" FROM (SELECT 1 AS a) s; DROP TABLE victim_a',
        'SELECT 1 --\r\n; DROP TABLE victim_a',
        'dRoP\tTaBlE "victim_a"',
        'EXPLAIN ANALYZE DELETE FROM keepers',
        'WITH x AS (SELECT 1), y AS (DELETE FROM keepers RETURNING 1) SELECT * FROM x',
        'SELECT * FROM (SELECT 1) s WHERE EXISTS (WITH d AS (DELETE FROM keepers RETURNING 1) SELECT 1 FROM d)',
        'INSERT INTO keepers VALUES (9, $$x$$) ON CONFLICT (id) DO UPDATE SET note = $$y$$',
        'SELECT * INTO stolen FROM customers',
        'CREATE TABLE stolen AS SELECT * FROM customers',
        'PREPARE d AS DELETE FROM keepers',
        'DECLARE c CURSOR WITH HOLD FOR SELECT 1; DELETE FROM keepers',
        'COPY keepers FROM STDIN',
        'CALL nothing()',
        "DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'keepers'); END $$",
        'SET ROLE pg_write_server_files',
        'SET SESSION AUTHORIZATION postgres',
        'SET "rOlE" = pg_monitor',
        'ALTER ROLE CURRENT_USER SET search_path = evil',
        'CREATE FUNCTION f() RETURNS int SECURITY DEFINER LANGUAGE sql AS $$ SELECT 1 $$',
        'CREATE RULE r AS ON SELECT TO keepers DO INSTEAD NOTHING',
        'LISTEN leak',
        "NOTIFY leak, 'x'",
      ];
      for (const sql of disguised) expect({ sql, code: await outcome(agentClient, sql) }).toEqual({ sql, code: '42501' });
      expect(await exists('victim_a')).toBe(true);
      expect(await exists('stolen')).toBe(false);
      expect(await keeperCount()).toBe(3);
    });

    it('does not let a pipelined SET standard_conforming_strings = off make the server read a hidden DROP', async () => {
      // The classifier reads `'x\'' ; DROP …; --'` as one string literal (standard_conforming_strings
      // on); a server that already ran the SET reads `'x\''` as a string and then a DROP. People may
      // SET anything here — but DROP is denied for everyone.
      const { socket, reader } = await openRawSession(port, target.name, adminToken);
      const from = reader.messages.length;
      sendPipeline(socket, [{ query: 'SET standard_conforming_strings = off' }, { query: "SELECT 'x\\'' ; DROP TABLE victim_a; --'" }]);
      await settle(reader, socket, from, 2);
      socket.destroy();
      expect(await exists('victim_a')).toBe(true);
    });

    it('does not let an agent switch standard_conforming_strings with set_config() to smuggle a DELETE', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { query: "SELECT set_config('standard_conforming_strings', 'off', false)" },
        { query: "SELECT 'x\\'' ; DELETE FROM keepers; --'" },
      ]);
      await settle(reader, socket, from, 2);
      socket.destroy();
      expect(await keeperCount()).toBe(3);
    });

    it('does not let the extended protocol Parse a statement under a setting changed earlier in the same pipeline', async () => {
      const { socket, reader } = await openRawSession(port, target.name, adminToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { parse: 'SET standard_conforming_strings = off' },
        { bind: '' },
        { execute: '' },
        // Read as `SELECT 'x''' , 1 AS hidden` once the SET ran: a column the classifier never saw.
        { parse: "SELECT 'x\\'' , 1 AS hidden --'" },
        { bind: '' },
        { execute: '' },
        { sync: true },
      ]);
      const messages = await settle(reader, socket, from, 1);
      socket.destroy();
      // The classifier's reading has one column; a second one means the server read other text.
      expect(messages.filter((m) => m.kind === 'DataRow' && m.values.length > 1)).toEqual([]);
    });

    it('refuses side-effecting functions called from a SELECT by a read-only principal', async () => {
      const agentClient = await connect(agentToken);
      const pid = (await direct.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const sideEffects = [
        "SELECT set_config('role', 'pg_monitor', false)",
        "SELECT pg_catalog.set_config('search_path', 'evil', false)",
        `SELECT pg_terminate_backend(${pid})`,
        "SELECT setval('counter', 1000)",
        "SELECT lo_import('/etc/hostname')",
        "SELECT pg_read_file('/etc/hostname')",
        'SELECT count(*) FROM keepers WHERE pg_reload_conf()',
        "SELECT * FROM keepers k WHERE k.note = (SELECT current_setting('x', true) || lo_from_bytea(0, 'x')::text)",
      ];
      for (const sql of sideEffects) expect({ sql, code: await outcome(agentClient, sql) }).toEqual({ sql, code: '42501' });
      expect((await direct.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
      expect((await direct.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0]?.n).toBe('0');
      // What the read-only list covers still works.
      expect((await agentClient.query<{ n: string }>("SELECT count(*) AS n FROM keepers WHERE lower(note) = 'one'")).rows).toEqual([
        { n: '1' },
      ]);
    });

    it('refuses a statement too large to classify instead of letting a catch-all allow run it', async () => {
      // Over SLUICE_MAX_STATEMENT_BYTES the text is not parsed: a DROP in front of the padding would
      // otherwise be decided as `sql.unparseable` — which the people rule (no `commands`) allows.
      const admin = await connect(adminToken);
      const padding = 'x'.repeat(5_000);
      expect(await outcome(admin, `DROP TABLE victim_b; SELECT '${padding}'`)).toBe('54000');
      expect(await outcome(admin, { text: `DROP TABLE victim_b --${padding}`, values: [] })).toBe('54000');
      expect(await exists('victim_b')).toBe(true);
      expect((await admin.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });

    it('runs nothing of a pipeline with a refused message in the middle, up to Sync', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { parse: 'SELECT 1' },
        { bind: '' },
        { execute: '' },
        { parse: 'DROP TABLE victim_c' },
        { bind: '' },
        { execute: '' },
        { parse: "SELECT set_config('x.y', 'z', false)" },
        { bind: '' },
        { execute: '' },
        { sync: true },
        { query: 'SELECT 2' },
      ]);
      const messages = await settle(reader, socket, from, 2);
      socket.destroy();
      const errors = messages.filter((m) => m.kind === 'ErrorResponse');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: '42501' });
      expect(await exists('victim_c')).toBe(true);
      expect(dataRowText(messages)).toContain('2'); // the session goes on after Sync
    });
  });

  describe('prepared statements, cursors and policy changes', () => {
    it('masks SQL EXECUTE of a statement prepared at the protocol level as what it runs', async () => {
      // Parse 'q' = SELECT secret FROM vault (masked: the vault rule matches its table). A bare
      // `EXECUTE q` names no table, so a decision on the EXECUTE alone would not mask.
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [{ parse: 'SELECT secret FROM vault', name: 'q' }, { sync: true }, { query: 'EXECUTE q' }]);
      const messages = await settle(reader, socket, from, 2);
      socket.destroy();
      expect(messages.filter((m) => m.kind === 'DataRow')).toHaveLength(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('does not bind a protocol name that SQL DEALLOCATE + PREPARE re-pointed at other data', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { parse: 'SELECT 1', name: 'p' },
        { sync: true },
        { query: 'DEALLOCATE p; PREPARE p AS SELECT secret FROM vault' },
        { bind: 'p' },
        { execute: '' },
        { sync: true },
      ]);
      const messages = await settle(reader, socket, from, 3);
      socket.destroy();
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('keeps the first statement of a name when the server refuses a second Parse or PREPARE of it', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { parse: 'SELECT secret FROM vault', name: 'dup' },
        { sync: true },
        { parse: 'SELECT 1', name: 'dup' }, // 42P05: the server keeps the vault statement
        { sync: true },
        { bind: 'dup' },
        { execute: '' },
        { sync: true },
        { query: 'PREPARE sqldup AS SELECT secret FROM vault' },
        { query: 'PREPARE sqldup AS SELECT 1' }, // 42P05 again
        { query: 'EXECUTE sqldup' },
      ]);
      const messages = await settle(reader, socket, from, 6);
      socket.destroy();
      expect(messages.flatMap((m) => (m.kind === 'ErrorResponse' ? [m.code] : []))).toEqual(['42P05', '42P05']);
      expect(messages.filter((m) => m.kind === 'DataRow')).toHaveLength(2);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('does not Execute a declared cursor as the stale protocol portal of the same name', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { query: 'BEGIN' },
        { parse: 'SELECT 1', name: 'one' },
        { bind: 'one', portal: 'x' },
        { execute: 'x' },
        { sync: true },
        { query: 'COMMIT' }, // the portal is gone on the server; a cursor may now take its name
        { query: 'BEGIN' },
        { query: 'DECLARE x CURSOR FOR SELECT secret FROM vault' },
        { execute: 'x' },
        { sync: true },
        { query: 'ROLLBACK' },
      ]);
      const messages = await settle(reader, socket, from, 7);
      socket.destroy();
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('keeps a name it refused a Parse for: a later Parse of the name cannot stand in for what the server still holds', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      sendPipeline(socket, [
        { parse: 'SELECT secret FROM vault', name: 'held' },
        { sync: true },
        { parse: 'DELETE FROM keepers', name: 'held' }, // refused by policy (agents never write)
        { sync: true },
        { parse: 'SELECT 1', name: 'held' }, // 42P05: the server still holds the vault statement
        { sync: true },
        { bind: 'held' },
        { execute: '' },
        { sync: true },
      ]);
      const messages = await settle(reader, socket, from, 4);
      socket.destroy();
      expect(messages.flatMap((m) => (m.kind === 'ErrorResponse' ? [m.code] : []))).toEqual(['42501', '42P05']);
      expect(messages.filter((m) => m.kind === 'DataRow')).toHaveLength(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
      expect(await keeperCount()).toBe(3);
    });

    it('bounds what a session can make the agent remember: a flood of Parses of one name is refused with 54000', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      const steps: PipelineStep[] = [];
      for (let i = 0; i < 40; i++) steps.push({ parse: `SELECT ${i}`, name: 'flood' }, { sync: true });
      steps.push({ query: 'SELECT 1 AS still_usable' });
      sendPipeline(socket, steps);
      const messages = await settle(reader, socket, from, 41);
      socket.destroy();
      const codes = messages.flatMap((m) => (m.kind === 'ErrorResponse' ? [m.code] : []));
      // The first Parse creates it, the next 31 are remembered as candidates (the server says 42P05), the rest are refused.
      expect(codes.filter((c) => c === '42P05')).toHaveLength(31);
      expect(codes.filter((c) => c === '54000')).toHaveLength(8);
      expect(dataRowText(messages.slice(-3))).toBe('1');
    });

    it('masks FETCH from a WITH HOLD cursor and a binary cursor over masked tables', async () => {
      const agentClient = await connect(agentToken);
      await agentClient.query('BEGIN');
      await agentClient.query('DECLARE c CURSOR WITH HOLD FOR SELECT email, ssn FROM customers');
      await agentClient.query('COMMIT');
      const fetched = await agentClient.query('FETCH ALL c');
      expect(fetched.rows).toHaveLength(3);
      expectNoSecret(fetched.rows, [...EMAILS, ...SSNS]);
      await agentClient.query('CLOSE c');
      await agentClient.query('BEGIN');
      await agentClient.query('DECLARE b BINARY CURSOR FOR SELECT email FROM customers');
      const binary = await agentClient.query({ text: 'FETCH ALL b', rowMode: 'array' });
      await agentClient.query('ROLLBACK');
      expectNoSecret(
        binary.rows.map((r: unknown[]) => String(r[0])),
        EMAILS,
      );
    });

    it('decides a protocol-level prepared statement again at Bind after the policy changed', async () => {
      const { socket, reader } = await openRawSession(port, target.name, adminToken);
      let from = reader.messages.length;
      sendPipeline(socket, [{ parse: 'SELECT note FROM keepers WHERE id = 1', name: 'before_change' }, { sync: true }]);
      await settle(reader, socket, from, 1);
      const stricter = POLICY.replace(
        '  - id: open-sessions',
        '  - id: keepers-frozen\n    match: { tables: [keepers] }\n    effect: { deny: { message: keepers is frozen } }\n\n  - id: open-sessions',
      );
      const put = await api('/api/v1/policy', {
        method: 'PUT',
        token: adminToken,
        headers: { 'content-type': 'application/yaml' },
        body: stricter,
      });
      expect(put.status).toBe(200);
      try {
        await new Promise((r) => setTimeout(r, 500)); // the invalidation push reaches the agent (docs: within a second)
        from = reader.messages.length;
        sendPipeline(socket, [{ bind: 'before_change' }, { execute: '' }, { sync: true }]);
        const messages = await settle(reader, socket, from, 1);
        expect(messages.find((m) => m.kind === 'ErrorResponse')).toMatchObject({ code: '42501' });
        expect(dataRowText(messages)).not.toContain('one');
      } finally {
        socket.destroy();
        const restored = await api('/api/v1/policy', {
          method: 'PUT',
          token: adminToken,
          headers: { 'content-type': 'application/yaml' },
          body: POLICY,
        });
        expect(restored.status).toBe(200);
      }
    });
  });

  describe('masking bypass', () => {
    it('masks a column read through an existing view, a partition, or pg_stat_activity', async () => {
      const agentClient = await connect(agentToken);
      const view = await agentClient.query('SELECT id, email FROM customer_contacts ORDER BY id');
      expect(view.rows).toHaveLength(3);
      expectNoSecret(view.rows, EMAILS);
      const partition = await agentClient.query('SELECT customer_email FROM orders_eu');
      expect(partition.rows).toHaveLength(1);
      expectNoSecret(partition.rows, [ORDER_EMAIL]);
      // Another (unmasked) session's statement text quotes a value; the agent shares the backend role.
      const admin = await connect(adminToken);
      const held = admin.query(`SELECT pg_sleep(3) WHERE '${EMAILS[0]}' <> ''`);
      await waitFor(async () => {
        const seen = await direct.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'");
        return seen.rowCount ? true : undefined;
      });
      const activity = await agentClient.query('SELECT query FROM pg_stat_activity');
      await held;
      expectNoSecret(activity.rows, [EMAILS[0]!]);
    });

    it('masks values laundered through whole-row, aggregate, JSON and string functions', async () => {
      const agentClient = await connect(agentToken);
      const laundering = [
        'SELECT c FROM customers c',
        'SELECT c::text FROM customers c',
        'SELECT row_to_json(c) FROM customers c',
        'SELECT to_jsonb(c) FROM customers c',
        'SELECT json_agg(c) FROM customers c',
        'SELECT array_agg(email) FROM customers',
        "SELECT string_agg(email, ',') FROM customers",
        "SELECT format('%s|%s', email, ssn) FROM customers",
        "SELECT concat(email, ' ', ssn) FROM customers",
        'SELECT email::varchar(200) FROM customers',
        'SELECT ARRAY[email, ssn] FROM customers',
        'SELECT (SELECT email FROM customers WHERE id = 1)',
        'WITH x AS (SELECT email AS e, ssn AS s FROM customers) SELECT e, s FROM x',
        'SELECT * FROM (SELECT email, ssn FROM customers) s',
      ];
      for (const sql of laundering) {
        const result = await agentClient.query({ text: sql, rowMode: 'array' });
        expect(result.rows.length, sql).toBeGreaterThan(0);
        const text = JSON.stringify(result.rows);
        for (const secret of [...EMAILS, ...SSNS]) expect({ sql, leaked: text.includes(secret) }).toEqual({ sql, leaked: false });
      }
    });

    it('refuses COPY of masked data, binary results, and hides masked values in errors', async () => {
      const agentClient = await connect(agentToken);
      // Refused by policy (COPY is not a read here) or, where COPY is allowed, because it is masked.
      expect(['42501', '0A000']).toContain(await outcome(agentClient, 'COPY (SELECT email FROM customers) TO STDOUT'));
      expect(['42501', '0A000']).toContain(await outcome(agentClient, 'COPY customers TO STDOUT'));
      expect(
        await outcome(agentClient, { text: 'SELECT email FROM customers WHERE id = $1', values: [1], binary: true } as pg.QueryConfig),
      ).toBe('0A000');
      try {
        await agentClient.query('SELECT email::int FROM customers');
        expect.unreachable('the cast must fail');
      } catch (error) {
        expectNoSecret({ message: (error as pg.DatabaseError).message, detail: (error as pg.DatabaseError).detail }, EMAILS);
      }
    });
  });

  describe('REST and identity', () => {
    it('refuses forged, re-signed and wrong-audience tokens on REST and on new sessions', async () => {
      const [header, payload] = adminToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['Sluice.Admin'], oid: 'x' })).toString('base64url')}.${adminToken.split('.')[2]}`;
      const agentParts = agentToken.split('.');
      const escalated = `${agentParts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(agentParts[1]!, 'base64url').toString()), roles: ['Sluice.Admin'] })).toString('base64url')}.${agentParts[2]}`;
      for (const token of [none, tampered, escalated, `${adminToken}x`, randomBytes(40).toString('base64url')]) {
        expect((await api('/api/v1/principals', { token })).status).toBe(401);
      }
      const otherAudience = await fetch(`${controlPlane.httpUrl}/dev-issuer/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'demo-admin',
          client_secret: controlPlane.env.SLUICE_DEV_ISSUER_SECRET!,
          scope: 'api://other/.default',
        }),
      });
      expect(otherAudience.status).toBe(400);
      const forged = new pg.Client({
        host: '127.0.0.1',
        port,
        database: target.name,
        user: 'x',
        password: escalated,
        ssl: { rejectUnauthorized: false },
      });
      forged.on('error', () => undefined);
      await expect(forged.connect()).rejects.toMatchObject({ code: '28P01' });
    });

    it('keeps roles to their holders: an agent cannot read principals, approve or change policy', async () => {
      expect((await api('/api/v1/principals', { token: agentToken })).status).toBe(403);
      expect((await api('/api/v1/policy', { method: 'PUT', token: agentToken, body: JSON.stringify({ rules: [] }) })).status).toBe(403);
      expect((await api('/api/v1/approvals', { token: agentToken })).status).toBe(403);
      expect(
        (
          await api(`/api/v1/approvals/${randomBytes(16).toString('hex')}/approve`, {
            method: 'POST',
            token: agentToken,
            body: '{"comment":"x"}',
          })
        ).status,
      ).toBe(403);
      // Path tricks in ids never reach the database as something else.
      for (const id of ['..%2F..%2Fpolicy', '%2e%2e', "1'%20OR%20'1'='1", 'ＡＢＣ']) {
        const status = (await api(`/api/v1/approvals/${id}/approve`, { method: 'POST', token: approverToken, body: '{"comment":"x"}' }))
          .status;
        expect([400, 404]).toContain(status);
      }
      const huge = await api('/api/v1/access-requests', {
        method: 'POST',
        token: agentToken,
        body: JSON.stringify({ reason: 'x'.repeat(2_000_000) }),
      });
      expect(huge.status).toBe(413);
    });

    it('does not let a principal approve its own access request', async () => {
      const created = await api('/api/v1/access-requests', {
        method: 'POST',
        token: approverToken,
        body: JSON.stringify({ connection: 'adv-pg', grant: 'write-access', durationSeconds: 60, reason: 'mine', approverGroups: [] }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect(
        (await api(`/api/v1/approvals/${id}/approve`, { method: 'POST', token: approverToken, body: '{"comment":"self"}' })).status,
      ).toBe(403);
    });

    it('refuses a revoked principal’s still-valid token on REST and on new sessions, and ends its open session', async () => {
      const approverId = JSON.parse(Buffer.from(approverToken.split('.')[1]!, 'base64url').toString()) as { tid: string; oid: string };
      const principalId = `entra:${approverId.tid}:${approverId.oid}`;
      const open = await connect(approverToken);
      const revoke = await api(`/api/v1/principals/${encodeURIComponent(principalId)}/revoke`, {
        method: 'POST',
        token: adminToken,
        body: JSON.stringify({ reason: 'adversarial test' }),
      });
      expect(revoke.status).toBe(200);
      try {
        expect((await api('/api/v1/approvals', { token: approverToken })).status).toBe(401);
        await waitFor(async () => ((await outcome(open, 'SELECT 1')) === 'ok' ? undefined : true), 5_000);
        const again = new pg.Client({
          host: '127.0.0.1',
          port,
          database: target.name,
          user: 'x',
          password: approverToken,
          ssl: { rejectUnauthorized: false },
        });
        again.on('error', () => undefined);
        await expect(again.connect()).rejects.toMatchObject({ code: '28000' });
      } finally {
        await api(`/api/v1/principals/${encodeURIComponent(principalId)}/unrevoke`, { method: 'POST', token: adminToken, body: '{}' });
      }
    });
  });
});
