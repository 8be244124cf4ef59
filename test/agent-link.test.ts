// Issue 2 acceptance: a real control plane and a real agent talk over gRPC; the registry follows
// the agent's life; keys are checked and never logged; the agent survives control-plane restarts.
import { execFileSync } from 'node:child_process';
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { AGENT_KEY_METADATA, loadAgentLinkPackage, type AgentMessage, type ControlMessage__Output } from '@sluice/contract';
import { createTestDatabase, freePort, waitFor, type ManagedProcess, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PLANE_CLI,
  devToken,
  getJson,
  restartControlPlane,
  startAgent,
  startControlPlane,
  type RunningControlPlane,
} from './support/system.js';

interface AgentJson {
  id: string;
  segment: string;
  status: 'online' | 'offline';
  connectedSince: string | null;
  connections: string[];
}
interface ConnectionJson {
  name: string;
  protocol: string;
  tags: Record<string, string>;
  agentId: string;
  listenAddress: string;
}

const HEARTBEAT_MS = 500;
const generateKey = (): string => execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();

const agentYaml = (listenPort: number) => `
agent: { segment: seg-a }
connections:
  - name: orders-db
    protocol: postgres
    listen: "127.0.0.1:${listenPort}"
    target: { host: 127.0.0.1, port: 5432, database: orders }
    credentials: { username: app, password: { env: ORDERS_PASSWORD } }
    tags: { env: prod, team: payments }
`;

