// Real and deliberately broken PostgreSQL clients for the agent's system tests: psql and pgbench as
// child processes, and raw sockets that speak (or mangle) the wire protocol by hand.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import {
  BackendDecoder,
  decodeBackendMessage,
  encodeFrontendMessage,
  encodePasswordMessage,
  type BackendMessage,
} from '@sluice/postgres-wire';
import { waitFor } from '@sluice/testing';
import pg from 'pg';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts a command with `input` on stdin; `result` settles when it exits (killed after `timeoutMs`). */
export function startCommand(
  command: string,
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly timeoutMs?: number } = {},
): { readonly pid: number | undefined; readonly result: Promise<CommandResult> } {
  const child = spawn(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env } });
  const result = new Promise<CommandResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  child.stdin.end(options.input ?? '');
  return { pid: child.pid, result };
}

/** Runs a command to its end. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: Parameters<typeof startCommand>[2] = {},
): Promise<CommandResult> {
  return startCommand(command, args, options).result;
}

/** A libpq connection string for the agent (`password` travels in PGPASSWORD). */
export function agentConninfo(port: number, database: string, sslmode: 'require' | 'disable' = 'require'): string {
  return `host=127.0.0.1 port=${port} dbname=${database} user=anything sslmode=${sslmode}`;
}

/** A plain TCP connection to the agent, connected. */
export async function openSocket(port: number): Promise<Socket> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

/** Resolves once the peer has closed `socket` (the agent dropped it). */
export function closedBy(socket: Socket, timeoutMs = 10_000): Promise<void> {
  if (socket.destroyed || socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the agent did not close the connection')), timeoutMs);
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Collects every backend message a socket receives. */
export class BackendReader {
  readonly messages: BackendMessage[] = [];
  private readonly decoder = new BackendDecoder();

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.messages.push(decodeBackendMessage(frame));
    });
  }

  async next<K extends BackendMessage['kind']>(kind: K, timeoutMs = 10_000): Promise<Extract<BackendMessage, { kind: K }>> {
    return waitFor(
      () => this.messages.find((m): m is Extract<BackendMessage, { kind: K }> => m.kind === kind),
      timeoutMs,
      `a ${kind} from the agent`,
    );
  }
}

/**
 * A hand-driven, authenticated session through the agent: SSLRequest, TLS, StartupMessage, the token
 * as password, then ReadyForQuery. Lets a test send whatever bytes it likes after authentication.
 */
export async function openRawSession(port: number, database: string, token: string): Promise<{ socket: TLSSocket; reader: BackendReader }> {
  const plain = await openSocket(port);
  plain.write(encodeFrontendMessage({ kind: 'SSLRequest' }));
  const [answer] = (await once(plain, 'data')) as [Buffer];
  if (answer.toString('latin1') !== 'S') throw new Error(`the agent answered SSLRequest with ${answer.toString('hex')}`);
  const socket = connectTls({ socket: plain, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const reader = new BackendReader(socket);
  socket.write(
    encodeFrontendMessage({
      kind: 'StartupMessage',
      protocolVersion: { major: 3, minor: 0 },
      parameters: new Map([
        ['user', 'raw-client'],
        ['database', database],
      ]),
    }),
  );
  await reader.next('AuthenticationCleartextPassword');
  socket.write(encodePasswordMessage(token));
  await reader.next('ReadyForQuery');
  return { socket, reader };
}

/** Sends a CancelRequest on a new connection, as psql's Ctrl-C does, and waits for the agent to hang up. */
export async function sendCancelRequest(port: number, processId: number, secretKey: Buffer): Promise<void> {
  const socket = await openSocket(port);
  socket.write(encodeFrontendMessage({ kind: 'CancelRequest', processId, secretKey }));
  await closedBy(socket);
}

/** node-postgres keeps the 4-byte protocol 3.0 cancel key as a signed int32. */
export function cancelKeyBytes(secretKey: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt32BE(secretKey);
  return key;
}

/**
 * A node-postgres client for an agent's PostgreSQL connection, with the access token as the password
 * (TLS, the agent's self-signed certificate accepted). Not connected yet. Connection errors are
 * swallowed here: tests assert them where they matter (a query's rejection, `connect()`).
 */
export function tokenClient(port: number, database: string, token: string, applicationName?: string): pg.Client {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    database,
    user: 'sluice-test',
    password: token,
    ssl: { rejectUnauthorized: false },
    ...(applicationName !== undefined ? { application_name: applicationName } : {}),
  });
  client.on('error', () => undefined);
  return client;
}
