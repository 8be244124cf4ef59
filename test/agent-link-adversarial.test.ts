// Security review of the agent link (sluice.agent.v1) under two threat models:
//   1. one agent is compromised: the attacker holds a valid agent key (agent A's) and speaks the
//      protocol freely — what can it do beyond its own sessions and connections?
//   2. an unauthenticated client on the network reaches the gRPC port.
// Tests titled `HOLE: …` describe what SHOULD happen and fail today; the rest are regression checks.
// Every client here speaks raw gRPC (bytes in, decoded ControlMessages out) so that it can also send
// what no honest agent would: garbage, unknown oneof cases, oversized frames, invalid UTF-8.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  Metadata,
  credentials,
  status as GrpcStatus,
  type ChannelCredentials,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  AGENT_KEY_METADATA,
  loadAgentLinkPackage,
  type AgentMessage,
  type AgentRequest,
  type ControlMessage__Output,
  type ControlResponse__Output,
  type Decision__Output,
} from '@sluice/contract';
import { createTestDatabase, testCertificate, waitFor, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, startControlPlane, type RunningControlPlane } from './support/system.js';

const POLICY = `
rules:
  - id: open-sessions
    match: { commands: [session.open] }
    effect: allow
  - id: agents-read
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.select] }
    effect: allow
  - id: approvers-read
    match: { principal: { groups: [db-approvers] }, commands: [sql.dml.select] }
    effect: allow
  - id: prod-secrets-off-limits
    description: Nobody reads the secrets table on a production connection
    match: { connection: { tags: { env: prod } }, tables: [secrets] }
    effect: { deny: { message: prod secrets are off limits } }
  - id: deletes-need-review
    match: { principal: { groups: [ai-agents] }, commands: [sql.dml.delete] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
`;

const generateKey = (): string => execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
const keyIdOf = (key: string): string => key.slice(4, 20);

const SELECT_SECRETS = { classes: ['sql.dml.select'], tables: ['public.secrets'], text: 'SELECT * FROM public.secrets' };
const SELECT_ORDERS = { classes: ['sql.dml.select'], tables: ['public.orders'], text: 'SELECT * FROM public.orders' };
const deleteOrder = (n: number) => ({
  classes: ['sql.dml.delete'],
  tables: ['public.orders'],
  text: `DELETE FROM public.orders WHERE id = ${n}`,
});

// ── raw protobuf, for what the generated serializer refuses to produce ─────────────────────────────

function varint(value: bigint): Buffer {
  let n = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Buffer.from(out);
}
const lenField = (field: number, bytes: Buffer): Buffer =>
  Buffer.concat([varint(BigInt((field << 3) | 2)), varint(BigInt(bytes.length)), bytes]);
const varintField = (field: number, value: bigint): Buffer => Buffer.concat([varint(BigInt(field << 3)), varint(value)]);
const str = (text: string): Buffer => Buffer.from(text, 'utf8');

/** AgentMessage{events: EventBatch{events: [SessionEvent]}} with every field given as raw bytes. */
function rawEvent(sessionId: Buffer, seq: bigint, kind: Buffer, occurredAt: bigint, payload: Buffer): Buffer {
  const event = Buffer.concat([
    lenField(1, sessionId),
    varintField(2, seq),
    lenField(3, kind),
    varintField(4, occurredAt),
    lenField(5, payload),
  ]);
  return lenField(4, lenField(1, event));
}

// ── a raw agent-link client ──────────────────────────────────────────────────────────────────────

interface Served {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly protocol?: string;
}

interface LinkOptions {
  readonly path?: string;
  readonly metadata?: readonly [string, string][];
  readonly channel?: ChannelCredentials;
  readonly host?: string;
}

const CONNECT_PATH = '/sluice.agent.v1.AgentLink/Connect';
const contract = loadAgentLinkPackage();
const connectMethod = contract.AgentLink.service.Connect;
const serialize = (message: AgentMessage): Buffer => connectMethod.requestSerialize(message);
const deserialize = (bytes: Buffer): ControlMessage__Output => connectMethod.responseDeserialize(bytes);

class Link {
  readonly received: ControlMessage__Output[] = [];
  ended: StatusObject | undefined;
  private readonly client: Client;
  private readonly call: ClientDuplexStream<Buffer, ControlMessage__Output>;
  private nextId = 0;

  constructor(port: number, key: string | undefined, options: LinkOptions = {}) {
    this.client = new Client(`${options.host ?? '127.0.0.1'}:${port}`, options.channel ?? credentials.createInsecure());
    const metadata = new Metadata();
    if (key !== undefined) metadata.set(AGENT_KEY_METADATA, `Bearer ${key}`);
    for (const [name, value] of options.metadata ?? []) metadata.add(name, value);
    this.call = this.client.makeBidiStreamRequest<Buffer, ControlMessage__Output>(
      options.path ?? CONNECT_PATH,
      (b: Buffer) => b,
      deserialize,
      metadata,
    );
    this.call.on('data', (m: ControlMessage__Output) => this.received.push(m));
    this.call.on('error', () => undefined);
    this.call.on('status', (s: StatusObject) => (this.ended ??= s));
  }

  /** A link that said hello and was accepted (throws with the status otherwise). */
  static async open(port: number, key: string, agentId: string, served: readonly Served[], options: LinkOptions = {}): Promise<Link> {
    const link = new Link(port, key, options);
    link.hello(agentId, served);
    await link.ready();
    return link;
  }

  get linkId(): string | undefined {
    return this.received.find((m) => m.helloAccepted)?.helloAccepted?.linkId;
  }

  hello(agentId: string, served: readonly Served[]): void {
    this.send({
      hello: {
        agentId,
        version: 'adversary',
        segment: 'test',
        connections: served.map((c) => ({
          name: c.name,
          protocol: c.protocol ?? 'postgres',
          listenAddress: '127.0.0.1:1',
          tags: c.tags ?? {},
        })),
      },
    });
  }

