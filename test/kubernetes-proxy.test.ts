// Issue 8 at the system level, Kubernetes API connections: the real control plane and agent, the real
// kubectl (1.32, WebSocket exec) and @kubernetes/client-node, against the fake apiserver of
// libs/testing — or, unchanged, against a real cluster when SLUICE_TEST_KUBECONFIG names a
// kubeconfig with a token or client-certificate user (checks that need the fake's request log are
// skipped then).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { CoreV1Api, Exec, KubeConfig, Watch, type V1Status } from '@kubernetes/client-node';
import {
  FakeApiServer,
  createTestDatabase,
  freePort,
  testCertificate,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLI, devToken, getJson, startAgent, startControlPlane, type RunningControlPlane } from './support/system.js';

const run = promisify(execFile);
const REAL_CLUSTER = process.env.SLUICE_TEST_KUBECONFIG;
const NS = 'default';
const POD = 'sluice-contract-web';
const SECRET = 'sluice-contract-db';
const SECRET_VALUE = 'hunter2-correct-horse';
const CARD = '4111 1111 1111 1111';

const POLICY = `
rules:
  - id: open-cluster
    match: { connection: { protocols: [kubernetes] }, commands: [session.open, k8s.discovery] }
    effect: allow
  - id: agents-read-pods
    description: AI agents may get, list and watch pods and read their logs in default
    match: { principal: { groups: [ai-agents] }, namespaces: [default], commands: [k8s.pods.get, k8s.pods.list, k8s.pods.watch, k8s.pods.log] }
    effect: allow
  - id: agents-no-secrets
    description: AI agents never read Secrets
    match: { principal: { groups: [ai-agents] }, commands: ['k8s.secrets.*'] }
    effect: { deny: { message: AI agents never read Secrets } }
  - id: agents-exec-review
    description: exec needs a human
    match: { principal: { groups: [ai-agents] }, commands: [k8s.pods.exec, k8s.pods.attach] }
    effect: { review: { approverGroups: [db-approvers], timeoutSeconds: 60 } }
  - id: agents-masked-output
    # Not exec/attach: a terminal cannot be masked, so exec under a mask rule is refused (docs/kubernetes.md).
    match: { principal: { groups: [ai-agents] }, connection: { protocols: [kubernetes] }, commands: ['k8s.*.get', 'k8s.*.list', 'k8s.*.watch', k8s.pods.log] }
    effect: { mask: { detectors: [{ detector: card, strategy: { kind: partial, keepLast: 4 } }] } }
  - id: operators
    match: { principal: { groups: [db-approvers, security] }, connection: { protocols: [kubernetes] }, commands: ['k8s.*.get', 'k8s.*.list', 'k8s.*.watch', 'k8s.pods.*'] }
    effect: allow
  - id: security-reveals
    match: { principal: { groups: [security] }, commands: [k8s.secrets.reveal] }
    effect: allow
`;

interface Upstream {
  readonly url: string;
  readonly yaml: string;
  readonly fake: FakeApiServer | undefined;
  readonly kube: KubeConfig;
  close(): Promise<void>;
}

