// The fake apiserver against the real kubectl on this machine: if kubectl is happy with it, the
// agent's Kubernetes tests exercise what kubectl really sends.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer } from './fake-apiserver.js';
import { testCertificate } from './test-certificate.js';

const run = promisify(execFile);

describe('fake apiserver with the real kubectl', () => {
  let fake: FakeApiServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const tls = await testCertificate();
    fake = await FakeApiServer.start({ tls });
    const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
    const kubeconfig = join(dir, 'config');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: fake.url, 'certificate-authority-data': Buffer.from(tls.cert).toString('base64') } }],
        users: [{ name: 'u', user: { token: fake.token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u', namespace: 'default' } }],
        'current-context': 'fake',
      }),
    );
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') };
    fake.store.create('pods', 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello; i=0; while true; do echo tick-$i; sleep 0.2; done'] },
        ],
      },
    });
    fake.store.create('secrets', 'default', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { password: 'hunter2' },
    });
  });

  afterAll(async () => {
    await fake.close();
  });

  const kubectl = async (...args: string[]): Promise<{ stdout: string; stderr: string }> => run('kubectl', args, { env, timeout: 30_000 });

  it('serves discovery and a Table for `kubectl get pods`', async () => {
    const { stdout } = await kubectl('get', 'pods');
    expect(stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb-1\s+1\/1\s+Running\s+0\s+\d+s\n$/);
  });

  it('serves objects for -o yaml, with Secret data base64 encoded', async () => {
    const { stdout } = await kubectl('get', 'secret', 'db', '-o', 'jsonpath={.data.password}');
    expect(Buffer.from(stdout, 'base64').toString()).toBe('hunter2');
  });

  it('refuses a wrong token with a Status kubectl prints', async () => {
    await expect(kubectl('get', 'pods', '--token', 'wrong')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Unauthorized/) as unknown,
    });
  });

  it('runs exec over WebSocket with exit codes on the status channel', async () => {
    const ok = await kubectl('exec', 'web-1', '--', 'echo', 'from', 'exec');
    expect(ok.stdout).toBe('from exec\n');
    const failed = kubectl('exec', 'web-1', '--', 'sh', '-c', 'echo partial; exit 3');
    await expect(failed).rejects.toMatchObject({ code: 3, stdout: 'partial\n' });
    const exec = fake.requestsTo('/api/v1/namespaces/default/pods/web-1/exec');
    expect(exec.at(-1)?.headers['sec-websocket-protocol']).toMatch(/v5\.channel\.k8s\.io/);
  });

  it('feeds stdin to an interactive shell (kubectl exec -i)', async () => {
    const child = spawn('kubectl', ['exec', '-i', 'web-1', '--', 'sh'], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('echo one\nwhoami\nexit 0\n');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toBe('one\nroot\n');
  });

  it('streams logs and follows them', async () => {
    const { stdout } = await kubectl('logs', 'web-1', '--tail', '1');
    expect(stdout).toMatch(/^tick-\d+\n$/);
    const child = spawn('kubectl', ['logs', '-f', 'web-1'], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out.split('\n').filter((l) => l.startsWith('tick-')).length, { timeout: 10_000 }).toBeGreaterThan(3);
    child.kill();
    expect(out.startsWith('hello\ntick-0\n')).toBe(true);
  });

  it('creates from a manifest and deletes, waiting for the deletion as kubectl does', async () => {
    // Typed commands (`kubectl create configmap`) send protobuf, which the fake does not decode;
    // manifests go through the dynamic client as JSON.
    const child = spawn('kubectl', ['create', '-f', '-'], { env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } }));
    expect(await new Promise((resolve) => child.once('exit', resolve)), err).toBe(0);
    expect((await kubectl('get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}')).stdout).toBe('fast');
    const { stdout } = await kubectl('delete', 'configmap', 'settings');
    expect(stdout).toBe('configmap "settings" deleted\n');
    await expect(kubectl('get', 'configmap', 'settings')).rejects.toMatchObject({ stderr: expect.stringMatching(/NotFound/) as unknown });
  });
});
