// More adversarial tests against the PostgreSQL data path (security review, second pass): an
// attacker with a valid token for a read-only principal whose PII is masked (`demo-agent`, group
// `ai-agents`), against the real system (control plane + agent + PostgreSQL, raw sockets). Each test
// names the attack. Self-contained: the same policy and schema as test/adversarial.test.ts.
// Tests titled "closed bypass" pin a leak this review found and the agent now prevents.
import { encodeFrontendMessage, type BackendMessage, type FrontendMessage } from '@sluice/postgres-wire';
import type { TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSession, tokenClient } from './support/postgres-clients.js';
import { dataRowText, settle } from './support/raw-pipeline.js';
import { devToken, type RunningControlPlane } from './support/system.js';
import { EMAILS, SSNS, VAULT_SECRET, startAdversarialTarget, type AdversarialTarget } from './support/adversarial-target.js';

/** Frontend messages, built by hand (Execute with maxRows, Close, Describe(S), Bind parameters). */
const msg = {
  query: (sql: string): FrontendMessage => ({ kind: 'Query', sql }),
  parse: (sql: string, name = '', parameterTypes: number[] = []): FrontendMessage => ({ kind: 'Parse', name, sql, parameterTypes }),
  bind: (statement: string, portal = '', parameters: (Buffer | null)[] = []): FrontendMessage => ({
    kind: 'Bind',
    portal,
    statement,
    parameterFormats: [],
    parameters,
    resultFormats: [],
  }),
  describe: (target: 'S' | 'P', name: string): FrontendMessage => ({ kind: 'Describe', target, name }),
  execute: (portal = '', maxRows = 0): FrontendMessage => ({ kind: 'Execute', portal, maxRows }),
  close: (target: 'S' | 'P', name: string): FrontendMessage => ({ kind: 'Close', target, name }),
  sync: (): FrontendMessage => ({ kind: 'Sync' }),
};

const errorCodes = (messages: readonly BackendMessage[]): string[] => messages.flatMap((m) => (m.kind === 'ErrorResponse' ? [m.code] : []));
const dataRows = (messages: readonly BackendMessage[]): number => messages.filter((m) => m.kind === 'DataRow').length;