/** The apiserver behind the agent: the fake, or the cluster of SLUICE_TEST_KUBECONFIG. */
async function startUpstream(dir: string): Promise<Upstream> {
  const kube = new KubeConfig();
  if (REAL_CLUSTER) {
    kube.loadFromFile(REAL_CLUSTER);
    const cluster = kube.getCurrentCluster();
    const user = kube.getCurrentUser();
    if (!cluster || !user) throw new Error('SLUICE_TEST_KUBECONFIG: no current cluster/user');
    const lines = [`url: "${cluster.server}"`];
    if (cluster.caData) lines.push(`caFile: "${await file(dir, 'ca.pem', Buffer.from(cluster.caData, 'base64'))}"`);
    if (cluster.caFile) lines.push(`caFile: "${cluster.caFile}"`);
    if (user.token) lines.push(`tokenFile: "${await file(dir, 'token', user.token)}"`);
    if (user.certData && user.keyData) {
      lines.push(`certFile: "${await file(dir, 'cert.pem', Buffer.from(user.certData, 'base64'))}"`);
      lines.push(`keyFile: "${await file(dir, 'key.pem', Buffer.from(user.keyData, 'base64'))}"`);
    }
    return { url: cluster.server, yaml: `{ ${lines.join(', ')} }`, fake: undefined, kube, close: () => Promise.resolve() };
  }
  const tls = await testCertificate();
  const fake = await FakeApiServer.start({ tls });
  kube.loadFromOptions({
    clusters: [{ name: 'fake', server: fake.url, caData: Buffer.from(tls.cert).toString('base64') }],
    users: [{ name: 'fake', token: fake.token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  const yaml = `{ url: "${fake.url}", caFile: "${await file(dir, 'upstream-ca.pem', tls.cert)}", tokenFile: "${await file(dir, 'sa-token', fake.token)}" }`;
  return { url: fake.url, yaml, fake, kube, close: () => fake.close() };
}

async function file(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

/** The contract fixtures, created directly on the upstream with its own credentials. */
async function seed(kube: KubeConfig): Promise<void> {
  const core = kube.makeApiClient(CoreV1Api);
  await core.deleteNamespacedPod({ namespace: NS, name: POD }).catch(() => undefined);
  await core.deleteNamespacedSecret({ namespace: NS, name: SECRET }).catch(() => undefined);
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: POD, labels: { app: 'sluice-contract' } },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c', `echo started; echo paid with ${CARD}; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 1; done`],
          },
        ],
      },
    },
  });
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: {
        name: SECRET,
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { password: SECRET_VALUE } }) },
      },
      stringData: { password: SECRET_VALUE },
    },
  });
  await waitFor(
    async () => ((await core.readNamespacedPod({ namespace: NS, name: POD })).status?.phase === 'Running' ? true : undefined),
    120_000,
    'the pod to run',
  );
}

