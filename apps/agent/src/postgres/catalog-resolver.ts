import { decodeBackendMessage, encodeFrontendMessage, type BackendFrame } from '@sluice/postgres-wire';
import type { ColumnRef } from '@sluice/masking';
import { connectBackend, type BackendSession, type BackendTarget } from './backend-connector.js';

const TTL_MS = 60_000;
const QUERY_TIMEOUT_MS = 5_000;

interface CachedTable {
  readonly columns: ReadonlyMap<number, ColumnRef>;
  readonly fetchedAt: number;
}

/**
 * Resolves RowDescription column origins (table OID + attribute number) to `schema.table.column`
 * through the agent's own connection to the target, cached per table for a minute. Used only when a
 * result must be masked. A lookup that fails rejects; the caller then masks the whole row (fail closed).
 */
export class CatalogResolver {
  private readonly tables = new Map<number, CachedTable>();
  private connection: Promise<BackendSession> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly target: BackendTarget) {}

  /** Refs for every (tableOid, attnum) already cached; undefined entries need `load`. */
  cached(tableOid: number, attnum: number): ColumnRef | undefined {
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
    const sql =
      'SELECT a.attrelid::int8, a.attnum::int4, n.nspname, c.relname, a.attname FROM pg_catalog.pg_attribute a ' +
      'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
      `WHERE a.attrelid IN (${list}) AND a.attnum > 0`;
    let rows: (string | null)[][];
    try {
      rows = await this.query(sql);
    } catch (error) {
      this.close();
      throw error;
    }
    const byTable = new Map<number, Map<number, ColumnRef>>(tableOids.map((oid) => [oid, new Map()]));
    for (const [relid, attnum, schema, table, column] of rows) {
      if (relid == null || attnum == null || schema == null || table == null || column == null) continue;
      byTable.get(Number(relid))?.set(Number(attnum), { schema, table, column });
    }
    const now = Date.now();
    for (const [oid, columns] of byTable) this.tables.set(oid, { columns, fetchedAt: now });
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