  send(message: AgentMessage): void {
    this.call.write(serialize(message));
  }

  sendRaw(bytes: Buffer): void {
    this.call.write(bytes);
  }

  async ready(): Promise<void> {
    await waitFor(() => (this.linkId !== undefined || this.ended ? true : undefined), 10_000, 'hello_accepted');
    if (this.linkId === undefined) throw new Error(`hello refused: ${this.ended?.code} ${this.ended?.details}`);
  }

  /** The final status of the stream (waits for it). */
  async status(timeoutMs = 10_000): Promise<{ code: GrpcStatus; details: string }> {
    const s = await waitFor(() => this.ended, timeoutMs, 'the stream to end');
    return { code: s.code, details: s.details };
  }

  async request(payload: Omit<AgentRequest, 'correlationId' | 'deadlineUnixMs'>, timeoutMs = 10_000): Promise<ControlResponse__Output> {
    const correlationId = `adv-${++this.nextId}`;
    this.send({ request: { ...payload, correlationId, deadlineUnixMs: Date.now() + timeoutMs } });
    const answer = await waitFor(() => this.received.find((m) => m.response?.correlationId === correlationId), timeoutMs, 'a response');
    return answer.response!;
  }

  ping(): Promise<ControlResponse__Output> {
    return this.request({ ping: {} });
  }

  openSession(connection: string, token: string, client: { address?: string; application?: string; user?: string } = {}) {
    return this.request({
      openSession: {
        connection,
        token,
        clientAddress: client.address ?? '127.0.0.1:5555',
        clientApplication: client.application ?? 'vitest',
        clientUser: client.user ?? 'anyone',
      },
    });
  }

  async session(connection: string, token: string): Promise<string> {
    const response = await this.openSession(connection, token);
    if (!response.sessionOpened) throw new Error(`session refused: ${JSON.stringify(response)}`);
    return response.sessionOpened.sessionId;
  }

  async decide(sessionId: string, command: { classes: string[]; tables: string[]; text: string }): Promise<Decision__Output> {
    const response = await this.request({
      decide: { sessionId, command: { ...command, tablesWritten: [], functions: [], hasWhere: '', fingerprint: `exact:${command.text}` } },
    });
    if (!response.decision) throw new Error(`no decision: ${JSON.stringify(response)}`);
    return response.decision;
  }

  closeSession(sessionId: string, reason = 'client_closed'): Promise<ControlResponse__Output> {
    return this.request({ closeSession: { sessionId, reason } });
  }