interface EventJson {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

describe('Kubernetes API connections through the agent', () => {
  let db: TestDatabase;
  let cp: RunningControlPlane;
  let agent: ManagedProcess;
  let upstream: Upstream;
  let dir = '';
  let server = '';
  let agentCa = '';
  let adminToken = '';
  const kubeconfigs: Record<'agent' | 'operator' | 'security', string> = { agent: '', operator: '', security: '' };
  const tokens: Record<'agent' | 'operator' | 'security', string> = { agent: '', operator: '', security: '' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-k8s-'));
    db = await createTestDatabase();
    const agentKey = (await run(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'])).stdout.trim();
    const policyFile = await file(dir, 'policy.yaml', POLICY);
    cp = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey, SLUICE_POLICY_FILE: policyFile });
    upstream = await startUpstream(dir);
    await seed(upstream.kube);
    const listenerTls = await testCertificate();
    agentCa = await file(dir, 'agent-cert.pem', listenerTls.cert);
    const agentKeyFile = await file(dir, 'agent-key.pem', listenerTls.key);
    const port = await freePort();
    server = `https://127.0.0.1:${port}`;
    agent = await startAgent({
      agentId: 'k8s-agent',
      grpcPort: cp.grpcPort,
      agentKey,
      env: { SLUICE_AGENT_STATE_DIR: join(dir, 'agent-state'), SLUICE_AGENT_ADMIN_LISTEN: 'off' },
      yaml: `
connections:
  - name: dev-cluster
    protocol: kubernetes
    listen: "127.0.0.1:${port}"
    tls: { certFile: "${agentCa}", keyFile: "${agentKeyFile}" }
    target: ${upstream.yaml}
    impersonate: { enabled: ${REAL_CLUSTER ? 'false' : 'true'} }
    recording: { stdin: true }
`,
    });
    await agent.waitForLog((line) => line.msg === 'kubernetes connection listening', 30_000);
    adminToken = await devToken(cp, 'demo-admin');
    tokens.agent = await devToken(cp, 'demo-agent');
    tokens.operator = await devToken(cp, 'demo-approver');
    tokens.security = adminToken;
    for (const who of ['agent', 'operator', 'security'] as const) {
      // The kubeconfig comes from the CLI, as an operator would make it.
      const tokenFile = await file(dir, `${who}.token`, tokens[who]);
      const { stdout } = await run(process.execPath, [
        CONTROL_PLANE_CLI,
        'kubeconfig',
        'dev-cluster',
        '--server',
        server,
        '--ca-file',
        agentCa,
        '--token-file',
        tokenFile,
        '--namespace',
        NS,
      ]);
      kubeconfigs[who] = await file(dir, `${who}.kubeconfig`, stdout);
    }
    // Wait until the agent's link is up and decisions flow.
    let last = '';
    await waitFor(async () => {
      const result = await kubectl('agent', 'get', 'pods').catch((e: unknown) => {
        last = (e as { stderr?: string }).stderr ?? (e as Error).message;
        return undefined;
      });
      return result?.stdout.includes(POD) ? true : undefined;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; kubectl said: ${last}`);
    });
  });

  afterAll(async () => {
    await agent.stop();
    await cp.process.stop();
    await upstream.close();
    await db.drop();
  });

  function env(who: keyof typeof kubeconfigs): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: join(dir, `home-${who}`),
      KUBECONFIG: kubeconfigs[who],
      KUBECACHEDIR: join(dir, `cache-${who}`),
    };
  }

  async function kubectl(who: keyof typeof kubeconfigs, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run('kubectl', args, { env: env(who), timeout: 60_000 });
  }

  async function kubectlWithInput(
    who: keyof typeof kubeconfigs,
    input: string,
    ...args: string[]
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn('kubectl', args, { env: env(who) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  }

  function clientFor(who: keyof typeof kubeconfigs): KubeConfig {
    const kube = new KubeConfig();
    kube.loadFromOptions({
      clusters: [{ name: 'sluice', server, caFile: agentCa }],
      users: [{ name: who, token: tokens[who] }],
      contexts: [{ name: 'sluice', cluster: 'sluice', user: who, namespace: NS }],
      currentContext: 'sluice',
    });
    return kube;
  }

  async function events(principalName: string): Promise<EventJson[]> {
    const sessions = await getJson<{ id: string; principalName: string | null }[]>(
      `${cp.httpUrl}/api/v1/sessions?connection=dev-cluster`,
      adminToken,
    );
    const all: EventJson[] = [];
    for (const s of sessions.filter((x) => x.principalName === principalName)) {
      all.push(...(await getJson<EventJson[]>(`${cp.httpUrl}/api/v1/sessions/${s.id}/events`, adminToken)));
    }
    return all;
  }

  it('lets an AI agent list pods in default (kubectl get pods, Table)', async () => {
    const { stdout } = await kubectl('agent', 'get', 'pods');
    expect(stdout).toMatch(new RegExp(`^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\n(.*\\n)*${POD}\\s+1/1\\s+Running`));
  });

  it('refuses an AI agent other namespaces and all-namespace lists, with a Status kubectl prints', async () => {
    await expect(kubectl('agent', 'get', 'pods', '-n', 'kube-system')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Error from server \(Forbidden\): denied by policy: .*no rule matched/i) as unknown,
    });
    await expect(kubectl('agent', 'get', 'pods', '-A')).rejects.toMatchObject({ stderr: expect.stringMatching(/Forbidden/) as unknown });
  });

  it('refuses `kubectl delete pod` for an AI agent; the pod is untouched', async () => {
    const before = upstream.fake?.requests.length ?? 0;
    const result = kubectl('agent', 'delete', 'pod', POD, '--wait=false');
    await expect(result).rejects.toMatchObject({
      stderr: expect.stringMatching(/^Error from server \(Forbidden\): denied by policy: /m) as unknown,
    });
    const pods = await upstream.kube.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS });
    expect(pods.items.map((p) => p.metadata?.name)).toContain(POD);
    if (upstream.fake) expect(upstream.fake.requests.slice(before).some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('never shows Secrets to an AI agent', async () => {
    await expect(kubectl('agent', 'get', 'secret', SECRET, '-o', 'yaml')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Forbidden.*AI agents never read Secrets/) as unknown,
    });
  });

  it('masks Secret data for an operator (kubectl get secrets -o yaml), including the last-applied annotation', async () => {
    const { stdout } = await kubectl('operator', 'get', 'secrets', '-o', 'yaml');
    const b64 = Buffer.from(SECRET_VALUE).toString('base64');
    expect(stdout).not.toContain(b64);
    expect(stdout).not.toContain(SECRET_VALUE);
    expect(stdout).toContain(`password: ${Buffer.from('[redacted]').toString('base64')}`);
    const single = await kubectl('operator', 'get', 'secret', SECRET, '-o', 'jsonpath={.data.password}');
    expect(Buffer.from(single.stdout, 'base64').toString()).toBe('[redacted]');
    // Typed clients still decode the value (valid base64).
    const typed = await clientFor('operator').makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: NS, name: SECRET });
    expect(Buffer.from(typed.data?.['password'] ?? '', 'base64').toString()).toBe('[redacted]');
  });

  it('reveals Secret data only where policy allows k8s.secrets.reveal', async () => {
    const { stdout } = await kubectl('security', 'get', 'secret', SECRET, '-o', 'jsonpath={.data.password}');
    expect(Buffer.from(stdout, 'base64').toString()).toBe(SECRET_VALUE);
    const recorded = JSON.stringify(await events('Demo security admin'));
    expect(recorded).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });

  it('masks Secret data in watch streams too', async () => {
    const seen: unknown[] = [];
    const watch = new Watch(clientFor('operator'));
    const controller = await watch.watch(
      `/api/v1/namespaces/${NS}/secrets`,
      {},
      (_phase, object) => seen.push(object),
      () => undefined,
    );
    await waitFor(() => (seen.length > 0 ? true : undefined), 15_000, 'a watch event');
    controller.abort();
    expect(JSON.stringify(seen)).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(JSON.stringify(seen)).toContain(Buffer.from('[redacted]').toString('base64'));
  });

  /**
   * Resolves every pending exec approval until the kubectl command ends. kubectl may open more than
   * one exec request for one command (each is reviewed), so resolving only the first is not enough.
   */
  async function resolveExecUntilDone(running: Promise<unknown>, action: 'approve' | 'deny', comment: string): Promise<number> {
    const state = { done: false };
    void running.finally(() => (state.done = true));
    const resolved = new Set<string>();
    while (!state.done) {
      const list = await getJson<{ id: string; classes: string[] }[]>(`${cp.httpUrl}/api/v1/approvals?status=pending`, tokens.operator);
      for (const pending of list.filter((a) => a.classes.includes('k8s.pods.exec') && !resolved.has(a.id))) {
        const res = await fetch(`${cp.httpUrl}/api/v1/approvals/${pending.id}/${action}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json' },
          body: JSON.stringify({ comment }),
        });
        if (res.status === 200) resolved.add(pending.id);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return resolved.size;
  }

  it('holds exec for review: denied → a Status naming the approval, nothing reaches the apiserver', async () => {
    const before = upstream.fake?.requestsTo(`/api/v1/namespaces/${NS}/pods/${POD}/exec`).length ?? 0;
    const running = kubectlWithInput('agent', '', 'exec', POD, '--', 'echo', 'hi');
    expect(await resolveExecUntilDone(running, 'deny', 'no shells today')).toBeGreaterThan(0);
    const result = await running;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/denied: no shells today/);
    if (upstream.fake) expect(upstream.fake.requestsTo(`/api/v1/namespaces/${NS}/pods/${POD}/exec`)).toHaveLength(before);
  });

  it('holds exec for review: approved → the exec runs and is recorded', async () => {
    const running = kubectlWithInput('agent', 'echo approved-exec\nexit 0\n', 'exec', '-i', POD, '--', 'sh');
    expect(await resolveExecUntilDone(running, 'approve', 'one-off debugging')).toBeGreaterThan(0);
    const result = await running;
    expect(result.stdout).toBe('approved-exec\n');
    expect(result.code).toBe(0);
    const recorded = await waitFor(async () => {
      const list = await events('Demo AI agent');
      return list.some((e) => e.kind === 'terminal.ended') && list.some((e) => e.kind === 'approval.resolved') ? list : undefined;
    }, 20_000);
    expect(recorded.filter((e) => e.kind === 'approval.resolved').map((e) => e.payload['outcome'])).toContain('approved');
  });

  it('runs an allowed exec (kubectl exec -i … sh) and records it as a replayable asciicast', async () => {
    const result = await kubectlWithInput('operator', 'echo hello-from-exec\nexit 3\n', 'exec', '-i', POD, '--', 'sh');
    expect(result.stdout).toBe('hello-from-exec\n');
    expect(result.code).toBe(3);
    const recorded = await waitFor(async () => {
      const list = await events('Demo approver');
      return list.some((e) => e.kind === 'terminal.ended') ? list : undefined;
    }, 15_000);
    const started = recorded.find((e) => e.kind === 'terminal.started');
    expect(started?.payload['asciicast']).toMatchObject({ version: 2, width: 80, height: 24, command: 'sh' });
    const cast = [
      JSON.stringify(started?.payload['asciicast']),
      ...recorded
        .filter((e) => e.kind === 'terminal.output')
        .flatMap((e) => (e.payload['events'] as unknown[]).map((x) => JSON.stringify(x))),
    ];
    // A valid asciicast v2: header, then [time, code, data] with non-decreasing times.
    const lines = cast.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    expect(
      lines.every(
        ([t, code, data], i) =>
          typeof t === 'number' && ['o', 'i', 'r'].includes(code) && typeof data === 'string' && (i === 0 || t >= lines[i - 1]![0]),
      ),
    ).toBe(true);
    expect(
      lines
        .filter(([, c]) => c === 'o')
        .map(([, , d]) => d)
        .join(''),
    ).toBe('hello-from-exec\n');
    expect(
      lines
        .filter(([, c]) => c === 'i')
        .map(([, , d]) => d)
        .join(''),
    ).toContain('echo hello-from-exec');
    expect(recorded.find((e) => e.kind === 'terminal.ended')?.payload).toMatchObject({ status: { exitCode: 3 } });
    for (const chunk of recorded.filter((e) => e.kind === 'terminal.output'))
      expect(JSON.stringify(chunk.payload).length).toBeLessThanOrEqual(64 * 1024);
  });

  it('runs exec from @kubernetes/client-node over WebSocket', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(clientFor('operator')).exec(NS, POD, 'main', ['echo', 'via-client-node'], stdout, null, null, false, resolve).catch(reject);
    });
    expect(status.status).toBe('Success');
    expect(out).toBe('via-client-node\n');
  });

  it('refuses SPDY upgrades with a Status pointing to WebSockets', async () => {
    const { stdout } = await run('curl', [
      '-s',
      '--cacert',
      agentCa,
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${tokens.operator}`,
      '-H',
      'Connection: Upgrade',
      '-H',
      'Upgrade: SPDY/3.1',
      '-H',
      'X-Stream-Protocol-Version: v4.channel.k8s.io',
      `${server}/api/v1/namespaces/${NS}/pods/${POD}/exec?command=sh&stdin=true&stdout=true`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 400,
      message: expect.stringMatching(/WebSockets only/) as unknown,
    });
  });

  it('masks pod logs with the policy detectors and follows them (kubectl logs -f)', async () => {
    const { stdout } = await kubectl('agent', 'logs', POD, '--tail', '-1');
    expect(stdout).toContain('paid with **** **** **** 1111');
    expect(stdout).not.toContain(CARD);
    const child = spawn('kubectl', ['logs', '-f', POD], { env: env('agent') });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const ticks = (): number => out.split('\n').filter((l) => l.startsWith('tick-')).length;
    await waitFor(() => (ticks() > 0 ? true : undefined), 20_000, 'first log lines');
    const first = ticks();
    await waitFor(() => (ticks() > first ? true : undefined), 20_000, 'a followed log line');
    child.kill();
    expect(out).not.toContain(CARD);
  });

  it.skipIf(REAL_CLUSTER !== undefined)('talks to the apiserver with its own token and impersonation, never the client’s', async () => {
    const fake = upstream.fake!;
    const before = fake.requests.length;
    // kubectl --as sends Impersonate-User/Group: the agent must not pass them on.
    await kubectl('agent', 'get', 'pods', '--as', 'system:admin', '--as-group', 'system:masters').catch(() => undefined);
    await kubectl('agent', 'get', 'pods');
    const seen = fake.requests.slice(before).filter((r) => r.url.startsWith(`/api/v1/namespaces/${NS}/pods`));
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
      expect(String(request.headers['impersonate-user'])).toMatch(/^sluice:entra:/);
      expect(String(request.headers['impersonate-group'])).not.toMatch(/system:/);
    }
    expect(JSON.stringify(fake.requests.map((r) => r.headers))).not.toContain(tokens.agent);
    expect(seen.every((r) => String(r.headers['impersonate-group']) === 'sluice:ai-agents')).toBe(true);
  });

  it('records requests with their Kubernetes attributes, decisions and outcomes', async () => {
    const recorded = await events('Demo AI agent');
    const deleted = recorded.find((e) => e.kind === 'command.received' && e.payload['verb'] === 'delete');
    expect(deleted?.payload).toMatchObject({
      resource: 'pods',
      namespace: NS,
      name: POD,
      classes: expect.arrayContaining(['k8s.pods.delete']) as unknown,
    });
    const decided = recorded.find((e) => e.kind === 'command.decided' && e.payload['effect'] === 'review');
    expect(decided?.payload['ruleIds']).toEqual(['agents-exec-review']);
    expect(JSON.stringify(recorded)).not.toContain(tokens.agent);
    expect(JSON.stringify(recorded)).not.toContain(CARD);
  });

  it('rejects requests without a token as kubectl expects (401 Status)', async () => {
    const { stdout } = await run('curl', ['-s', '--cacert', agentCa, `${server}/api/v1/namespaces/${NS}/pods`]);
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  it('ends an open watch when the principal is revoked', async () => {
    const watch = new Watch(clientFor('operator'));
    let ended: unknown = 'still open';
    await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      {},
      () => undefined,
      (error: unknown) => (ended = error ?? 'ended'),
    );
    const sessions = await getJson<{ principalId: string; principalName: string | null }[]>(
      `${cp.httpUrl}/api/v1/sessions?connection=dev-cluster`,
      adminToken,
    );
    const principalId = sessions.find((s) => s.principalName === 'Demo approver')!.principalId;
    const revoke = await fetch(`${cp.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'offboarded' }),
    });
    expect(revoke.status).toBe(200);
    await waitFor(() => (ended !== 'still open' ? true : undefined), 5_000, 'the watch to end');
    await expect(kubectl('operator', 'get', 'pods')).rejects.toMatchObject({
      stderr: expect.stringMatching(/revoked|Forbidden/) as unknown,
    });
    expect(agent.child.exitCode).toBeNull();
  });
});