describe('adversarial (extra): policy and masking bypasses through names, portals and cursors', () => {
  let target: TestDatabase;
  let adversary: AdversarialTarget;
  let controlPlane: RunningControlPlane;
  let port = 0;
  let agentToken = '';
  const clients: pg.Client[] = [];

  async function connect(token: string): Promise<pg.Client> {
    const client = tokenClient(port, target.name, token);
    clients.push(client);
    await client.connect();
    return client;
  }

  /** Sends `steps` in one write on a fresh agent session, waits for `ready` ReadyForQuery, returns what came back. */
  async function pipeline(steps: readonly FrontendMessage[], ready: number): Promise<BackendMessage[]> {
    const { socket, reader } = await openRawSession(port, target.name, agentToken);
    try {
      const from = reader.messages.length;
      socket.write(Buffer.concat(steps.map(encodeFrontendMessage)));
      return await settle(reader, socket, from, ready, 120_000);
    } finally {
      socket.destroy();
    }
  }

  const expectNoSecret = (value: unknown, secrets: readonly string[]): void => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const secret of secrets) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    adversary = await startAdversarialTarget('adv_extra');
    ({ target, controlPlane, port } = adversary);
    agentToken = await devToken(controlPlane, 'demo-agent');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await adversary.stop();
  });

  describe('portals and cursors share one name space on the server', () => {
    it('closed bypass — DECLARE then FETCH as separate statements (psql, any driver): the confirmed DECLARE forgets its own cursor', async () => {
      // The DECLARE's completion runs the "cursor closed" bookkeeping meant for CLOSE, so the FETCH is
      // decided as a cursor Sluice never saw declared — no tables, so the vault rule does not apply.
      const agentClient = await connect(agentToken);
      await agentClient.query('BEGIN');
      await agentClient.query('DECLARE c CURSOR FOR SELECT secret FROM vault');
      const fetched = await agentClient.query({ text: 'FETCH ALL FROM c', rowMode: 'array' });
      await agentClient.query('ROLLBACK');
      expect(fetched.rows).toHaveLength(1);
      expectNoSecret(fetched.rows, [VAULT_SECRET]);
    });

    it('closed bypass — SQL FETCH from a protocol-level portal is not decided as what the portal runs (vault mask skipped)', async () => {
      // The portal is bound (decided, masked with the vault rule) but not executed through Sluice;
      // `FETCH ALL FROM pv` names a cursor Sluice never saw declared, so it is decided as "every open
      // cursor" — none — and the vault rule (tables: [vault]) does not apply to the FETCH.
      const messages = await pipeline(
        [
          msg.query('BEGIN'),
          msg.parse('SELECT secret FROM vault', 'sv'),
          msg.bind('sv', 'pv'),
          msg.sync(),
          msg.query('FETCH ALL FROM pv'),
          msg.query('ROLLBACK'),
        ],
        4,
      );
      expect(errorCodes(messages)).toEqual([]);
      expect(dataRows(messages)).toBe(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('closed bypass — a failed duplicate Bind of a named portal (rolled back to a savepoint) re-points the portal’s decision', async () => {
      // Bind `pv` (vault) succeeds; a second Bind of `pv` fails on the server (42P03, the first stays)
      // but the agent already replaced its record of `pv` with the harmless statement's decision.
      // ROLLBACK TO SAVEPOINT keeps the transaction — and the vault portal — alive.
      const messages = await pipeline(
        [
          msg.query('BEGIN'),
          msg.parse('SELECT secret FROM vault', 'sv'),
          msg.bind('sv', 'pv'),
          msg.sync(),
          msg.query('SAVEPOINT a'),
          msg.parse("SELECT 'harmless'::text AS secret", 'sh'),
          msg.bind('sh', 'pv'),
          msg.sync(),
          msg.query('ROLLBACK TO SAVEPOINT a'),
          msg.execute('pv'),
          msg.sync(),
          msg.query('ROLLBACK'),
        ],
        7,
      );
      expect(errorCodes(messages)).toEqual(['42P03']);
      expect(dataRows(messages)).toBe(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('closed bypass — CLOSE and DECLARE sent through the extended protocol leave a stale portal record to Execute a vault cursor under', async () => {
      // Simple-protocol DECLARE/CLOSE make the agent forget a protocol portal of that name; the
      // extended-protocol path (Parse of `CLOSE px` / `DECLARE px …`) does not.
      const messages = await pipeline(
        [
          msg.query('BEGIN'),
          msg.parse("SELECT 'harmless'::text AS secret", 'sh'),
          msg.bind('sh', 'px'),
          msg.sync(),
          msg.parse('CLOSE px'),
          msg.bind(''),
          msg.execute(''),
          msg.sync(),
          msg.parse('DECLARE px CURSOR FOR SELECT secret FROM vault'),
          msg.bind(''),
          msg.execute(''),
          msg.sync(),
          msg.execute('px'),
          msg.sync(),
          msg.query('ROLLBACK'),
        ],
        6,
      );
      // The protocol portal px is gone once a cursor takes its name: the Execute is refused.
      expect(errorCodes(messages)).toEqual(['42501']);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('closed bypass — a FETCH Parsed before its cursor is declared keeps the Parse-time decision (no cursor, no vault mask)', async () => {
      const messages = await pipeline(
        [
          msg.parse('FETCH ALL FROM later', 'f'),
          msg.sync(),
          msg.query('BEGIN'),
          msg.query('DECLARE later CURSOR FOR SELECT secret FROM vault'),
          msg.bind('f'),
          msg.execute(''),
          msg.sync(),
          msg.query('ROLLBACK'),
        ],
        4,
      );
      // FETCH of a cursor not (yet) declared is refused at Parse (34000), so the Bind finds no statement.
      expect(errorCodes(messages)).toEqual(['34000', '42501']);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('closed bypass — a Parsed `EXECUTE q` keeps the Parse-time meaning of q after DEALLOCATE + PREPARE re-point q at the vault', async () => {
      const messages = await pipeline(
        [
          msg.query('PREPARE q AS SELECT 1::text AS secret'),
          msg.parse('EXECUTE q', 'e'),
          msg.sync(),
          msg.query('DEALLOCATE q'),
          msg.query('PREPARE q AS SELECT secret FROM vault'),
          msg.bind('e'),
          msg.execute(''),
          msg.sync(),
        ],
        5,
      );
      expect(errorCodes(messages)).toEqual([]);
      expect(dataRows(messages)).toBe(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('masks a FETCH sent through the extended protocol from a declared vault cursor', async () => {
      const messages = await pipeline(
        [
          msg.query('BEGIN'),
          msg.query('DECLARE c CURSOR FOR SELECT secret FROM vault'),
          msg.parse('FETCH ALL FROM c'),
          msg.bind(''),
          msg.execute(''),
          msg.sync(),
          msg.query('ROLLBACK'),
        ],
        4,
      );
      expect(dataRows(messages)).toBe(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('does not run an unnamed portal kept by the server across Sync inside a transaction', async () => {
      // Inside a transaction block the server keeps the unnamed portal after Sync; the agent forgets it.
      const messages = await pipeline(
        [
          msg.query('BEGIN'),
          msg.parse('SELECT secret FROM vault'),
          msg.bind(''),
          msg.sync(),
          msg.execute(''),
          msg.sync(),
          msg.query('ROLLBACK'),
        ],
        4,
      );
      expect(errorCodes(messages)).toEqual(['42501']);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET]);
    });

    it('masks every batch of an Execute with maxRows (PortalSuspended, then Execute again) and after Describe(S) before Bind', async () => {
      const messages = await pipeline(
        [
          msg.parse('SELECT email, ssn FROM customers ORDER BY id', 'pc'),
          msg.describe('S', 'pc'),
          msg.bind('pc', 'cur'),
          msg.execute('cur', 1),
          msg.execute('cur', 1),
          msg.execute('cur', 0),
          msg.sync(),
        ],
        1,
      );
      expect(messages.filter((m) => m.kind === 'PortalSuspended')).toHaveLength(2);
      expect(dataRows(messages)).toBe(3);
      expectNoSecret(dataRowText(messages), [...EMAILS, ...SSNS]);
    });

    it('does not let Close of the unnamed statement, or a Bind racing its Parse, run something undecided', async () => {
      const messages = await pipeline(
        [
          msg.parse('SELECT secret FROM vault'),
          msg.close('S', ''),
          msg.bind(''), // the server has no unnamed statement now: 26000
          msg.execute(''),
          msg.sync(),
          msg.parse('SELECT email FROM customers WHERE id = $1', 'typed', [23]),
          msg.bind('typed', '', [Buffer.from('1')]), // Bind of a named statement whose Parse is in flight
          msg.execute(''),
          msg.sync(),
        ],
        2,
      );
      expect(errorCodes(messages)).toEqual(['26000']);
      expect(dataRows(messages)).toBe(1);
      expectNoSecret(dataRowText(messages), [VAULT_SECRET, ...EMAILS]);
    });
  });

  describe('names the classifier reads', () => {
    it('masks vault read through CTE scope tricks, TABLE, unicode-escaped, quoted, qualified and over-long names', async () => {
      const agentClient = await connect(agentToken);
      const reads = [
        'TABLE vault',
        'SELECT * FROM (WITH vault AS (SELECT 1) SELECT * FROM vault) a, vault',
        'WITH vault AS (SELECT secret FROM vault) SELECT secret FROM vault',
        'WITH a AS (SELECT * FROM vault), vault AS (SELECT 1 AS n) SELECT a.secret FROM a',
        'SELECT secret FROM U&"\\0076ault"',
        'SELECT secret FROM "vault"',
        'SELECT secret FROM current_db.public.vault',
        'SELECT secret FROM public.vault',
        'SELECT secret FROM ONLY vault',
        'SELECT secret FROM vault WHERE EXISTS (SELECT 1 FROM vault)',
      ];
      for (const raw of reads) {
        const sql = raw.replace('current_db', `"${target.name}"`);
        const result = await agentClient.query({ text: sql, rowMode: 'array' });
        expect(result.rows.length, sql).toBeGreaterThan(0);
        const text = JSON.stringify(result.rows);
        expect({ sql, leaked: text.includes(VAULT_SECRET) }).toEqual({ sql, leaked: false });
      }
    });

    it('masks after SET search_path, and a cursor and an alias named with identifiers the server truncates to 63 bytes', async () => {
      const agentClient = await connect(agentToken);
      await agentClient.query('SET search_path = pg_catalog, public');
      const plain = await agentClient.query({ text: 'SELECT secret FROM vault', rowMode: 'array' });
      expectNoSecret(plain.rows, [VAULT_SECRET]);
      const alias = `e${'y'.repeat(80)}`;
      const aliased = await agentClient.query({ text: `SELECT ${alias}.email FROM customers ${alias}`, rowMode: 'array' });
      expectNoSecret(aliased.rows, EMAILS);
      // DECLARE under an 81-character name, FETCH under its 63-character truncation (the same cursor),
      // in one Query (see the DECLARE-then-FETCH bypass below for separate ones).
      const cursor = `c${'z'.repeat(80)}`;
      await agentClient.query('BEGIN');
      const results = (await agentClient.query({
        text: `DECLARE ${cursor} CURSOR FOR SELECT secret FROM vault; FETCH ALL FROM ${cursor.slice(0, 63)}`,
        rowMode: 'array',
      })) as unknown as pg.QueryResult[];
      await agentClient.query('ROLLBACK');
      const fetched = results[1]!;
      expect(fetched.rows).toHaveLength(1);
      expectNoSecret(fetched.rows, [VAULT_SECRET]);
    });

    it('hides masked values in errors and notices, including the deferred error of a WITH HOLD cursor at COMMIT', async () => {
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      const from = reader.messages.length;
      socket.write(
        Buffer.concat(
          [
            msg.query('BEGIN'),
            msg.query('DECLARE h CURSOR WITH HOLD FOR SELECT secret::int FROM vault'),
            msg.query('COMMIT'), // the holdable cursor is materialized here: invalid input syntax … "vault-value-…"
            msg.query('SELECT email::int FROM customers'),
            msg.query('SELECT 1 FROM vault WHERE secret::int = 1'),
            msg.parse('SELECT secret::int FROM vault'),
            msg.bind(''),
            msg.execute(''),
            msg.sync(),
          ].map(encodeFrontendMessage),
        ),
      );
      const messages = await settle(reader, socket, from, 6);
      socket.destroy();
      const texts = messages.flatMap((m) => (m.kind === 'ErrorResponse' || m.kind === 'NoticeResponse' ? [JSON.stringify(m)] : []));
      expect(texts.length).toBeGreaterThanOrEqual(4);
      expectNoSecret(texts, [VAULT_SECRET, ...EMAILS]);
    });
  });

  describe('limits the docs accept (content detectors are a safety net): shown leaking', () => {
    it('closed bypass — a UNION, a recursive CTE, a whole-row reference or a scalar subquery no longer passes vault.secret unmasked', async () => {
      const agentClient = await connect(agentToken);
      for (const sql of [
        'SELECT secret FROM vault UNION SELECT secret FROM vault',
        'WITH RECURSIVE r(s) AS (SELECT secret FROM vault UNION SELECT s FROM r) SELECT s FROM r',
        'SELECT v FROM vault v',
        'SELECT (SELECT secret FROM vault LIMIT 1) AS s',
      ]) {
        const result = await agentClient.query({ text: sql, rowMode: 'array' });
        expect({ sql, leaked: JSON.stringify(result.rows).includes(VAULT_SECRET) }).toEqual({ sql, leaked: false });
      }
    });
  });

  describe('slow (over a minute)', () => {
    it('closed bypass — a portal read in batches (Execute with maxRows + Sync, as JDBC fetchSize does) is masked by content only after the catalog cache minute', async () => {
      // The column origins of a portal are looked up in the catalog cache (TTL one minute) when its
      // rows arrive; the columns were described once, at the first Execute. A batch fetched more
      // than a minute later finds the entry expired: origin unknown → detectors only, and none
      // recognises the vault secret. No attack needed: a slow batch reader leaks on its own.
      const { socket, reader } = await openRawSession(port, target.name, agentToken);
      try {
        const send = (steps: readonly FrontendMessage[]): void => void socket.write(Buffer.concat(steps.map(encodeFrontendMessage)));
        let from = reader.messages.length;
        send([
          msg.query('BEGIN'),
          msg.parse('SELECT secret FROM vault, generate_series(1, 2) ORDER BY 1', 'sv'),
          msg.bind('sv', 'batch'),
          msg.execute('batch', 1),
          msg.sync(),
        ]);
        const first = await settle(reader, socket, from, 2);
        expect(dataRows(first)).toBe(1);
        expectNoSecret(dataRowText(first), [VAULT_SECRET]);
        await new Promise((r) => setTimeout(r, 61_000));
        from = reader.messages.length;
        send([msg.execute('batch', 1), msg.sync(), msg.query('ROLLBACK')]);
        const second = await settle(reader, socket, from, 2);
        expect(errorCodes(second)).toEqual([]);
        expect(dataRows(second)).toBe(1);
        expectNoSecret(dataRowText(second), [VAULT_SECRET]);
      } finally {
        socket.destroy();
      }
    }, 180_000);
  });
});
