import { decodeBackendMessage, encodeFrontendMessage, type BackendFrame } from '@sluice/postgres-wire';
import { connectBackend, type BackendSession, type BackendTarget } from './backend-connector.js';
import { catalogFromRows, resolveColumnOrigins, type ColumnOrigin } from './column-origin.js';

const TTL_MS = 60_000;
const QUERY_TIMEOUT_MS = 5_000;
/** A view's stored query tree larger than this is not read; its columns count as computed. */
const MAX_VIEW_TREE_BYTES = 1024 * 1024;

interface CachedTable {
  readonly columns: ReadonlyMap<number, ColumnOrigin>;
  readonly fetchedAt: number;
}

/*
 * One query per batch of table OIDs. `rel` is every relation the batch's rows may come from: the
 * tables asked about ('read'), the relations their views read (again 'read'), and the ancestors
 * ('up') and descendants ('down') of each relation read, through pg_inherits (partitions and
 * inheritance). Relations in pg_catalog and information_schema are not followed. Rows are
 * `[kind, relid, a, b, c]` as `catalogFromRows` reads them. `{oids}` is a list of integers.
 */
const ORIGINS_SQL = `WITH RECURSIVE rel(oid, role) AS (
  SELECT c.oid, 'read'::text FROM pg_catalog.pg_class c WHERE c.oid IN ({oids})
  UNION
  SELECT e.dst, CASE e.kind WHEN 'view' THEN 'read' ELSE e.kind END
    FROM rel
    JOIN pg_catalog.pg_class c ON c.oid = rel.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN (
      SELECT i.inhrelid AS src, i.inhparent AS dst, 'up'::text AS kind FROM pg_catalog.pg_inherits i
      UNION ALL
      SELECT i.inhparent, i.inhrelid, 'down' FROM pg_catalog.pg_inherits i
      UNION ALL
      SELECT w.ev_class, d.refobjid, 'view' FROM pg_catalog.pg_rewrite w
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid
       WHERE w.ev_type = '1' AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> w.ev_class
    ) e ON e.src = rel.oid AND (rel.role = 'read' OR rel.role = e.kind)
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
), reading AS (
  SELECT DISTINCT rel.oid FROM rel
    JOIN pg_catalog.pg_class c ON c.oid = rel.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE rel.role = 'read' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
)
SELECT 'r', c.oid::text, c.relkind::text, n.nspname::text, c.relname::text
  FROM (SELECT DISTINCT oid FROM rel) r
  JOIN pg_catalog.pg_class c ON c.oid = r.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'a', a.attrelid::text, a.attnum::text, a.attname::text, NULL
  FROM (SELECT DISTINCT oid FROM rel WHERE role IN ('read', 'up')) r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
 WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'i', i.inhrelid::text, i.inhparent::text, NULL, NULL
  FROM pg_catalog.pg_inherits i WHERE i.inhrelid IN (SELECT oid FROM rel) AND i.inhparent IN (SELECT oid FROM rel)
UNION ALL
SELECT 'd', w.ev_class::text, d.refobjid::text, d.refobjsubid::text, NULL
  FROM reading r JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid AND w.ev_type = '1'
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid
 WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> w.ev_class
UNION ALL
SELECT 'q', w.ev_class::text, CASE WHEN pg_catalog.octet_length(w.ev_action::text) <= ${MAX_VIEW_TREE_BYTES} THEN w.ev_action::text END, NULL, NULL
  FROM reading r JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid AND w.ev_type = '1'`;

/**
 * Resolves RowDescription column origins (table OID + attribute number) to the names masking rules
 * may use for them (`ColumnOrigin`: the column, its partition ancestors and descendants, what a view
 * column reads; system catalogs flagged) through the agent's own connection to the target, cached per
 * table for a minute. Used only when a result must be masked. A lookup that fails rejects; the
 * caller then sends the table columns it could not resolve as NULL (fail closed).
 */
export class CatalogResolver {
  private readonly tables = new Map<number, CachedTable>();
  private connection: Promise<BackendSession> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly target: BackendTarget) {}

  /** The origin of a (tableOid, attnum) already cached; undefined entries need `load` (or are unknown). */
  cached(tableOid: number, attnum: number): ColumnOrigin | undefined {
    const table = this.tables.get(tableOid);
    if (!table || Date.now() - table.fetchedAt > TTL_MS) return undefined;
    return table.columns.get(attnum);
  }

  isCached(tableOid: number): boolean {
    const table = this.tables.get(tableOid);
    return table !== undefined && Date.now() - table.fetchedAt <= TTL_MS;
  }

  /** Loads the columns of the given tables (one query, serialized per resolver). */
  async load(tableOids: readonly number[]): Promise<void> {
    const missing = [...new Set(tableOids)].filter((oid) => oid > 0 && !this.isCached(oid));
    if (missing.length === 0) return;
    const run = this.queue.then(() => this.fetch(missing));
    this.queue = run.catch(() => undefined);
    await run;
  }

  close(): void {
    void this.connection?.then((c) => c.socket.destroy()).catch(() => undefined);
    this.connection = undefined;
  }

  private async fetch(tableOids: readonly number[]): Promise<void> {
    // Integers only, so the literal list cannot inject anything.
    const list = tableOids.map((oid) => String(Math.trunc(oid))).join(',');
    let rows: (string | null)[][];
    try {
      rows = await this.query(ORIGINS_SQL.replace('{oids}', list));
    } catch (error) {
      this.close();
      throw error;
    }
    const relations = catalogFromRows(rows);
    const now = Date.now();
    for (const oid of tableOids) this.tables.set(oid, { columns: resolveColumnOrigins(relations, oid), fetchedAt: now });
  }

  private async query(sql: string): Promise<(string | null)[][]> {
    this.connection ??= connectBackend(this.target, new Map([['application_name', 'sluice-agent-catalog']])).then((session) => {
      // connectBackend hands over a socket with no 'error' listener; a reset (server restart, a
      // terminated backend) would then be thrown and kill the agent. 'close' follows and fails the lookup.
      session.socket.on('error', () => undefined);
      return session;
    });
    const session = await this.connection;
    const { socket, decoder } = session;
    return new Promise((resolve, reject) => {
      const rows: (string | null)[][] = [];
      let failure: Error | undefined;
      const timer = setTimeout(() => finish(new Error('catalog lookup timed out')), QUERY_TIMEOUT_MS);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.pause();
        if (error) reject(error);
        else resolve(rows);
      };
      const onFrame = (frame: BackendFrame): void => {
        const message = decodeBackendMessage(frame);
        if (message.kind === 'DataRow') rows.push(message.values.map((v) => (v === null ? null : v.toString('utf8'))));
        else if (message.kind === 'ErrorResponse') failure = new Error(`catalog lookup failed: ${message.code}`);
        else if (message.kind === 'ReadyForQuery') finish(failure);
      };
      const onData = (chunk: Buffer): void => {
        try {
          for (const frame of decoder.push(chunk)) onFrame(frame);
        } catch (error) {
          finish(error as Error);
        }
      };
      const onClose = () => finish(new Error('catalog connection closed'));
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.resume();
      socket.write(encodeFrontendMessage({ kind: 'Query', sql }));
    });
  }
}