describe('agent link', () => {
  let db: TestDatabase;
  let controlPlane: RunningControlPlane;
  const goodKey = generateKey();
  const disabledKey = generateKey();
  const processes: ManagedProcess[] = [];

  let adminToken = '';
  const agents = () => getJson<AgentJson[]>(`${controlPlane.httpUrl}/api/v1/agents`, adminToken);
  const agentNamed = async (id: string) => (await agents()).find((a) => a.id === id);

  beforeAll(async () => {
    db = await createTestDatabase();
    controlPlane = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      SLUICE_BOOTSTRAP_AGENT_KEYS: `${goodKey},${disabledKey}`,
    });
    processes.push(controlPlane.process);
    adminToken = await devToken(controlPlane, 'demo-admin');
  });

  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await db.drop();
  });

  it('shows a connected agent online with the connections it serves, and never the credentials', async () => {
    const listenPort = await freePort();
    const agent = await startAgent({
      agentId: 'agent-a',
      grpcPort: controlPlane.grpcPort,
      agentKey: goodKey,
      yaml: agentYaml(listenPort),
      env: { ORDERS_PASSWORD: 'orders-secret-pw' },
    });
    processes.push(agent);
    const online = await waitFor(async () => {
      const found = await agentNamed('agent-a');
      return found?.status === 'online' ? found : undefined;
    }, 30_000);
    expect(online).toMatchObject({ segment: 'seg-a', connections: ['orders-db'] });
    expect(online.connectedSince).not.toBeNull();

    const connections = await getJson<ConnectionJson[]>(`${controlPlane.httpUrl}/api/v1/connections`, adminToken);
    expect(connections).toContainEqual(
      expect.objectContaining({
        name: 'orders-db',
        protocol: 'postgres',
        agentId: 'agent-a',
        listenAddress: `127.0.0.1:${listenPort}`,
        tags: { env: 'prod', team: 'payments' },
      }),
    );
    const everything = controlPlane.process.output() + agent.output() + JSON.stringify(connections);
    expect(everything).not.toContain('orders-secret-pw');
    expect(everything).not.toContain(goodKey);
    expect(everything).not.toContain(goodKey.split('.')[1]);
  });

  it('marks a killed agent offline within the heartbeat window', async () => {
    const agent = await startAgent({ agentId: 'agent-b', grpcPort: controlPlane.grpcPort, agentKey: goodKey });
    processes.push(agent);
    await waitFor(async () => ((await agentNamed('agent-b'))?.status === 'online' ? true : undefined), 30_000);
    await agent.stop('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => ((await agentNamed('agent-b'))?.status === 'offline' ? true : undefined), 3 * HEARTBEAT_MS + 3_000);
    expect(Date.now() - killedAt).toBeLessThan(3 * HEARTBEAT_MS + 3_000);
    expect((await agentNamed('agent-b'))?.connectedSince).toBeNull();
  });

  it('reconnects by itself after the control plane restarts', async () => {
    const agent = await startAgent({ agentId: 'agent-c', grpcPort: controlPlane.grpcPort, agentKey: goodKey });
    processes.push(agent);
    await waitFor(async () => ((await agentNamed('agent-c'))?.status === 'online' ? true : undefined), 30_000);
    const pid = agent.child.pid;

    controlPlane = await restartControlPlane(controlPlane);
    processes.push(controlPlane.process);

    await waitFor(async () => ((await agentNamed('agent-c'))?.status === 'online' ? true : undefined), 30_000);
    expect(agent.child.pid).toBe(pid);
    expect(agent.child.exitCode).toBeNull();
    const connects = agent.logs().filter((l) => l.msg === 'connected to the control plane');
    expect(connects.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses an unknown agent key with UNAUTHENTICATED and logs neither the key nor its secret', async () => {
    const unknownKey = generateKey();
    const agent = await startAgent({ agentId: 'agent-d', grpcPort: controlPlane.grpcPort, agentKey: unknownKey });
    processes.push(agent);
    const refusal = await agent.waitForLog((l) => l.msg === 'the control plane refused this agent; check its agent key and configuration');
    expect(refusal).toMatchObject({ code: 'UNAUTHENTICATED', details: 'unknown agent key' });
    await controlPlane.process.waitForLog((l) => l.msg === 'agent link refused: unknown agent key');
    expect(agent.child.exitCode).toBeNull(); // keeps retrying, slowly, until someone fixes the key
    const [, secret] = unknownKey.split('.');
    for (const output of [controlPlane.process.output(), agent.output()]) {
      expect(output).not.toContain(unknownKey);
      expect(output).not.toContain(secret);
    }
    expect(await agentNamed('agent-d')).toBeUndefined();
  });

  describe('at the gRPC boundary', () => {
    const contract = loadAgentLinkPackage();
    const client = () => new contract.AgentLink(`127.0.0.1:${controlPlane.grpcPort}`, credentials.createInsecure());

    /** Opens a stream, sends `messages`, and resolves with the final status and what came back. */
    async function exchange(
      key: string | undefined,
      messages: AgentMessage[],
    ): Promise<{ code: GrpcStatus; details: string; received: ControlMessage__Output[] }> {
      const c = client();
      const metadata = new Metadata();
      if (key !== undefined) metadata.set(AGENT_KEY_METADATA, `Bearer ${key}`);
      const call = c.connect(metadata);
      const received: ControlMessage__Output[] = [];
      call.on('data', (m: ControlMessage__Output) => received.push(m));
      for (const m of messages) call.write(m);
      try {
        return await new Promise((resolve) => {
          call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details, received }));
          call.on('end', () => resolve({ code: GrpcStatus.OK, details: '', received }));
        });
      } finally {
        c.close();
      }
    }

    it('refuses a stream without a key, or with a malformed one', async () => {
      expect(await exchange(undefined, [])).toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      expect(await exchange('not-a-key', [])).toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: 'malformed agent key' });
      // right shape, right id, wrong secret
      const [idPart] = goodKey.split('.');
      const forged = `${idPart}.${'A'.repeat(43)}`;
      expect(await exchange(forged, [])).toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: 'unknown agent key' });
    });

    it('refuses a disabled key with PERMISSION_DENIED', async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query('UPDATE agent_keys SET disabled_at = now() WHERE id = $1', [disabledKey.slice(4, 20)]);
      await client.end();
      const hello = { hello: { agentId: 'agent-x', version: '1', segment: 's', connections: [] } };
      expect(await exchange(disabledKey, [hello])).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED, details: 'agent key is disabled' });
    });

    it('requires hello first, and a valid one', async () => {
      const heartbeat = { heartbeat: { sentAtUnixMs: Date.now(), openSessions: 0 } };
      expect(await exchange(goodKey, [heartbeat])).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });

      const badName = { hello: { agentId: 'Agent With Spaces', version: '1', segment: 's', connections: [] } };
      const refused = await exchange(goodKey, [badName]);
      expect(refused.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(refused.details).toContain('agentId');

      const duplicate = { name: 'dup', protocol: 'postgres', listenAddress: '127.0.0.1:1', tags: {} };
      const dupes = await exchange(goodKey, [
        { hello: { agentId: 'agent-y', version: '1', segment: 's', connections: [duplicate, duplicate] } },
      ]);
      expect(dupes).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
      expect(dupes.details).toContain('unique');

      const unknownProtocol = { name: 'x', protocol: 'telnet', listenAddress: '127.0.0.1:1', tags: {} };
      expect(
        await exchange(goodKey, [{ hello: { agentId: 'agent-z', version: '1', segment: 's', connections: [unknownProtocol] } }]),
      ).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
      });
      expect(await agentNamed('agent-y')).toBeUndefined();
    });

    it('answers a request with the same correlation id, and an unsupported kind with an error', async () => {
      const c = client();
      const metadata = new Metadata();
      metadata.set(AGENT_KEY_METADATA, `Bearer ${goodKey}`);
      const call = c.connect(metadata);
      const received: ControlMessage__Output[] = [];
      call.on('data', (m: ControlMessage__Output) => received.push(m));
      call.on('error', () => undefined);
      call.write({ hello: { agentId: 'agent-p', version: '1', segment: 's', connections: [] } });
      await waitFor(() => (received.some((m) => m.body === 'helloAccepted') ? true : undefined));
      call.write({ request: { correlationId: 'c-1', deadlineUnixMs: Date.now() + 5_000, ping: {} } });
      call.write({ request: { correlationId: 'c-2', deadlineUnixMs: Date.now() + 5_000 } });
      const pong = await waitFor(() => received.find((m) => m.response?.correlationId === 'c-1'));
      const unsupported = await waitFor(() => received.find((m) => m.response?.correlationId === 'c-2'));
      expect(pong.response?.result).toBe('pong');
      expect(unsupported.response?.result).toBe('error');
      expect(unsupported.response?.error?.code).toBe('unsupported');
      call.end();
      c.close();
    });
  });
});
