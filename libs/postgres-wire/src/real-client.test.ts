// The server side of the codec (frontend decoder + backend encoders) against real clients: the `pg`
// driver talks to a tiny fake server written only with this library, and node:tls opens a direct
// TLS connection the way PostgreSQL 17 libpq does with sslnegotiation=direct.

import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBackendMessage } from './backend/backend-encoder.js';
import type { BackendMessage } from './backend/backend-messages.js';
import { FrontendDecoder } from './frontend/frontend-decoder.js';
import type { DecodedFrontendMessage } from './frontend/frontend-messages.js';
import { readPasswordMessage } from './frontend/password-message.js';

const PASSWORD = 'correct horse';

async function listen(handler: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port };
}

/**
 * A server that authenticates with a cleartext password and answers every query with one text
 * column. `SELECT denied` gets an ErrorResponse; extended-protocol queries echo their first parameter.
 */
function fakeServer(seen: DecodedFrontendMessage[]): (socket: Socket) => void {
  return (socket) => {
    const decoder = new FrontendDecoder();
    const send = (...messages: BackendMessage[]): void => {
      socket.write(Buffer.concat(messages.map(encodeBackendMessage)));
    };
    let echo: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) {
        seen.push(message);
        switch (message.kind) {
          case 'StartupMessage':
            send({ kind: 'AuthenticationCleartextPassword' });
            break;
          case 'AuthenticationResponse':
            if (readPasswordMessage(message) !== PASSWORD) {
              send({ kind: 'ErrorResponse', severity: 'FATAL', code: '28P01', message: 'password authentication failed' });
              socket.end();
              break;
            }
            send(
              { kind: 'AuthenticationOk' },
              { kind: 'ParameterStatus', name: 'server_version', value: '18.0' },
              { kind: 'ParameterStatus', name: 'client_encoding', value: 'UTF8' },
              { kind: 'ParameterStatus', name: 'integer_datetimes', value: 'on' },
              { kind: 'ParameterStatus', name: 'standard_conforming_strings', value: 'on' },
              { kind: 'BackendKeyData', processId: 4242, secretKey: Buffer.from([1, 2, 3, 4]) },
              { kind: 'ReadyForQuery', status: 'I' },
            );
            break;
          case 'Query':
            if (message.sql === '') {
              send({ kind: 'EmptyQueryResponse' }, { kind: 'ReadyForQuery', status: 'I' });
            } else if (message.sql === 'SELECT denied') {
              send(
                {
                  kind: 'ErrorResponse',
                  severity: 'ERROR',
                  severityNonLocalized: 'ERROR',
                  code: '42501',
                  message: 'blocked by rule r1',
                  hint: 'ask for approval',
                },
                { kind: 'ReadyForQuery', status: 'I' },
              );
            } else {
              send(
                { kind: 'NoticeResponse', severity: 'NOTICE', code: '00000', message: 'held for approval a-1' },
                {
                  kind: 'RowDescription',
                  columns: [{ name: 'greeting', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 }],
                },
                { kind: 'DataRow', values: [Buffer.from('héllo')] },
                { kind: 'DataRow', values: [null] },
                { kind: 'CommandComplete', tag: 'SELECT 2' },
                { kind: 'ReadyForQuery', status: 'I' },
              );
            }
            break;
          case 'Parse':
            send({ kind: 'ParseComplete' });
            break;
          case 'Bind':
            echo = message.parameters[0] ?? null;
            send({ kind: 'BindComplete' });
            break;
          case 'Describe':
            send({
              kind: 'RowDescription',
              columns: [{ name: 'echo', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 }],
            });
            break;
          case 'Execute':
            send({ kind: 'DataRow', values: [echo] }, { kind: 'CommandComplete', tag: 'SELECT 1' });
            break;
          case 'Sync':
            send({ kind: 'ReadyForQuery', status: 'I' });
            break;
          case 'Terminate':
            socket.end();
            break;
          case 'SSLRequest':
          case 'GSSENCRequest':
          case 'CancelRequest':
          case 'DirectTLS':
          case 'Close':
          case 'Flush':
          case 'CopyData':
          case 'CopyDone':
          case 'CopyFail':
          case 'FunctionCall':
            break; // the pg driver does not send these in this test
        }
      }
    });
    socket.on('error', () => socket.destroy());
  };
}

describe('a fake server built from the codec, driven by the pg client', () => {
  const seen: DecodedFrontendMessage[] = [];
  let server: Server;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await listen(fakeServer(seen)));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('authenticates, queries, receives notices and errors, runs extended queries', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'alice',
      database: 'appdb',
      password: PASSWORD,
      application_name: 'fake-test',
    });
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.connect();
    try {
      const result = await client.query('SELECT greeting');
      expect(result.rows).toEqual([{ greeting: 'héllo' }, { greeting: null }]);
      expect(result.rowCount).toBe(2);
      expect(notices).toEqual(['held for approval a-1']);

      await expect(client.query('SELECT denied')).rejects.toMatchObject({
        code: '42501',
        message: 'blocked by rule r1',
        hint: 'ask for approval',
        severity: 'ERROR',
      });
      expect((await client.query('SELECT $1::text AS echo', ['päram'])).rows).toEqual([{ echo: 'päram' }]);
      expect((await client.query('SELECT $1::text AS echo', [null])).rows).toEqual([{ echo: null }]);
    } finally {
      await client.end();
    }

    const startup = seen.find((m) => m.kind === 'StartupMessage');
    expect(startup?.kind === 'StartupMessage' && Object.fromEntries(startup.parameters)).toMatchObject({
      user: 'alice',
      database: 'appdb',
      application_name: 'fake-test',
    });
    expect(startup?.kind === 'StartupMessage' && startup.protocolVersion).toEqual({ major: 3, minor: 0 });
    const bind = seen.find((m) => m.kind === 'Bind');
    expect(bind?.kind === 'Bind' && bind.parameters).toEqual([Buffer.from('päram')]);
    expect(seen.at(-1)?.kind).toBe('Terminate');
  });

  it('refuses a wrong password with the FATAL error the client reports', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', database: 'appdb', password: 'wrong' });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  });
});

describe('direct TLS (sslnegotiation=direct)', () => {
  it('reports a real TLS ClientHello as a DirectTLS hand-off carrying every byte received', async () => {
    const captured = new Promise<Buffer>((resolve, reject) => {
      void listen((socket) => {
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        });
      }).then(({ server, port }) => {
        const tls = tlsConnect({
          host: '127.0.0.1',
          port,
          ALPNProtocols: ['postgresql'],
          rejectUnauthorized: false,
          servername: 'db.example',
        });
        tls.on('error', () => server.close());
        tls.on('close', () => server.close());
      }, reject);
    });
    const hello = await captured;
    const decoder = new FrontendDecoder();
    const [message, ...rest] = decoder.push(hello);
    expect(rest).toEqual([]);
    expect(message?.kind).toBe('DirectTLS');
    expect(message?.raw.equals(hello)).toBe(true);
    // The ALPN protocol id a server must check is in the hello.
    expect(hello.includes(Buffer.from('postgresql'))).toBe(true);
  });
});
