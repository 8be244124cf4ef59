// The codec against a real PostgreSQL 18 with SCRAM authentication, over raw sockets: our frontend
// encoders and backend decoder as the client, our SCRAM client, and the negotiation details
// (protocol 3.2 cancel keys, NegotiateProtocolVersion) as PostgreSQL itself sends them.

import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '@sluice/embedded-db';
import { freePort } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendDecoder } from './backend/backend-decoder.js';
import type { BackendMessage } from './backend/backend-messages.js';
import { decodeBackendMessage } from './backend/backend-parsers.js';
import { encodeSSLResponse } from './backend/backend-encoder.js';
import { FrontendDecoder } from './frontend/frontend-decoder.js';
import { encodeFrontendMessage } from './frontend/frontend-encoder.js';
import { encodeSASLInitialResponse, encodeSASLResponse } from './frontend/password-message.js';
import { ScramError, ScramSha256Client, chooseSaslMechanism } from './scram/scram-client.js';

/** A client connection that speaks only through this library's codec. */
class WireConnection {
  private readonly decoder = new BackendDecoder();
  private readonly inbox: BackendMessage[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.decoder.push(chunk)) this.inbox.push(decodeBackendMessage(frame));
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
  }

  static async open(port: number): Promise<WireConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new WireConnection(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async next(): Promise<BackendMessage> {
    for (;;) {
      const message = this.inbox.shift();
      if (message) return message;
      if (this.failure) throw this.failure;
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Messages up to and including the first one of `kind`. */
  async until(kind: BackendMessage['kind']): Promise<BackendMessage[]> {
    const seen: BackendMessage[] = [];
    for (;;) {
      const message = await this.next();
      seen.push(message);
      if (message.kind === kind) return seen;
    }
  }

  async closedByPeer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** Runs the SCRAM exchange after AuthenticationSASL; returns the client so callers can check `verified`. */
async function authenticate(conn: WireConnection, password: string, first: BackendMessage): Promise<ScramSha256Client> {
  if (first.kind !== 'AuthenticationSASL') throw new Error(`expected AuthenticationSASL, got ${first.kind}`);
  const mechanism = chooseSaslMechanism(first.mechanisms);
  if (mechanism === undefined) throw new Error('server offers no SCRAM-SHA-256');
  const scram = new ScramSha256Client({ password });
  conn.send(encodeSASLInitialResponse(mechanism, scram.clientFirstMessage()));
  const serverFirst = await conn.next();
  if (serverFirst.kind !== 'AuthenticationSASLContinue') throw new Error(`expected SASLContinue, got ${serverFirst.kind}`);
  conn.send(encodeSASLResponse(await scram.clientFinalMessage(serverFirst.data)));
  const serverFinal = await conn.next();
  if (serverFinal.kind === 'ErrorResponse') throw Object.assign(new Error(serverFinal.message), { code: serverFinal.code });
  if (serverFinal.kind !== 'AuthenticationSASLFinal') throw new Error(`expected SASLFinal, got ${serverFinal.kind}`);
  scram.verifyServerFinal(serverFinal.data);
  return scram;
}

function startup(minor: number, extra: Record<string, string> = {}): Buffer {
  return encodeFrontendMessage({
    kind: 'StartupMessage',
    protocolVersion: { major: 3, minor },
    parameters: new Map([
      ['user', 'postgres'],
      ['database', 'postgres'],
      ['application_name', 'postgres-wire-test'],
      ...Object.entries(extra),
    ]),
  });
}

interface PassThrough {
  readonly port: number;
  /** Kinds the frontend decoder produced, across all connections. */
  readonly frontend: string[];
  /** Kinds of the backend frames, across all connections. */
  readonly backend: string[];
  /** Any decode error (there must be none). */
  readonly errors: Error[];
  /** Per connection: the client's chunks vs the `raw` of every decoded message, which must concatenate to the same bytes. */
  readonly streams: { received: Buffer[]; decoded: Buffer[] }[];
  close(): Promise<void>;
}

/**
 * The smallest proxy this codec allows: decode every client message and forward its `raw`, frame
 * every server message and forward its `raw`. SSLRequest is answered 'N' locally, as the agent will.
 */
async function startPassThrough(upstreamPort: number): Promise<PassThrough> {
  const result = { frontend: [] as string[], backend: [] as string[], errors: [] as Error[], streams: [] as PassThrough['streams'] };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    const frontend = new FrontendDecoder();
    const backend = new BackendDecoder();
    const stream = { received: [] as Buffer[], decoded: [] as Buffer[] };
    result.streams.push(stream);
    const fail = (error: unknown): void => {
      result.errors.push(error instanceof Error ? error : new Error(String(error)));
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      stream.received.push(chunk);
      try {
        for (const message of frontend.push(chunk)) {
          result.frontend.push(message.kind);
          stream.decoded.push(message.raw);
          if (message.kind === 'SSLRequest') {
            client.write(encodeSSLResponse(false));
            continue;
          }
          upstream.write(message.raw);
        }
      } catch (error) {
        fail(error);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      try {
        for (const frame of backend.push(chunk)) {
          result.backend.push(decodeBackendMessage(frame).kind);
          client.write(frame.raw);
        }
      } catch (error) {
        fail(error);
      }
    });
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { ...result, port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs psql (a libpq client) with the given -c commands and stdin; resolves with stdout. */
async function psql(port: number, password: string, commands: string[], stdin: string): Promise<string> {
  const child = spawn(
    'psql',
    [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      'postgres',
      ...commands.flatMap((c) => ['-c', c]),
    ],
    {
      env: { ...process.env, PGPASSWORD: password, PGSSLMODE: 'prefer', PGGSSENCMODE: 'disable' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  child.stdin.end(stdin);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`psql exited ${code}: ${err}`);
  return out;
}

describe('against a real PostgreSQL 18 with SCRAM-SHA-256', () => {
  let dir: string;
  let server: EmbeddedPostgres | undefined;
  let port: number;
  let password: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'postgres-wire-'));
    await chmod(dir, 0o755); // PostgreSQL runs as its own user when we are root
    port = await freePort();
    server = await EmbeddedPostgres.start({ dataDir: join(dir, 'data'), port });
    password = decodeURIComponent(new URL(server.url()).password);
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates with SCRAM, runs a simple query and terminates (protocol 3.0)', async () => {
    const conn = await WireConnection.open(port);
    try {
      conn.send(startup(0));
      const scram = await authenticate(conn, password, await conn.next());
      expect(scram.verified).toBe(true);
      expect(await conn.next()).toEqual({ kind: 'AuthenticationOk' });

      const setup = await conn.until('ReadyForQuery');
      const status = new Map(setup.flatMap((m) => (m.kind === 'ParameterStatus' ? [[m.name, m.value] as const] : [])));
      expect(status.get('server_version')).toMatch(/^18\./);
      expect(status.get('application_name')).toBe('postgres-wire-test');
      const key = setup.find((m) => m.kind === 'BackendKeyData');
      expect(key?.kind === 'BackendKeyData' && key.secretKey.length).toBe(4);
      expect(setup.at(-1)).toEqual({ kind: 'ReadyForQuery', status: 'I' });

      conn.send(encodeFrontendMessage({ kind: 'Query', sql: "SELECT 1 AS one, NULL::text AS nothing, 'é'::text AS accent" }));
      const result = await conn.until('ReadyForQuery');
      expect(result.map((m) => m.kind)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
      const [description, row, complete] = result;
      expect(description).toMatchObject({
        kind: 'RowDescription',
        columns: [
          { name: 'one', typeOid: 23, typeSize: 4, tableOid: 0, columnAttr: 0, typeModifier: -1, format: 0 },
          { name: 'nothing', typeOid: 25, typeSize: -1 },
          { name: 'accent', typeOid: 25 },
        ],
      });
      expect(row).toEqual({ kind: 'DataRow', values: [Buffer.from('1'), null, Buffer.from('é')] });
      expect(complete).toEqual({ kind: 'CommandComplete', tag: 'SELECT 1' });

      conn.send(encodeFrontendMessage({ kind: 'Terminate' }));
      await conn.closedByPeer();
    } finally {
      conn.destroy();
    }
  });

  it('runs the extended protocol: Parse, Bind with a parameter, Describe, Execute, Sync', async () => {
    const conn = await WireConnection.open(port);
    try {
      conn.send(startup(0));
      await authenticate(conn, password, await conn.next());
      await conn.until('ReadyForQuery');
      conn.send(
        Buffer.concat([
          encodeFrontendMessage({ kind: 'Parse', name: 's1', sql: 'SELECT $1::int + 1 AS next, $2::text AS label', parameterTypes: [23] }),
          encodeFrontendMessage({
            kind: 'Bind',
            portal: '',
            statement: 's1',
            parameterFormats: [0],
            parameters: [Buffer.from('41'), null],
            resultFormats: [0],
          }),
          encodeFrontendMessage({ kind: 'Describe', target: 'P', name: '' }),
          encodeFrontendMessage({ kind: 'Execute', portal: '', maxRows: 0 }),
          encodeFrontendMessage({ kind: 'Close', target: 'S', name: 's1' }),
          encodeFrontendMessage({ kind: 'Sync' }),
        ]),
      );
      const messages = await conn.until('ReadyForQuery');
      expect(messages.map((m) => m.kind)).toEqual([
        'ParseComplete',
        'BindComplete',
        'RowDescription',
        'DataRow',
        'CommandComplete',
        'CloseComplete',
        'ReadyForQuery',
      ]);
      expect(messages[3]).toEqual({ kind: 'DataRow', values: [Buffer.from('42'), null] });

      conn.send(
        Buffer.concat([
          encodeFrontendMessage({ kind: 'Parse', name: '', sql: 'SELECT * FROM no_such_table', parameterTypes: [] }),
          encodeFrontendMessage({ kind: 'Sync' }),
        ]),
      );
      const failed = await conn.until('ReadyForQuery');
      expect(failed[0]).toMatchObject({ kind: 'ErrorResponse', severity: 'ERROR', severityNonLocalized: 'ERROR', code: '42P01' });
      expect(failed[0]?.kind === 'ErrorResponse' && failed[0].position).toBe('15');
      conn.send(encodeFrontendMessage({ kind: 'Terminate' }));
      await conn.closedByPeer();
    } finally {
      conn.destroy();
    }
  });

  it('gets a variable-length cancel key with protocol 3.2', async () => {
    const conn = await WireConnection.open(port);
    try {
      conn.send(startup(2));
      await authenticate(conn, password, await conn.next());
      const setup = await conn.until('ReadyForQuery');
      const key = setup.find((m) => m.kind === 'BackendKeyData');
      expect(key?.kind === 'BackendKeyData' && key.secretKey.length).toBe(32);
      expect(setup.some((m) => m.kind === 'NegotiateProtocolVersion')).toBe(false);
    } finally {
      conn.destroy();
    }
  });

  it('answers a greased 3.9999 request with NegotiateProtocolVersion 3.2 and the unknown _pq_ option', async () => {
    const conn = await WireConnection.open(port);
    try {
      conn.send(startup(9999, { '_pq_.grease': 'on' }));
      const first = await conn.next();
      expect(first).toEqual({
        kind: 'NegotiateProtocolVersion',
        newestVersion: { major: 3, minor: 2 },
        unrecognizedOptions: ['_pq_.grease'],
      });
      await authenticate(conn, password, await conn.next());
      expect(await conn.next()).toEqual({ kind: 'AuthenticationOk' });
    } finally {
      conn.destroy();
    }
  });

  it('is refused with 28P01 for a wrong password, before any server signature is accepted', async () => {
    const conn = await WireConnection.open(port);
    try {
      conn.send(startup(0));
      const error: unknown = await authenticate(conn, `${password}x`, await conn.next()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '28P01' });
      expect(error).not.toBeInstanceOf(ScramError);
    } finally {
      conn.destroy();
    }
  });

  describe('through a pass-through proxy built on the codec', () => {
    let proxy: PassThrough;

    beforeAll(async () => {
      proxy = await startPassThrough(port);
    });

    afterAll(async () => {
      await proxy.close();
    });

    it('carries the pg driver: SCRAM, simple and extended queries, errors, transactions', async () => {
      const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres', password, database: 'postgres' });
      await client.connect();
      try {
        expect((await client.query('SELECT 40 + 2 AS answer')).rows).toEqual([{ answer: 42 }]);
        expect((await client.query('SELECT $1::text AS echo, $2::int AS n', ['a\u00e9b', null])).rows).toEqual([
          { echo: 'a\u00e9b', n: null },
        ]);
        expect((await client.query({ name: 'named', text: 'SELECT $1::int * 2 AS doubled', values: [21] })).rows).toEqual([
          { doubled: 42 },
        ]);
        expect((await client.query({ name: 'named', text: 'SELECT $1::int * 2 AS doubled', values: [4] })).rows).toEqual([{ doubled: 8 }]);
        await expect(client.query('SELECT * FROM missing_table')).rejects.toMatchObject({ code: '42P01' });
        await client.query('BEGIN');
        await client.query('CREATE TEMP TABLE t (id int, label text)');
        await client.query("INSERT INTO t SELECT g, repeat('x', g * 1000) FROM generate_series(1, 50) g");
        const big = await client.query<{ total: string }>('SELECT sum(length(label))::text AS total FROM t');
        expect(big.rows).toEqual([{ total: String(1275 * 1000) }]);
        const rows = await client.query<{ label: string }>('SELECT label FROM t ORDER BY id');
        expect(rows.rows.at(-1)?.label).toHaveLength(50_000);
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
      expect(proxy.errors).toEqual([]);
      for (const kind of [
        'StartupMessage',
        'AuthenticationResponse',
        'Query',
        'Parse',
        'Bind',
        'Describe',
        'Execute',
        'Sync',
        'Terminate',
      ]) {
        expect(proxy.frontend).toContain(kind);
      }
      for (const kind of [
        'AuthenticationSASL',
        'AuthenticationSASLContinue',
        'AuthenticationSASLFinal',
        'AuthenticationOk',
        'BackendKeyData',
        'ErrorResponse',
      ]) {
        expect(proxy.backend).toContain(kind);
      }
    });

    it('carries psql: SSLRequest answered locally, COPY FROM STDIN and COPY TO STDOUT', async () => {
      const before = proxy.frontend.length;
      const out = await psql(
        proxy.port,
        password,
        ['CREATE TEMP TABLE c (n int, s text)', 'COPY c FROM STDIN', 'SELECT sum(n) FROM c', 'COPY (SELECT s FROM c ORDER BY n) TO STDOUT'],
        '1\tone\n2\ttwo\n3\t\\N\n',
      );
      expect(out.split('\n').filter((l) => l !== '')).toEqual(['6', 'one', 'two', '\\N']);
      expect(proxy.errors).toEqual([]);
      const seen = proxy.frontend.slice(before);
      expect(seen.slice(0, 2)).toEqual(['SSLRequest', 'StartupMessage']);
      expect(seen).toContain('CopyData');
      expect(seen).toContain('CopyDone');
      expect(proxy.backend).toContain('CopyInResponse');
      expect(proxy.backend).toContain('CopyOutResponse');
      expect(proxy.streams.length).toBeGreaterThan(1);
      for (const stream of proxy.streams) expect(Buffer.concat(stream.decoded).equals(Buffer.concat(stream.received))).toBe(true);
    });
  });
});