  events(sessionId: string, events: readonly { seq: number; kind: string; payload: unknown; at?: number }[]): void {
    this.send({
      events: {
        events: events.map((e) => ({
          sessionId,
          seq: e.seq,
          kind: e.kind,
          occurredAtUnixMs: e.at ?? Date.now(),
          payloadJson: typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload),
        })),
      },
    });
  }

  acked(sessionId: string, seq: number): boolean {
    return this.received.some((m) => m.eventAck?.events.some((r) => r.sessionId === sessionId && r.seq === seq) === true);
  }

  approvalPushes(approvalId: string): ControlMessage__Output[] {
    return this.received.filter((m) => m.push?.approvalResolved?.approvalId === approvalId);
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process (Linux), in MB. */
function rssMegabytes(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

describe('agent link under attack', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let sql: pg.Client;
  const keyA = generateKey();
  const keyB = generateKey();
  const keyC = generateKey();
  let agentToken = '';
  let approverToken = '';
  let adminToken = '';
  const links: Link[] = [];
  const track = <T extends Link>(link: T): T => {
    links.push(link);
    return link;
  };
  const open = async (key: string, agentId: string, served: readonly Served[]) => track(await Link.open(cp.grpcPort, key, agentId, served));
  const raw = (key: string | undefined, options?: LinkOptions) => track(new Link(cp.grpcPort, key, options));

  const api = (path: string, method: string, token: string, body?: unknown) =>
    fetch(`${cp.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const approve = async (approvalId: string) => {
    const response = await api(`/approvals/${approvalId}/approve`, 'POST', approverToken, { comment: 'ok' });
    expect(response.status).toBe(200);
  };
  const connectionOwner = async (name: string) =>
    (await sql.query<{ agent_id: string }>('SELECT agent_id FROM connections WHERE name = $1', [name])).rows[0]?.agent_id;
  const sessionRow = async (id: string) =>
    (
      await sql.query<{ closed_at: Date | null; close_reason: string | null; client_address: string; agent_id: string }>(
        'SELECT closed_at, close_reason, client_address, agent_id FROM sessions WHERE id = $1',
        [id],
      )
    ).rows[0];
  const storedEvents = async (sessionId: string) =>
    (
      await sql.query<{ seq: string; kind: string; payload: Record<string, unknown> }>(
        'SELECT seq, kind, payload FROM session_events WHERE session_id = $1 ORDER BY seq',
        [sessionId],
      )
    ).rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, payload: r.payload }));

  beforeAll(async () => {
    db = await createTestDatabase();
    const policyFile = join(await mkdtemp(join(tmpdir(), 'sluice-adv-policy-')), 'policy.yaml');
    await writeFile(policyFile, POLICY);
    cp = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_POLICY_FILE: policyFile,
      SLUICE_BOOTSTRAP_AGENT_KEYS: [keyA, keyB, keyC].join(','),
    });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    [agentToken, approverToken, adminToken] = await Promise.all([
      devToken(cp, 'demo-agent'),
      devToken(cp, 'demo-approver'),
      devToken(cp, 'demo-admin'),
    ]);
  });

  afterAll(async () => {
    for (const link of links) link.close();
    await sql.end();
    await cp.process.stop();
    await db.drop();
  });

  // ── threat model 2: an unauthenticated client on the network ─────────────────────────────────

  describe('an unauthenticated client on the network', () => {
    it('is refused with UNAUTHENTICATED whatever it sends: no key, malformed key, forged secret, wrong scheme, key in another header, merged headers', async () => {
      const [idPart] = keyA.split('.');
      const attempts: { key: string | undefined; metadata?: [string, string][]; details?: string }[] = [
        { key: undefined },
        { key: 'not-a-key', details: 'malformed agent key' },
        { key: `${idPart}.${'A'.repeat(43)}`, details: 'unknown agent key' },
        { key: undefined, metadata: [[AGENT_KEY_METADATA, `bearer ${keyA}`]] },
        { key: undefined, metadata: [[AGENT_KEY_METADATA, `Bearer ${keyA} extra`]] },
        { key: undefined, metadata: [['x-agent-key', keyA]] },
        // what a proxy merging a second header would send
        { key: undefined, metadata: [[AGENT_KEY_METADATA, `Bearer garbage, Bearer ${keyA}`]] },
      ];
      for (const [i, attempt] of attempts.entries()) {
        const link = raw(attempt.key, attempt.metadata ? { metadata: attempt.metadata } : {});
        link.hello(`unauth-${i}`, [{ name: `unauth-db-${i}` }]);
        const status = await link.status();
        expect(status.code, `attempt ${i}`).toBe(GrpcStatus.UNAUTHENTICATED);
        if (attempt.details) expect(status.details).toBe(attempt.details);
        expect(link.received).toEqual([]);
      }
      const registered = await sql.query("SELECT id FROM agents WHERE id LIKE 'unauth-%'");
      expect(registered.rows).toEqual([]);
      expect(await connectionOwner('unauth-db-0')).toBeUndefined();
    });

    it('serves nothing but sluice.agent.v1 AgentLink/Connect: other versions, methods, reflection and health are UNIMPLEMENTED', async () => {
      for (const path of [
        '/sluice.agent.v2.AgentLink/Connect',
        '/sluice.agent.v0.AgentLink/Connect',
        '/sluice.agent.v1.AgentLink/Admin',
        '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
        '/grpc.health.v1.Health/Watch',
      ]) {
        const link = raw(keyA, { path });
        link.hello('wrong-path', []);
        expect((await link.status()).code, path).toBe(GrpcStatus.UNIMPLEMENTED);
      }
    });

    it('with TLS configured, a plaintext client gets nowhere and a verifying TLS client is accepted', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-adv-tls-'));
      const { cert, key } = await testCertificate();
      await writeFile(join(dir, 'cert.pem'), cert);
      await writeFile(join(dir, 'key.pem'), key, { mode: 0o600 });
      const tlsPlane = await startControlPlane({
        SLUICE_DATABASE_URL: db.url,
        SLUICE_GRPC_INSECURE: '',
        SLUICE_GRPC_TLS_CERT: join(dir, 'cert.pem'),
        SLUICE_GRPC_TLS_KEY: join(dir, 'key.pem'),
      });
      try {
        const plaintext = new Link(tlsPlane.grpcPort, keyA);
        plaintext.hello('plaintext-agent', []);
        expect((await plaintext.status()).code).toBe(GrpcStatus.UNAVAILABLE);
        plaintext.close();

        const tls = await Link.open(tlsPlane.grpcPort, keyA, 'tls-agent', [], { channel: credentials.createSsl(Buffer.from(cert)) });
        expect((await tls.ping()).result).toBe('pong');
        tls.close();
        expect((await sql.query("SELECT id FROM agents WHERE id = 'plaintext-agent'")).rows).toEqual([]);
      } finally {
        await tlsPlane.process.stop();
      }
    });

    it('ends a stream that never says hello with DEADLINE_EXCEEDED after 10 s', async () => {
      const link = raw(keyA);
      const started = Date.now();
      const status = await link.status(15_000);
      expect(status.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    });
  });

  // ── threat model 1: a compromised agent ──────────────────────────────────────────────────────

  describe('a compromised agent (it holds agent A’s valid key)', () => {
    let agentA: Link;
    let agentB: Link;
    let sessionOfB = '';

    beforeAll(async () => {
      agentB = await open(keyB, 'agent-b', [{ name: 'b-db', tags: { env: 'prod' } }]);
      agentA = await open(keyA, 'agent-a', [{ name: 'a-db', tags: { env: 'test' } }]);
      sessionOfB = await agentB.session('b-db', agentToken);
    });

    describe('other agents’ connections and sessions', () => {
      it('cannot open a session on a connection another agent serves, or one nobody declared', async () => {
        for (const connection of ['b-db', 'nobody-db', '', 'B-DB', 'b-db ', '../b-db']) {
          const response = await agentA.openSession(connection, agentToken);
          expect(response.result, connection).toBe('sessionRefused');
          expect(response.sessionRefused?.code).toBe('unknown_connection');
        }
        expect(await sql.query("SELECT id FROM sessions WHERE agent_id = 'agent-a' AND connection = 'b-db'")).toMatchObject({ rows: [] });
      });

      it('cannot ask decisions for another agent’s session by its id (any case)', async () => {
        for (const id of [sessionOfB, sessionOfB.toUpperCase()]) {
          const decision = await agentA.decide(id, SELECT_ORDERS);
          expect(decision.effect).toBe('deny');
          expect(decision.reason).toBe('the session is closed, revoked or unknown');
        }
        // …and asking did not disturb the owner
        expect((await agentB.decide(sessionOfB, SELECT_ORDERS)).effect).toBe('allow');
      });

      it('cannot close another agent’s session by its id', async () => {
        expect((await agentA.closeSession(sessionOfB, 'terminated')).result).toBe('sessionClosed'); // says nothing either way
        expect((await agentA.closeSession(sessionOfB.toUpperCase(), 'terminated')).result).toBe('error');
        expect(await sessionRow(sessionOfB)).toMatchObject({ closed_at: null, agent_id: 'agent-b' });
        expect((await agentB.decide(sessionOfB, SELECT_ORDERS)).effect).toBe('allow');
      });

      it('cannot record events into another agent’s session (not stored, not acknowledged)', async () => {
        const forged = [
          { seq: 1, kind: 'session.opened', payload: { forged: true } },
          { seq: 2, kind: 'command.received', payload: { text: 'DROP TABLE orders' } },
          { seq: 3, kind: 'session.closed', payload: { reason: 'client_closed' } },
        ];
        agentA.events(sessionOfB, forged);
        agentA.events(sessionOfB.toUpperCase(), forged);
        await agentA.ping(); // the batch was read before this answer…
        await sleep(500); // …and stored or refused by now
        expect(agentA.acked(sessionOfB, 1) || agentA.acked(sessionOfB.toUpperCase(), 1)).toBe(false);
        expect(await storedEvents(sessionOfB)).toEqual([]);
      });

      it('cannot get an approved decision by replaying a review another agent’s session got approved', async () => {
        const command = deleteOrder(1);
        const heldForB = await agentB.decide(sessionOfB, command);
        expect(heldForB).toMatchObject({ effect: 'review', cacheable: false });
        await approve(heldForB.approvalId);
        await waitFor(() => (agentB.approvalPushes(heldForB.approvalId).length > 0 ? true : undefined), 5_000, 'approval push to B');

        // Same principal (A saw the same client token), same statement, A's own connection.
        const sessionOfA = await agentA.session('a-db', agentToken);
        const forA = await agentA.decide(sessionOfA, command);
        expect(forA.effect).toBe('review');
        expect(forA.approvalId).not.toBe(heldForB.approvalId);
        expect(agentA.approvalPushes(heldForB.approvalId)).toEqual([]);

        // The approval is still there for B, exactly once.
        expect(await agentB.decide(sessionOfB, command)).toMatchObject({ effect: 'allow', approvalId: heldForB.approvalId });
        expect((await agentB.decide(sessionOfB, command)).effect).toBe('review');
      });
    });

    describe('what A learns and what A may claim', () => {
      it('gets the principal’s public attributes on session open, never the token or raw claims', async () => {
        const response = await agentA.openSession('a-db', agentToken);
        const principal = response.sessionOpened?.principal;
        expect(principal).toBeDefined();
        expect(Object.keys(principal!).sort()).toEqual(
          ['appId', 'displayName', 'groupOverage', 'groups', 'id', 'issuer', 'kind', 'roles', 'scopes', 'subject', 'tenantId'].sort(),
        );
        const [, , signature] = agentToken.split('.');
        expect(JSON.stringify(response)).not.toContain(signature!);
      });

      it('a spoofed client address, application and user are stored truncated, as the agent’s say-so only', async () => {
        const forged = `203.0.113.7:1\n{"level":60,"msg":"forged"}${'x'.repeat(10_000)}`;
        const response = await agentA.openSession('a-db', agentToken, { address: forged, application: 'y'.repeat(10_000), user: '\u0000' });
        // A NUL in client_user cannot be stored in text: the request fails, no session is created.
        const id = response.sessionOpened?.sessionId;
        if (id) {
          const row = await sessionRow(id);
          expect(row?.client_address.length).toBeLessThanOrEqual(255);
        } else {
          expect(response.error?.code).toBe('internal');
        }
        const clean = await agentA.openSession('a-db', agentToken, { address: forged, application: 'y'.repeat(10_000) });
        const row = await sessionRow(clean.sessionOpened!.sessionId);
        expect(row?.client_address).toBe(forged.slice(0, 255));
      });

      it('a second stream with the same agent id replaces the first (ABORTED), and the registry follows the newest link', async () => {
        const first = await open(keyA, 'agent-dup', [{ name: 'dup-db' }]);
        const second = await open(keyA, 'agent-dup', [{ name: 'dup-db' }]);
        expect(await first.status()).toMatchObject({ code: GrpcStatus.ABORTED });
        expect((await second.ping()).result).toBe('pong');
        const row = await sql.query<{ link_id: string }>("SELECT link_id FROM agents WHERE id = 'agent-dup'");
        expect(row.rows[0]?.link_id).toBe(second.linkId);
      });

      it('ignores an agent id in call metadata: only hello names the agent', async () => {
        const link = track(await Link.open(cp.grpcPort, keyA, 'agent-meta', [], { metadata: [['x-sluice-agent-id', 'agent-b']] }));
        expect((await link.ping()).result).toBe('pong');
        expect(agentB.ended).toBeUndefined();
        expect(await connectionOwner('b-db')).toBe('agent-b');
      });
    });

    describe('the protocol’s edges', () => {
      it('refuses oversized or out-of-range hellos with INVALID_ARGUMENT and registers nothing', async () => {
        const conn = (name: string, extra: Record<string, unknown> = {}) => ({
          name,
          protocol: 'postgres',
          listenAddress: '127.0.0.1:1',
          tags: {},
          ...extra,
        });
        const bad: AgentMessage['hello'][] = [
          { agentId: 'x'.repeat(64), version: '1', segment: 's', connections: [] },
          { agentId: 'bad-1', version: '', segment: 's', connections: [] },
          { agentId: 'bad-2', version: 'v'.repeat(65), segment: 's', connections: [] },
          { agentId: 'bad-3', version: '1', segment: 's', connections: Array.from({ length: 257 }, (_, i) => conn(`c-${i}`)) },
          { agentId: 'bad-4', version: '1', segment: 's', connections: [conn('c', { tags: { k: 'v'.repeat(256) } })] },
          {
            agentId: 'bad-5',
            version: '1',
            segment: 's',
            connections: [conn('c', { tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) })],
          },
          { agentId: 'bad-6', version: '1', segment: 's', connections: [conn('c', { listenAddress: 'a'.repeat(256) })] },
          { agentId: 'bad-7', version: '1', segment: 's', connections: [conn('c', { protocol: 'telnet' })] },
          { agentId: 'bad-8', version: '1', segment: 's', connections: [conn('c', { tags: { 'bad key': 'v' } })] },
          { agentId: 'bad-9', version: '1', segment: '', connections: [] },
        ];
        for (const hello of bad) {
          const link = raw(keyA);
          link.send({ hello });
          expect((await link.status()).code, JSON.stringify(hello).slice(0, 80)).toBe(GrpcStatus.INVALID_ARGUMENT);
        }
        expect((await sql.query("SELECT id FROM agents WHERE id LIKE 'bad-%' OR id LIKE 'xxxx%'")).rows).toEqual([]);
      });

      it('ends the stream on a message before hello_accepted, and on a second hello (FAILED_PRECONDITION)', async () => {
        const pipelined = raw(keyA);
        pipelined.hello('agent-pipelined', []);
        pipelined.send({ heartbeat: { sentAtUnixMs: Date.now(), openSessions: 0 } });
        expect((await pipelined.status()).code).toBe(GrpcStatus.FAILED_PRECONDITION);

        const twice = await open(keyA, 'agent-twice', []);
        twice.hello('agent-b', [{ name: 'b-db' }]);
        expect((await twice.status()).code).toBe(GrpcStatus.FAILED_PRECONDITION);
        expect(await connectionOwner('b-db')).toBe('agent-b');
        expect(agentB.ended).toBeUndefined();
      });

      it('fails closed on unknown oneof cases: an unknown body ends the stream, an unknown request kind is "unsupported"', async () => {
        const link = await open(keyA, 'agent-oneof', []);
        // AgentRequest{correlation_id: "u-1", deadline: now+5s, <field 99>: {}}
        link.sendRaw(
          lenField(3, Buffer.concat([lenField(1, str('u-1')), varintField(2, BigInt(Date.now() + 5_000)), lenField(99, Buffer.alloc(0))])),
        );
        const answer = await waitFor(() => link.received.find((m) => m.response?.correlationId === 'u-1'));
        expect(answer.response?.error?.code).toBe('unsupported');
        // AgentMessage{<field 9>: {}}: no known body
        link.sendRaw(lenField(9, Buffer.alloc(0)));
        expect(await link.status()).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'message with no known body' });
      });

      it('ends only the offending stream on undecodable bytes and on a message over 8 MiB', async () => {
        const garbage = await open(keyA, 'agent-garbage', []);
        garbage.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]));
        expect((await garbage.status()).code).not.toBe(GrpcStatus.OK);

        const huge = await open(keyA, 'agent-huge', []);
        huge.events('00000000-0000-4000-8000-000000000000', [{ seq: 1, kind: 'command.received', payload: 'x'.repeat(9 * 1024 * 1024) }]);
        expect((await huge.status()).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
        expect((await agentB.ping()).result).toBe('pong');
      });

      it('skips requests already past their deadline, answers those without one', async () => {
        const link = await open(keyA, 'agent-deadlines', []);
        link.send({ request: { correlationId: 'past', deadlineUnixMs: Date.now() - 1, ping: {} } });
        link.send({ request: { correlationId: 'negative', deadlineUnixMs: -5, ping: {} } });
        link.send({ request: { correlationId: 'huge', deadlineUnixMs: Number.MAX_SAFE_INTEGER, ping: {} } });
        await waitFor(() => link.received.find((m) => m.response?.correlationId === 'huge'));
        await waitFor(() => link.received.find((m) => m.response?.correlationId === 'negative'));
        await sleep(200);
        expect(link.received.find((m) => m.response?.correlationId === 'past')).toBeUndefined();
      });

      it('stores hostile events of its own session as event.malformed, drops unplaceable ones, and keeps the chain intact', async () => {
        const sessionId = await agentA.session('a-db', agentToken);
        let deep: unknown = 'bottom';
        for (let i = 0; i < 200; i++) deep = [deep];
        agentA.events(sessionId, [
          { seq: 1, kind: 'session.opened', payload: { ok: true } },
          { seq: 2, kind: 'command.received', payload: { text: 'x' }, at: -1_000 },
          { seq: 3, kind: 'command.received', payload: { text: 'x' }, at: 8.64e15 },
          { seq: 4, kind: 'command.received', payload: { deep } },
          { seq: 5, kind: 'command.received', payload: { text: 'z'.repeat(300 * 1024) } },
          { seq: 6, kind: 'Command Received; DROP', payload: {} },
          { seq: 7, kind: 'command.received', payload: '[1,2,3]' },
          { seq: 8, kind: 'command.received', payload: '{"text": "unterminated' },
          { seq: 9, kind: 'command.received', payload: { text: 'nul \u0000 and lone \ud800 surrogate', ['\u0000key']: 1 } },
          { seq: 0, kind: 'command.received', payload: {} },
          { seq: -3, kind: 'command.received', payload: {} },
        ]);
        // Invalid UTF-8 in the kind and the payload, and a seq of 2^64 - 1, as raw protobuf.
        const invalidUtf8 = Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]);
        agentA.sendRaw(
          rawEvent(
            str(sessionId),
            10n,
            str('command.received'),
            BigInt(Date.now()),
            Buffer.concat([str('{"text":"'), invalidUtf8, str('"}')]),
          ),
        );
        agentA.sendRaw(rawEvent(str(sessionId), 11n, Buffer.concat([str('command.'), invalidUtf8]), BigInt(Date.now()), str('{}')));
        agentA.sendRaw(rawEvent(str(sessionId), (1n << 64n) - 1n, str('command.received'), BigInt(Date.now()), str('{}')));
        await waitFor(
          () => ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].every((s) => agentA.acked(sessionId, s)) ? true : undefined),
          10_000,
          'acks',
        );

        const stored = await storedEvents(sessionId);
        expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        const kinds = Object.fromEntries(stored.map((e) => [e.seq, e.kind]));
        expect(kinds).toMatchObject({
          1: 'session.opened',
          2: 'event.malformed',
          3: 'event.malformed',
          4: 'event.malformed',
          5: 'event.malformed',
          6: 'event.malformed',
          7: 'event.malformed',
          8: 'event.malformed',
          9: 'command.received',
          10: 'command.received',
          11: 'event.malformed',
        });
        expect(JSON.stringify(stored.find((e) => e.seq === 9)?.payload)).not.toMatch(/\\u0000|\\ud800/i);
        const verify = await api(`/sessions/${sessionId}/verify`, 'GET', adminToken);
        expect(await verify.json()).toMatchObject({ intact: true });
        expect((await agentB.ping()).result).toBe('pong');
      });

      it('drops a huge batch for sessions it does not own without storing anything, and keeps answering', async () => {
        const link = await open(keyA, 'agent-batch', []);
        const batch = Array.from({ length: 40_000 }, (_, i) => ({
          sessionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          seq: 1,
          kind: 'command.received',
          occurredAtUnixMs: Date.now(),
          payloadJson: '{}',
        }));
        link.send({ events: { events: batch } });
        const started = Date.now();
        expect((await link.ping()).result).toBe('pong');
        expect((await agentB.ping()).result).toBe('pong');
        expect(Date.now() - started).toBeLessThan(3_000);
        await sleep(500);
        const stored = await sql.query(
          "SELECT count(*)::int AS n FROM session_events WHERE session_id::text LIKE '00000000-0000-4000-8000-%'",
        );
        expect(stored.rows[0]).toEqual({ n: 0 });
      });
    });

    describe('event ingestion under load', () => {
      it('stores a burst of batches (sent without waiting, interleaved, some resent, one with a session of B) once each, chained, all acknowledged', async () => {
        const sessions = [
          await agentA.session('a-db', agentToken),
          await agentA.session('a-db', agentToken),
          await agentA.session('a-db', agentToken),
        ];
        const PER_BATCH = 50;
        const BATCHES = 60;
        const next = new Map(sessions.map((id) => [id, 1]));
        const sent: { sessionId: string; seq: number }[][] = [];
        for (let b = 0; b < BATCHES; b++) {
          const sessionId = sessions[b % sessions.length]!;
          const first = next.get(sessionId)!;
          next.set(sessionId, first + PER_BATCH);
          const events = Array.from({ length: PER_BATCH }, (_, i) => ({
            seq: first + i,
            kind: first + i === 1 ? 'session.opened' : 'command.completed',
            payload: { text: `SELECT ${b}`, n: i },
          }));
          agentA.events(sessionId, events);
          sent.push(events.map((e) => ({ sessionId, seq: e.seq })));
          // Resends racing their originals, and an event for another agent's session in the same burst.
          if (b % 7 === 3) agentA.events(sessionId, events.slice(0, 10));
          if (b === 30) agentA.events(sessionOfB, [{ seq: 999, kind: 'command.completed', payload: {} }]);
        }
        await waitFor(
          () => (sent.flat().every((e) => agentA.acked(e.sessionId, e.seq)) ? true : undefined),
          20_000,
          'every event acknowledged',
        );
        for (const sessionId of sessions) {
          const stored = await storedEvents(sessionId);
          const expected = (BATCHES / sessions.length) * PER_BATCH;
          expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
          const verify = await api(`/sessions/${sessionId}/verify`, 'GET', adminToken);
          expect(await verify.json()).toMatchObject({ intact: true, verifiedThroughSeq: expected });
        }
        expect((await storedEvents(sessionOfB)).some((e) => e.seq === 999)).toBe(false);
        expect(agentA.acked(sessionOfB, 999)).toBe(false);
      });
    });

    describe('event ingestion under load (memory)', () => {
      it('stops reading a link that sends events faster than they are stored (no unbounded buffering), then stores them all', async () => {
        const link = await open(keyA, 'agent-firehose', [{ name: 'firehose-db' }]);
        const sessionId = await link.session('firehose-db', agentToken);
        link.events(sessionId, [{ seq: 1, kind: 'session.opened', payload: {} }]);
        await waitFor(() => (link.acked(sessionId, 1) ? true : undefined), 10_000, 'the first event stored');
        // Storing is held up (another transaction holds the session's chain row), as a slow or busy
        // database would; meanwhile the link sends 80 messages of ≈ 7.8 MB (its limit is 8 MiB)
        // without waiting for acknowledgements. Payloads over 256 KiB become small event.malformed rows.
        const locker = new pg.Client({ connectionString: db.url });
        await locker.connect();
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM session_event_chains WHERE session_id = $1 FOR UPDATE', [sessionId]);
        const payload = JSON.stringify({ text: 'x'.repeat(280 * 1024) });
        const PER_BATCH = 28;
        const BATCHES = 80;
        const rssBefore = rssMegabytes(cp.process.child.pid);
        try {
          for (let b = 0; b < BATCHES; b++) {
            link.events(
              sessionId,
              Array.from({ length: PER_BATCH }, (_, i) => ({ seq: b * PER_BATCH + i + 2, kind: 'command.received', payload })),
            );
          }
          await waitFor(
            () => (cp.process.lines.some((line) => line.includes('not reading its stream until they are')) ? true : undefined),
            30_000,
            'the control plane to stop reading the link',
          );
          await sleep(2_000);
          // ≈ 620 MB were sent. Read and waiting: at most 32 MiB of events waiting to be stored, 16
          // decoded messages the stream buffers and what HTTP/2 holds (≈ 210 MB measured); reading on
          // regardless grew the control plane by ≈ 680 MB.
          expect(rssMegabytes(cp.process.child.pid) - rssBefore).toBeLessThan(400);
          expect((await agentB.ping()).result).toBe('pong');
        } finally {
          await locker.query('COMMIT');
          await locker.end();
        }
        const total = BATCHES * PER_BATCH + 1;
        await waitFor(
          () => (Array.from({ length: total }, (_, i) => i + 1).every((seq) => link.acked(sessionId, seq)) ? true : undefined),
          60_000,
          'every event acknowledged once the stream is read again',
        );
        const stored = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM session_events WHERE session_id = $1', [sessionId]);
        expect(stored.rows[0]?.n).toBe(total);
        // 2,240 malformed events, logged a line per transaction and session, not a line each.
        const logged = cp.process.lines.filter((line) => line.includes('malformed session events') && line.includes(sessionId));
        expect(logged.length).toBeGreaterThan(0);
        expect(logged.length).toBeLessThanOrEqual(BATCHES);
      });
    });

    describe('revocation, expiry and key disabling', () => {
      it('refuses new sessions and decisions for a revoked principal (within the 2 s session cache)', async () => {
        const opened = await agentA.openSession('a-db', approverToken);
        const sessionId = opened.sessionOpened!.sessionId;
        const principalId = opened.sessionOpened!.principal!.id;
        expect((await agentA.decide(sessionId, SELECT_ORDERS)).effect).toBe('allow');
        const revoked = await api(`/principals/${encodeURIComponent(principalId)}/revoke`, 'POST', adminToken, {
          reason: 'adversarial test',
        });
        expect(revoked.status).toBe(200);
        try {
          await waitFor(
            () => (agentA.received.some((m) => m.push?.revokePrincipal?.principalId === principalId) ? true : undefined),
            5_000,
            'revoke push',
          );
          // A compromised agent ignores the push and keeps asking: the control plane must refuse.
          const deniedAt = Date.now();
          await waitFor(async () => ((await agentA.decide(sessionId, SELECT_ORDERS)).effect === 'deny' ? true : undefined), 5_000, 'deny');
          expect(Date.now() - deniedAt).toBeLessThan(2_500);
          const again = await agentA.openSession('a-db', approverToken);
          expect(again.sessionRefused?.code).toBe('revoked');
        } finally {
          await api(`/principals/${encodeURIComponent(principalId)}/unrevoke`, 'POST', adminToken, {});
        }
      });

      it('closed hole — a session keeps getting allow decisions after its token expired (the control plane never checks token_expires_at)', async () => {
        const sessionId = await agentA.session('a-db', agentToken);
        expect((await agentA.decide(sessionId, SELECT_ORDERS)).effect).toBe('allow');
        // The token expires (simulated: its recorded expiry moves into the past). An honest agent
        // ends the session now; a compromised one keeps asking.
        await sql.query("UPDATE sessions SET token_expires_at = now() - interval '1 minute' WHERE id = $1", [sessionId]);
        await sleep(2_100); // past the session cache
        const decision = await agentA.decide(sessionId, SELECT_ORDERS);
        expect(decision.effect).toBe('deny');
      });

      it('closed hole — an agent key disabled while its stream is open keeps working until the agent reconnects', async () => {
        const agentC = await open(keyC, 'agent-c', [{ name: 'c-db' }]);
        expect((await agentC.openSession('c-db', agentToken)).result).toBe('sessionOpened');
        // Incident response, as docs/deploy.md prescribes: disable the leaked key.
        await sql.query('UPDATE agent_keys SET disabled_at = now() WHERE id = $1', [keyIdOf(keyC)]);
        // A reconnect is refused…
        const reconnect = raw(keyC);
        reconnect.hello('agent-c2', []);
        expect((await reconnect.status()).code).toBe(GrpcStatus.PERMISSION_DENIED);
        // …and the stream already open stops working within a second (its key is re-read at most once a second).
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        const after = await agentC.openSession('c-db', agentToken).catch(() => undefined);
        expect.soft(after?.result).not.toBe('sessionOpened');
        await waitFor(() => agentC.ended, 3_000, 'the disabled key’s stream to end').catch(() => undefined);
        expect(agentC.ended?.code).toBe(GrpcStatus.PERMISSION_DENIED);
      });
    });

    describe('impersonating another agent', () => {
      it('closed hole — hello may claim a connection name another (online) agent serves, and rewrite the tags policy sees for the victim’s sessions', async () => {
        const victim = await open(keyB, 'victim-1', [{ name: 'v1-db', tags: { env: 'prod' } }]);
        const victimSession = await victim.session('v1-db', agentToken);
        expect((await victim.decide(victimSession, SELECT_SECRETS)).effect).toBe('deny');

        const attacker = raw(keyA);
        attacker.hello('agent-a-2', [{ name: 'v1-db', tags: { env: 'test' } }]);
        await waitFor(() => (attacker.linkId !== undefined || attacker.ended ? true : undefined));

        expect.soft(attacker.linkId, 'the hijacking hello should be refused').toBeUndefined();
        expect.soft(await connectionOwner('v1-db'), 'v1-db should stay victim-1’s').toBe('victim-1');
        if (attacker.linkId !== undefined) {
          const stolen = await attacker.openSession('v1-db', agentToken);
          expect.soft(stolen.result, 'the attacker should not open sessions on v1-db').toBe('sessionRefused');
        }
        const victimAgain = await victim.openSession('v1-db', agentToken);
        expect.soft(victimAgain.result, 'the victim should still open sessions on v1-db').toBe('sessionOpened');
        const downgraded = await victim.decide(victimSession, SELECT_SECRETS);
        expect(downgraded.effect, 'the victim’s prod session must still be decided as prod').toBe('deny');
      });

      it('closed hole — agent key A may say hello as agent B (agent id not bound to its key): B is kicked off and its connections dropped', async () => {
        const victim = await open(keyB, 'victim-2', [{ name: 'v2-db', tags: { env: 'prod' } }]);
        const attacker = raw(keyA);
        attacker.hello('victim-2', []);
        await waitFor(() => (attacker.linkId !== undefined || attacker.ended ? true : undefined));
        await sleep(300);
        expect.soft(attacker.ended?.code, 'the impersonating hello should be refused').toBe(GrpcStatus.PERMISSION_DENIED);
        expect.soft(victim.ended, 'the victim should stay connected').toBeUndefined();
        expect.soft(await connectionOwner('v2-db'), 'the victim’s connection should stay registered').toBe('victim-2');
        const row = await sql.query<{ key_id: string }>("SELECT key_id FROM agents WHERE id = 'victim-2'");
        expect(row.rows[0]?.key_id, 'the registry should still show the victim’s key').toBe(keyIdOf(keyB));
      });

      it('closed hole — …and, as agent B, decides, records events into and closes B’s existing sessions', async () => {
        const victim = await open(keyB, 'victim-3', [{ name: 'v3-db', tags: { env: 'prod' } }]);
        const victimSession = await victim.session('v3-db', agentToken);
        const attacker = raw(keyA);
        attacker.hello('victim-3', [{ name: 'v3-db', tags: { env: 'test' } }]);
        await waitFor(() => (attacker.linkId !== undefined || attacker.ended ? true : undefined));
        if (attacker.linkId !== undefined) {
          const decision = await attacker.decide(victimSession, SELECT_SECRETS);
          expect.soft(decision.effect, 'decisions for the victim’s session').toBe('deny');
          expect.soft(decision.reason).toBe('the session is closed, revoked or unknown');
          attacker.events(victimSession, [
            { seq: 1, kind: 'session.opened', payload: { forgedBy: 'agent-a' } },
            { seq: 2, kind: 'session.closed', payload: { reason: 'client_closed' } },
          ]);
          await attacker.ping();
          await sleep(500);
          expect.soft(await storedEvents(victimSession), 'forged recording of the victim’s session').toEqual([]);
          await attacker.closeSession(victimSession, 'client_closed');
        }
        expect(await sessionRow(victimSession)).toMatchObject({ closed_at: null });
      });

      it('closed hole — …and receives B’s approval pushes, and spends B’s approvals', async () => {
        const victim = await open(keyB, 'victim-4', [{ name: 'v4-db', tags: { env: 'prod' } }]);
        const victimSession = await victim.session('v4-db', agentToken);
        const command = deleteOrder(4);
        const held = await victim.decide(victimSession, command);
        expect(held.effect).toBe('review');

        const attacker = raw(keyA);
        attacker.hello('victim-4', [{ name: 'v4-db' }]);
        await waitFor(() => (attacker.linkId !== undefined || attacker.ended ? true : undefined));
        await approve(held.approvalId);
        await sleep(1_000);
        expect.soft(attacker.approvalPushes(held.approvalId), 'the approval push reached the impersonator').toEqual([]);
        if (attacker.linkId !== undefined) {
          const spent = await attacker.decide(victimSession, command);
          expect.soft(spent.effect, 'the impersonator spent the victim’s approval').not.toBe('allow');
        }
        expect(attacker.linkId, 'the impersonating hello should have been refused').toBeUndefined();
      });
    });

    describe('flooding', () => {
      it('closed hole — one agent can file unbounded review requests (each paging the approvers) from a single session', async () => {
        const spammer = await open(keyA, 'agent-review-spam', [{ name: 'spam-db' }]);
        const sessionId = await spammer.session('spam-db', agentToken);
        const SPAM = 200;
        const decisions = await Promise.all(Array.from({ length: SPAM }, (_, i) => spammer.decide(sessionId, deleteOrder(10_000 + i))));
        // The principal may have 20 reviews pending; beyond that, statements needing review are denied.
        expect(decisions.filter((d) => d.effect === 'review').length).toBeLessThanOrEqual(20);
        expect(decisions.filter((d) => d.effect === 'deny').length).toBeGreaterThanOrEqual(SPAM - 20);
        const pending = await sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM approval_requests WHERE session_id = $1 AND status = 'pending'",
          [sessionId],
        );
        expect(pending.rows[0]?.n, 'pending reviews one session could file').toBeLessThanOrEqual(20);
      });

      it('closed hole — one agent’s flood of open_session requests (no per-agent limit) starves other agents’ session opens', async () => {
        const flooder = await open(keyA, 'agent-flood', [{ name: 'flood-db' }]);
        const FLOOD = 3_000;
        for (let i = 0; i < FLOOD; i++) {
          flooder.send({
            request: {
              correlationId: `flood-${i}`,
              deadlineUnixMs: Date.now() + 120_000,
              openSession: { connection: 'flood-db', token: agentToken, clientAddress: '', clientApplication: '', clientUser: '' },
            },
          });
        }
        await sleep(200);
        const started = Date.now();
        const victimOpen = await agentB.openSession('b-db', agentToken);
        const latency = Date.now() - started;
        expect(victimOpen.result).toBe('sessionOpened');
        await waitFor(
          () => (flooder.received.filter((m) => m.response?.correlationId.startsWith('flood-')).length === FLOOD ? true : undefined),
          120_000,
          'the flood to be answered',
        );
        const opened = flooder.received.filter((m) => m.response?.result === 'sessionOpened').length;
        // Every single one was served: nothing bounds an agent's in-flight requests or session rate.
        expect.soft(opened, 'sessions the flood opened').toBeLessThan(FLOOD);
        // Served behind at most 256 of the flooder's requests (its in-flight cap), not behind all 3,000
        // (≈ 8 ms each here, so 20 s or more): the bound leaves room for a busy two-core CI machine.
        expect(latency, 'another agent’s session open while one agent floods').toBeLessThan(5_000);
      });
    });
  });
});
