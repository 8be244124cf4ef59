import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** A reply the test scripts for one request; `undefined` falls through to the default routes. */
export type ScriptedReply = (path: string, response: ServerResponse) => boolean;

/**
 * A local stand-in for an issuer's HTTP endpoints (port 0, loopback): serves a JWK Set on any path
 * ending in `/keys` or `/jwks`, and discovery documents registered per path. Counts every request.
 */
export class LocalIssuerServer {
  readonly requests: string[] = [];
  private keys: JWK[] = [];
  private readonly documents = new Map<string, unknown>();
  private script: ScriptedReply | undefined;

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<LocalIssuerServer> {
    const ready: { instance?: LocalIssuerServer } = {};
    const server = createServer((request, response) => {
      ready.instance?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ready.instance = new LocalIssuerServer(server, `http://127.0.0.1:${port}`);
    return ready.instance;
  }

  publishKeys(keys: readonly JWK[]): void {
    this.keys = [...keys];
  }

  serveDocument(path: string, document: unknown): void {
    this.documents.set(path, document);
  }

  /** Scripts replies (errors, redirects, hangs) until cleared with `undefined`. */
  scriptReplies(script: ScriptedReply | undefined): void {
    this.script = script;
  }

  count(predicate: (path: string) => boolean): number {
    return this.requests.filter(predicate).length;
  }

  keyRequests(): number {
    return this.count((path) => path.endsWith('/keys') || path.endsWith('/jwks'));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', this.baseUrl).pathname;
    this.requests.push(path);
    if (this.script?.(path, response)) return;
    const document = this.documents.get(path);
    if (document !== undefined) return json(response, document);
    if (path.endsWith('/keys') || path.endsWith('/jwks')) return json(response, { keys: this.keys });
    response.writeHead(404).end();
  }
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export interface SigningKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public JWK with `kid`, `alg` and `use`, as an issuer publishes it. */
  readonly publicJwk: JWK;
  readonly kid: string;
}

export async function createSigningKey(kid?: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const keyId = kid ?? (await calculateJwkThumbprint(exported));
  return { privateKey, publicKey, kid: keyId, publicJwk: { ...exported, kid: keyId, alg, use: 'sig' } };
}
