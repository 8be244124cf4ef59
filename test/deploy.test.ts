// Issue 9: deploying like the user will. Offline checks of the images, the compose quick start and
// every kustomize overlay (Docker and a cluster cannot run here), then the staged bundles — the very
// files the images copy, made with the Dockerfiles' `pnpm deploy` command — run end to end with
// environment configuration only, against the test PostgreSQL.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { ManagedProcess, createTestDatabase, freePort, waitFor, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../libs/policy/src/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

// `yaml` is a dependency of the apps, not of the root: borrow the agent's (the parser it reads its
// config file with).
const YAML = createRequire(join(ROOT, 'apps/agent/package.json'))('yaml') as {
  parse(text: string): unknown;
  stringify(value: unknown): string;
  parseAllDocuments(text: string): { toJS(): unknown }[];
};
const parseYaml = (text: string): unknown => YAML.parse(text);
const stringifyYaml = (value: unknown): string => YAML.stringify(value);
const parseAllDocuments = (text: string): { toJS(): unknown }[] => YAML.parseAllDocuments(text);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const obj = (value: unknown): Json => (isObject(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
/** Walks a path of keys and indexes; {} / '' / [] when anything is missing. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number') current = list(current)[step];
    else current = obj(current)[step];
  }
  return current;
}

/** Environment variable names whose values are secrets: never inline in a deployment file. */
const SECRET_NAME = /PASSWORD|SECRET|AGENT_KEYS?$|DATABASE_URL|TOKEN/;

// ---------------------------------------------------------------------------------------------------
describe('images (deploy/docker)', () => {
  interface Instruction {
    readonly op: string;
    readonly args: string;
  }
  /** Dockerfile instructions per stage (continuation lines joined, comments dropped). */
  function stages(path: string): { from: string; name: string; instructions: Instruction[] }[] {
    const lines = read(path)
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const result: { from: string; name: string; instructions: Instruction[] }[] = [];
    for (const line of lines) {
      const [op = '', ...rest] = line.split(/\s+/);
      const args = rest.join(' ');
      if (op === 'FROM') {
        const [from = '', , name = ''] = args.split(/\s+/);
        result.push({ from, name, instructions: [] });
      } else result.at(-1)?.instructions.push({ op, args });
    }
    return result;
  }
  const argDefault = (path: string, name: string): string | undefined => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(read(path))?.[1];

  for (const [app, file, uid] of [
    ['@sluice/control-plane', 'deploy/docker/control-plane.Dockerfile', '10001'],
    ['@sluice/agent', 'deploy/docker/agent.Dockerfile', '10002'],
  ] as const) {
    it(`${file}: builds and stages ${app} with pnpm, runs it non-root from Node LTS slim with a health check and OCI labels`, () => {
      const [build, runtime, ...more] = stages(file);
      expect(more).toEqual([]);
      expect(build?.name).toBe('build');
      expect(runtime?.name).toBe('runtime');

      // Node LTS slim, at least the version package.json requires.
      const base = argDefault(file, 'NODE_IMAGE') ?? '';
      expect(base).toMatch(/^node:(\d+)-bookworm-slim$/);
      const engines = (JSON.parse(read('package.json')) as { engines: { node: string }; packageManager: string }).engines.node;
      expect(Number(/^node:(\d+)/.exec(base)?.[1])).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(engines)?.[1]));
      expect([build?.from, runtime?.from]).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);

      const buildRuns = (build?.instructions ?? []).filter((i) => i.op === 'RUN').map((i) => i.args);
      const packageManager = (JSON.parse(read('package.json')) as { packageManager: string }).packageManager;
      expect(buildRuns).toContain(`npm install --global ${packageManager}`);
      expect(buildRuns.some((r) => /^pnpm install --frozen-lockfile\b/.test(r))).toBe(true);
      expect(buildRuns).toContain('pnpm build');
      expect(buildRuns).toContain(`pnpm --filter ${app} deploy --prod --offline /out`);

      const ops = runtime?.instructions ?? [];
      const all = (op: string) => ops.filter((i) => i.op === op).map((i) => i.args);
      // Nothing is installed or built in the runtime stage: it gets the staged bundle only.
      expect(all('RUN').join('\n')).not.toMatch(/\b(pnpm|npm|yarn|apt-get)\b/);
      expect(all('COPY')).toContain('--from=build /out/ ./');
      for (const copy of all('COPY').filter((c) => !c.startsWith('--from'))) {
        for (const source of copy.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, source)), source).toBe(true);
      }
      expect(all('USER')).toEqual([`${uid}:${uid}`]);
      expect(all('ENTRYPOINT')).toEqual(['["node", "dist/main.js"]']);
      const healthcheck = all('HEALTHCHECK');
      expect(healthcheck).toHaveLength(1);
      expect(healthcheck[0]).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs", "(control-plane|agent)"\]$/);
      const labels = all('LABEL').join(' ');
      for (const label of ['title', 'description', 'licenses', 'version', 'revision', 'source']) {
        expect(labels).toContain(`org.opencontainers.image.${label}=`);
      }
    });
  }

  it('the control-plane image defaults to production mode and listens on all interfaces', () => {
    const dockerfile = read('deploy/docker/control-plane.Dockerfile');
    expect(dockerfile).toMatch(/SLUICE_ENV=production/);
    expect(dockerfile).toMatch(/SLUICE_HTTP_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/SLUICE_GRPC_HOST=0\.0\.0\.0/);
    expect(dockerfile).not.toMatch(/SLUICE_GRPC_INSECURE|SLUICE_DEV_ISSUER/);
  });

  it('.dockerignore keeps local state, builds, dependencies and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.sluice', '**/.env', 'deploy/compose/certs']) {
      expect(ignored).toContain(pattern);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe('compose quick start (deploy/compose)', () => {
  const COMPOSE_FILE = join(DEPLOY, 'compose/docker-compose.yml');
  const compose = obj(parseYaml(readFileSync(COMPOSE_FILE, 'utf8')));
  const services = obj(compose.services);
  const service = (name: string): Json => obj(services[name]);
  const networksOf = (name: string): string[] => list(service(name).networks).map(str);
  const environment = (name: string): Json => obj(service(name).environment);

  it('puts the agent on a network it shares only with the demo target and the control plane, never on the control plane database network', () => {
    const networks = obj(compose.networks);
    expect(at(networks, 'control-plane-db', 'internal')).toBe(true);
    expect(at(networks, 'demo-target', 'internal')).toBe(true);
    expect(networksOf('control-plane-db')).toEqual(['control-plane-db']);
    expect(networksOf('demo-target')).toEqual(['demo-target']);
    expect(networksOf('control-plane').sort()).toEqual(['agent-link', 'control-plane-db']);
    expect(networksOf('agent').sort()).toEqual(['agent-link', 'demo-target']);
    // The agent's target is the service on the agent's private network, not the control plane's.
    const agentConfig = obj(parseYaml(read('deploy/compose/agent.yaml')));
    const target = at(agentConfig, 'connections', 0, 'target');
    expect(at(target, 'host')).toBe('demo-target');
    expect(networksOf('control-plane')).not.toContain('demo-target');
    expect(at(agentConfig, 'controlPlane', 'address')).toBe('control-plane:8443');
  });

  it('has no secret values inline: every password, key and issuer secret comes from .env, which .env.example lists', () => {
    const example = read('deploy/compose/.env.example');
    const listed = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const referenced = new Set([...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    expect([...referenced].filter((name) => !listed.has(name))).toEqual([]);
    // Secrets are empty in the example: no default credentials anywhere.
    for (const line of example.split('\n').filter((l) => SECRET_NAME.test(l.split('=')[0] ?? '') && !l.startsWith('#'))) {
      expect(line, line).toMatch(/^[A-Z_]+=$/);
    }
    let checked = 0;
    for (const [name, definition] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(obj(obj(definition).environment))) {
        if (!SECRET_NAME.test(variable) || variable.endsWith('_FILE')) continue;
        checked++;
        // Required interpolation: compose refuses to start without the value instead of using a default.
        expect(String(value), `${name}.${variable}`).toMatch(/\$\{[A-Z_]+:\?[^}]*\}/);
        expect(String(value).replace(/\$\{[^}]*\}/g, ''), `${name}.${variable}`).not.toMatch(/:[^/@]+@/);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(7);
  });

  it('runs the control plane with TLS on the agent link, the development issuer, the demo policy and its own database', () => {
    const env = environment('control-plane');
    expect(env.SLUICE_ENV).toBe('development');
    expect(env.SLUICE_DEV_ISSUER).toBe('true');
    expect(env.SLUICE_GRPC_INSECURE).toBeUndefined();
    expect(env.SLUICE_GRPC_TLS_CERT).toBe('/certs/control-plane.pem');
    expect(env.SLUICE_GRPC_TLS_KEY).toBe('/certs/control-plane-key.pem');
    expect(str(env.SLUICE_DATABASE_URL)).toMatch(/@control-plane-db:5432\/sluice$/);
    expect(list(service('control-plane').volumes)).toContain('../demo/demo-policy.yaml:/etc/sluice/policy.yaml:ro');
    expect(env.SLUICE_POLICY_FILE).toBe('/etc/sluice/policy.yaml');
    // The certificate is for the name the agent dials, and the agent trusts the CA that signed it.
    expect(list(service('certs').command)).toEqual(['/certs', 'control-plane']);
    expect(at(parseYaml(read('deploy/compose/agent.yaml')), 'controlPlane', 'tls', 'caFile')).toBe('/certs/ca.pem');
    expect(list(service('demo-target').volumes)).toEqual(
      expect.arrayContaining([
        '../demo/demo-target-init.sh:/docker-entrypoint-initdb.d/10-demo-target.sh:ro',
        '../demo/demo-customers.sql:/sluice-demo/demo-customers.sql:ro',
      ]),
    );
  });

  it('starts each service after what it needs, publishes on loopback only, and hardens the Sluice containers', () => {
    for (const [name, definition] of Object.entries(services)) {
      const s = obj(definition);
      for (const [dependency, condition] of Object.entries(obj(s.depends_on))) {
        expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
        const wanted = obj(services[dependency]).restart === 'no' ? 'service_completed_successfully' : 'service_healthy';
        expect(at(condition, 'condition'), `${name} → ${dependency}`).toBe(wanted);
      }
      for (const port of list(s.ports)) expect(str(port), name).toMatch(/^127\.0\.0\.1:/);
      // Long-running services have a health check: their own, or their image's HEALTHCHECK.
      if (s.restart !== 'no') expect(s.healthcheck !== undefined || s.build !== undefined, name).toBe(true);
    }
    // Every one-shot service is awaited by a long-running one, so `up --wait` does not fail on it.
    for (const [name, definition] of Object.entries(services)) {
      if (obj(definition).restart !== 'no') continue;
      const adopters = Object.values(services).filter((s) => at(s, 'depends_on', name, 'condition') === 'service_completed_successfully');
      expect(adopters.length, name).toBeGreaterThan(0);
    }
    for (const name of ['control-plane', 'agent']) {
      const s = service(name);
      expect(at(s, 'build', 'dockerfile')).toBe(`deploy/docker/${name}.Dockerfile`);
      expect(s.read_only).toBe(true);
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.security_opt).toEqual(['no-new-privileges:true']);
      expect(s.user).toBeUndefined(); // the images' non-root user
    }
  });

  const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!composePlugin)('`docker compose config` accepts it', async () => {
    const env = join(mkdtempSync(join(tmpdir(), 'sluice-compose-')), '.env');
    await run('sh', [join(DEPLOY, 'compose/make-env.sh'), env]);
    await run('docker', ['compose', '--env-file', env, '--file', COMPOSE_FILE, 'config', '--quiet']);
  });

  it('make-env.sh writes fresh values for every secret .env.example asks for, and never overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-env-'));
    const values = async (file: string): Promise<Map<string, string>> => {
      await run('sh', [join(DEPLOY, 'compose/make-env.sh'), file]);
      return new Map([...readFileSync(file, 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    };
    const first = await values(join(dir, 'a.env'));
    const second = await values(join(dir, 'b.env'));
    for (const [name, value] of first) {
      if (!SECRET_NAME.test(name)) continue;
      expect(value.length, name).toBeGreaterThanOrEqual(16);
      expect(second.get(name), name).not.toBe(value);
    }
    expect(first.get('SLUICE_AGENT_KEY')).toMatch(/^sak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    await expect(run('sh', [join(DEPLOY, 'compose/make-env.sh'), join(dir, 'a.env')])).rejects.toThrow(/exists/);
  });

  it('make-certs.sh signs a server certificate for the given names and keeps no CA key', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sluice-certs-')), 'certs');
    await run('sh', [join(DEPLOY, 'compose/make-certs.sh'), dir, 'control-plane', 'localhost']);
    expect(readdirSync(dir).sort()).toEqual(['ca.pem', 'control-plane-key.pem', 'control-plane.pem']);
    await run('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'control-plane.pem')]);
    const { stdout } = await run('openssl', [
      'x509',
      '-in',
      join(dir, 'control-plane.pem'),
      '-noout',
      '-ext',
      'subjectAltName,extendedKeyUsage',
    ]);
    expect(stdout).toContain('DNS:control-plane, DNS:localhost');
    expect(stdout).toContain('TLS Web Server Authentication');
    expect(readFileSync(join(dir, 'control-plane-key.pem'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('the demo rows and policy are the quick start demo (node deploy/demo/generate.mjs --check)', async () => {
    await run(process.execPath, [join(DEPLOY, 'demo/generate.mjs'), '--check']);
  });

  it('the demo policy and the production starter policy are valid policies', () => {
    for (const file of ['deploy/demo/demo-policy.yaml', 'deploy/kubernetes/overlays/production/policy.yaml']) {
      const loaded = parsePolicy(read(file), 'yaml');
      expect(loaded.ok ? [] : loaded.errors, file).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe('kubernetes (deploy/kubernetes)', () => {
  type K8sObject = Json & { kind: string; apiVersion: string; metadata: Json };
  const OVERLAYS = ['dev', 'production'];
  const rendered = new Map<string, K8sObject[]>();

  async function kustomize(dir: string): Promise<K8sObject[]> {
    const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 });
    return parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
  }

  beforeAll(async () => {
    for (const overlay of OVERLAYS) rendered.set(overlay, await kustomize(join(DEPLOY, 'kubernetes/overlays', overlay)));
    // The kubernetes-connection component, on a segment, from a copy (kustomize wants relative paths).
    const copy = mkdtempSync(join(tmpdir(), 'sluice-kustomize-'));
    cpSync(join(DEPLOY, 'kubernetes'), join(copy, 'kubernetes'), { recursive: true });
    mkdirSync(join(copy, 'kubernetes/fixture'));
    writeFileSync(
      join(copy, 'kubernetes/fixture/kustomization.yaml'),
      stringifyYaml({
        namespace: 'fixture',
        resources: ['../base/agent'],
        nameSuffix: '-cluster',
        components: ['../components/kubernetes-connection'],
      }),
    );
    rendered.set('kubernetes-connection', await kustomize(join(copy, 'kubernetes/fixture')));
    rmSync(copy, { recursive: true, force: true });
  }, 120_000);

  const objects = (overlay: string): K8sObject[] => rendered.get(overlay) ?? [];
  const ofKind = (overlay: string, kind: string): K8sObject[] => objects(overlay).filter((o) => o.kind === kind);
  const named = (overlay: string, kind: string, name: string): K8sObject => {
    const found = ofKind(overlay, kind).find((o) => o.metadata.name === name);
    if (!found) throw new Error(`${overlay}: no ${kind} ${name}`);
    return found;
  };
  const podSpec = (workload: K8sObject): Json => obj(at(workload, 'spec', 'template', 'spec'));
  const podLabels = (workload: K8sObject): Json => obj(at(workload, 'spec', 'template', 'metadata', 'labels'));
  const selects = (selector: unknown, labels: Json): boolean => Object.entries(obj(selector)).every(([k, v]) => labels[k] === v);
  const containers = (workload: K8sObject): Json[] =>
    [...list(podSpec(workload).initContainers), ...list(podSpec(workload).containers)].map(obj);

  /** Model class of each kind we ship, from @kubernetes/client-node (generated from Kubernetes' OpenAPI). */
  const MODELS: Record<string, string> = {
    'v1/Namespace': 'V1Namespace',
    'v1/ServiceAccount': 'V1ServiceAccount',
    'v1/ConfigMap': 'V1ConfigMap',
    'v1/Service': 'V1Service',
    'apps/v1/Deployment': 'V1Deployment',
    'policy/v1/PodDisruptionBudget': 'V1PodDisruptionBudget',
    'networking.k8s.io/v1/NetworkPolicy': 'V1NetworkPolicy',
    'networking.k8s.io/v1/Ingress': 'V1Ingress',
    'rbac.authorization.k8s.io/v1/Role': 'V1Role',
    'rbac.authorization.k8s.io/v1/RoleBinding': 'V1RoleBinding',
  };
  interface Attribute {
    readonly baseName: string;
    readonly type: string;
  }
  const modelAttributes = (type: string): readonly Attribute[] | undefined => {
    const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>)[type];
    return model?.getAttributeTypeMap?.();
  };

  /** Offline schema check: every field exists in the Kubernetes API model and has its type. */
  function schemaProblems(value: unknown, type: string, path: string): string[] {
    const wrong = (what: string) => [`${path}: expected ${what}, got ${JSON.stringify(value)}`];
    if (type === 'any' || type === 'object') return [];
    if (type === 'string' || type === 'Date') return typeof value === 'string' ? [] : wrong(type);
    if (type === 'number') return typeof value === 'number' && Number.isInteger(value) ? [] : wrong(type);
    if (type === 'boolean') return typeof value === 'boolean' ? [] : wrong(type);
    if (type === 'IntOrString') return typeof value === 'string' || typeof value === 'number' ? [] : wrong(type);
    const array = /^Array<(.+)>$/.exec(type);
    if (array)
      return Array.isArray(value)
        ? value.flatMap((item: unknown, i) => schemaProblems(item, array[1] ?? '', `${path}[${i}]`))
        : wrong('array');
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map)
      return isObject(value) ? Object.entries(value).flatMap(([k, v]) => schemaProblems(v, map[1] ?? '', `${path}.${k}`)) : wrong('map');
    const attributes = modelAttributes(type);
    if (!attributes) return [`${path}: no schema for ${type}`];
    if (!isObject(value)) return wrong(type);
    return Object.entries(value).flatMap(([key, child]) => {
      const attribute = attributes.find((a) => a.baseName === key);
      return attribute ? schemaProblems(child, attribute.type, `${path}.${key}`) : [`${path}.${key}: unknown field of ${type}`];
    });
  }

  it('every overlay renders, and every object matches the Kubernetes API schema offline', () => {
    for (const [overlay, list_] of rendered) {
      expect(list_.length, overlay).toBeGreaterThan(3);
      for (const o of list_) {
        const model = MODELS[`${o.apiVersion}/${o.kind}`];
        expect(model, `${overlay}: ${o.apiVersion} ${o.kind} is not a kind we expect to ship`).toBeDefined();
        expect(schemaProblems(o, model ?? '', `${overlay}/${o.kind}/${str(o.metadata.name)}`)).toEqual([]);
        expect(str(o.metadata.name), `${overlay}: ${o.kind}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }
    }
    // The checker itself: a misspelt field and a wrong type are caught.
    const deployment = named('production', 'Deployment', 'sluice-control-plane');
    expect(schemaProblems({ ...deployment, spec: { ...obj(deployment.spec), replica: 2 } }, 'V1Deployment', 'x')).toEqual([
      'x.spec.replica: unknown field of V1DeploymentSpec',
    ]);
    expect(schemaProblems({ ...deployment, spec: { ...obj(deployment.spec), replicas: '2' } }, 'V1Deployment', 'x')).toHaveLength(1);
  });

  it('the control plane: ≥2 replicas in production, a PodDisruptionBudget, probes, resources, and the migration init container', () => {
    const deployment = named('production', 'Deployment', 'sluice-control-plane');
    expect(at(deployment, 'spec', 'replicas')).toBeGreaterThanOrEqual(2);
    const pdb = named('production', 'PodDisruptionBudget', 'sluice-control-plane');
    expect(selects(at(pdb, 'spec', 'selector', 'matchLabels'), podLabels(deployment))).toBe(true);
    expect(at(pdb, 'spec', 'minAvailable')).toBeGreaterThanOrEqual(1);
    const [migrate] = list(podSpec(deployment).initContainers).map(obj);
    expect(at(migrate, 'command')).toEqual(['node', 'migrate.mjs']);
    expect(at(migrate, 'image')).toBe(at(podSpec(deployment), 'containers', 0, 'image'));
    const main = obj(at(podSpec(deployment), 'containers', 0));
    expect(at(main, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    expect(at(main, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    const env = new Map(list(main.env).map((e) => [str(at(e, 'name')), at(e, 'value')]));
    expect(env.get('SLUICE_ENV')).toBe('production');
    expect(env.has('SLUICE_GRPC_INSECURE')).toBe(false);
    expect(env.has('SLUICE_DEV_ISSUER')).toBe(false);
    // The dev overlay runs one replica with the development issuer (its signing key lives in the pod).
    const dev = named('dev', 'Deployment', 'sluice-control-plane');
    const devEnv = new Map(list(at(podSpec(dev), 'containers', 0, 'env')).map((e) => [str(at(e, 'name')), at(e, 'value')]));
    expect([at(dev, 'spec', 'replicas'), devEnv.get('SLUICE_ENV'), devEnv.get('SLUICE_DEV_ISSUER')]).toEqual([1, 'development', 'true']);
  });

  it('every workload runs non-root, read-only, without privilege escalation, with probes and resource requests', () => {
    for (const [overlay] of rendered) {
      for (const workload of ofKind(overlay, 'Deployment')) {
        const spec = podSpec(workload);
        const where = `${overlay}/${str(workload.metadata.name)}`;
        expect(at(spec, 'securityContext', 'runAsNonRoot'), where).toBe(true);
        expect(at(spec, 'securityContext', 'runAsUser'), where).toBeGreaterThan(0);
        expect(at(spec, 'securityContext', 'seccompProfile', 'type'), where).toBe('RuntimeDefault');
        for (const container of containers(workload)) {
          const c = `${where}/${str(container.name)}`;
          expect(at(container, 'securityContext', 'allowPrivilegeEscalation'), c).toBe(false);
          expect(at(container, 'securityContext', 'readOnlyRootFilesystem'), c).toBe(true);
          expect(at(container, 'securityContext', 'capabilities', 'drop'), c).toEqual(['ALL']);
          expect(at(container, 'securityContext', 'privileged') ?? false, c).toBe(false);
          expect(Object.keys(obj(at(container, 'resources', 'requests'))).sort(), c).toEqual(['cpu', 'memory']);
          expect(at(container, 'resources', 'limits', 'memory'), c).toBeDefined();
        }
        for (const container of list(spec.containers).map(obj)) {
          expect(container.readinessProbe, `${where} readiness`).toBeDefined();
          expect(container.livenessProbe, `${where} liveness`).toBeDefined();
        }
      }
    }
  });

  it('no Secret is rendered and no secret value is inline: secret variables come from secretKeyRef, files from secret volumes', () => {
    for (const [overlay, all] of rendered) {
      expect(
        all.filter((o) => o.kind === 'Secret'),
        overlay,
      ).toEqual([]);
      for (const workload of all.filter((o) => o.kind === 'Deployment')) {
        for (const container of containers(workload)) {
          for (const variable of list(container.env).map(obj)) {
            const name = str(variable.name);
            if (!SECRET_NAME.test(name) || name.endsWith('_FILE')) continue;
            expect(variable.value, `${overlay}: ${name}`).toBeUndefined();
            expect(at(variable, 'valueFrom', 'secretKeyRef', 'name'), `${overlay}: ${name}`).not.toBe('');
          }
        }
      }
      // ConfigMaps hold no credentials either.
      for (const configMap of all.filter((o) => o.kind === 'ConfigMap')) {
        const text = JSON.stringify(configMap.data ?? {});
        expect(text, `${overlay}: ${str(configMap.metadata.name)}`).not.toMatch(
          /sak_[0-9a-f]{16}\.|password:\s*[^{\s]|postgres:\/\/[^/\s]*:[^@\s]*@/,
        );
      }
    }
  });

  it('dev: make-secrets.sh creates exactly the Secrets and keys the overlay references', async () => {
    const { stdout } = await run('sh', [join(DEPLOY, 'kubernetes/overlays/dev/make-secrets.sh'), '--dry-run']);
    const made = parseAllDocuments(stdout)
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
    const provided = new Set(made.flatMap((o) => Object.keys({ ...obj(o.data) }).map((key) => `${o.kind}/${str(o.metadata.name)}/${key}`)));
    expect(made.every((o) => o.metadata.namespace === 'sluice-dev')).toBe(true);
    const needed = new Set<string>();
    const generated = new Set(ofKind('dev', 'ConfigMap').map((c) => str(c.metadata.name)));
    for (const workload of ofKind('dev', 'Deployment')) {
      for (const container of containers(workload)) {
        for (const variable of list(container.env)) {
          const ref = obj(at(variable, 'valueFrom', 'secretKeyRef'));
          if (ref.name) needed.add(`Secret/${str(ref.name)}/${str(ref.key)}`);
        }
      }
      for (const volume of list(podSpec(workload).volumes).map(obj)) {
        const secret = str(at(volume, 'secret', 'secretName'));
        const configMap = str(at(volume, 'configMap', 'name'));
        if (secret)
          expect(
            [...provided].some((p) => p.startsWith(`Secret/${secret}/`)),
            secret,
          ).toBe(true);
        if (configMap && !generated.has(configMap))
          expect(
            [...provided].some((p) => p.startsWith(`ConfigMap/${configMap}/`)),
            configMap,
          ).toBe(true);
      }
    }
    // Files the agent reads from its secret volume.
    const agentConfig = obj(parseYaml(read('deploy/kubernetes/overlays/dev/segments/demo/agent.yaml')));
    const passwordFile = str(at(agentConfig, 'connections', 0, 'credentials', 'password', 'file'));
    needed.add(`Secret/sluice-agent-demo/${passwordFile.replace('/etc/sluice/secrets/', '')}`);
    needed.add('Secret/sluice-agent-demo/agent-key');
    needed.add('Secret/sluice-agent-demo/mask-key');
    needed.add('ConfigMap/sluice-agent-link-ca/ca.crt');
    needed.add('Secret/sluice-agent-link-tls/tls.crt');
    needed.add('Secret/sluice-agent-link-tls/tls.key');
    expect([...needed].filter((n) => !provided.has(n))).toEqual([]);
    // The key the agent presents is one the control plane registers.
    const secret = (name: string, key: string) =>
      Buffer.from(
        str(
          at(
            made.find((o) => o.metadata.name === name),
            'data',
            key,
          ),
        ),
        'base64',
      ).toString('utf8');
    expect(secret('sluice-control-plane', 'bootstrap-agent-keys')).toBe(secret('sluice-agent-demo', 'agent-key'));
    expect(secret('sluice-control-plane', 'database-url')).toContain(`:${secret('sluice-postgres', 'password')}@sluice-postgres:5432/`);
  });

  it('agents: one Deployment per segment, selectors that pick their own pods, no API token unless the segment needs one', () => {
    for (const overlay of OVERLAYS) {
      const agents = ofKind(overlay, 'Deployment').filter((d) => podLabels(d)['app.kubernetes.io/component'] === 'agent');
      expect(agents.length, overlay).toBeGreaterThan(0);
      for (const agent of agents) {
        const segment = str(podLabels(agent)['sluice.dev/segment']);
        expect(segment, str(agent.metadata.name)).not.toBe('');
        expect(at(agent, 'spec', 'selector', 'matchLabels', 'sluice.dev/segment')).toBe(segment);
        expect(at(agent, 'spec', 'replicas')).toBe(1);
        expect(at(agent, 'spec', 'strategy', 'type')).toBe('Recreate');
        const account = named(overlay, 'ServiceAccount', str(podSpec(agent).serviceAccountName));
        expect(account.automountServiceAccountToken).toBe(false);
        expect(podSpec(agent).automountServiceAccountToken).toBe(false);
      }
      expect(ofKind(overlay, 'Role').concat(ofKind(overlay, 'ClusterRole'))).toEqual([]);
      // Services and NetworkPolicies select exactly one Deployment's pods.
      for (const selecting of [...ofKind(overlay, 'Service'), ...ofKind(overlay, 'NetworkPolicy')]) {
        const selector =
          selecting.kind === 'Service' ? at(selecting, 'spec', 'selector') : at(selecting, 'spec', 'podSelector', 'matchLabels');
        const matches = ofKind(overlay, 'Deployment').filter((d) => selects(selector, podLabels(d)));
        expect(
          matches.map((d) => d.metadata.name),
          `${overlay} ${selecting.kind} ${str(selecting.metadata.name)}`,
        ).toHaveLength(1);
      }
    }
    // With the kubernetes-connection component: a rotating token for the agent container only, and a
    // read-only Role bound to this segment's account only.
    const cluster = rendered.get('kubernetes-connection') ?? [];
    const account = cluster.find((o) => o.kind === 'ServiceAccount');
    expect(account?.automountServiceAccountToken).toBe(false);
    const deployment = cluster.find((o) => o.kind === 'Deployment') as K8sObject;
    const projected = list(podSpec(deployment).volumes).find((v) => at(v, 'name') === 'kubernetes-api');
    expect(at(projected, 'projected', 'sources', 0, 'serviceAccountToken', 'expirationSeconds')).toBeLessThanOrEqual(3600);
    const mounts = list(at(podSpec(deployment), 'containers', 0, 'volumeMounts')).map((m) => at(m, 'name'));
    expect(mounts).toContain('kubernetes-api');
    const binding = cluster.find((o) => o.kind === 'RoleBinding');
    expect(list(at(binding, 'subjects')).map((s) => [at(s, 'kind'), at(s, 'name')])).toEqual([
      ['ServiceAccount', str(account?.metadata.name)],
    ]);
    const role = cluster.find((o) => o.kind === 'Role');
    expect(at(binding, 'roleRef', 'name')).toBe(role?.metadata.name);
    const rules = list(at(role, 'rules')).map(obj);
    expect(rules.flatMap((r) => list(r.verbs)).sort()).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    expect(rules.flatMap((r) => list(r.verbs)).filter((v) => !['get', 'list', 'watch'].includes(str(v)))).toEqual([]);
    expect(rules.flatMap((r) => list(r.resources).map(str)).filter((r) => /secret|exec|\*/.test(r))).toEqual([]);
  });

  it('network policies: agents reach only DNS, the control plane and their targets; only the control plane reaches its database', () => {
    const labelsOf = (overlay: string, name: string): Json => podLabels(named(overlay, 'Deployment', name));
    const allowsEgressTo = (policy: K8sObject, labels: Json, port: number): boolean =>
      list(at(policy, 'spec', 'egress')).some((rule) => {
        const ports = list(at(rule, 'ports'));
        const portOk = ports.length === 0 || ports.some((p) => at(p, 'port') === port);
        const peers = list(at(rule, 'to'));
        return (
          portOk &&
          (peers.length === 0 ||
            peers.some((peer) => isObject(at(peer, 'podSelector')) && selects(at(peer, 'podSelector', 'matchLabels'), labels)))
        );
      });
    const allowsIngressFrom = (policy: K8sObject, labels: Json): boolean =>
      list(at(policy, 'spec', 'ingress')).some((rule) => {
        const peers = list(at(rule, 'from'));
        return peers.length === 0 || peers.some((peer) => selects(at(peer, 'podSelector', 'matchLabels'), labels));
      });
    for (const overlay of OVERLAYS) {
      for (const policy of ofKind(overlay, 'NetworkPolicy')) {
        expect(list(at(policy, 'spec', 'policyTypes')).sort(), str(policy.metadata.name)).toEqual(['Egress', 'Ingress']);
      }
      const agentPolicy = ofKind(overlay, 'NetworkPolicy').find((p) => str(p.metadata.name).startsWith('sluice-agent-'));
      if (!agentPolicy) throw new Error(`${overlay}: no agent NetworkPolicy`);
      // Every egress rule names its port(s): DNS, the agent link, or a target.
      for (const rule of list(at(agentPolicy, 'spec', 'egress'))) expect(list(at(rule, 'ports')).length).toBeGreaterThan(0);
      expect(allowsEgressTo(agentPolicy, labelsOf(overlay, 'sluice-control-plane'), 8443)).toBe(true);
      const cpPolicy = named(overlay, 'NetworkPolicy', 'sluice-control-plane');
      const agentPods = podLabels(
        ofKind(overlay, 'Deployment').find((d) => podLabels(d)['app.kubernetes.io/component'] === 'agent') as K8sObject,
      );
      expect(allowsIngressFrom(cpPolicy, agentPods)).toBe(true);
    }
    // dev: the control plane's database admits the control plane, not the agent; the demo target the reverse.
    const dbPolicy = named('dev', 'NetworkPolicy', 'sluice-postgres');
    const targetPolicy = named('dev', 'NetworkPolicy', 'demo-target');
    const agent = labelsOf('dev', 'sluice-agent-demo');
    const controlPlane = labelsOf('dev', 'sluice-control-plane');
    expect([allowsIngressFrom(dbPolicy, controlPlane), allowsIngressFrom(dbPolicy, agent)]).toEqual([true, false]);
    expect([allowsIngressFrom(targetPolicy, agent), allowsIngressFrom(targetPolicy, controlPlane)]).toEqual([true, false]);
    const agentPolicy = named('dev', 'NetworkPolicy', 'sluice-agent-demo');
    expect(allowsEgressTo(agentPolicy, labelsOf('dev', 'sluice-postgres'), 5432)).toBe(false);
    expect(allowsEgressTo(agentPolicy, labelsOf('dev', 'demo-target'), 5432)).toBe(true);
  });

  it('the agent configs point at the control plane Service, trust the mounted CA, and read credentials from mounted files', () => {
    for (const [overlay, segment] of [
      ['dev', 'demo'],
      ['production', 'orders'],
    ] as const) {
      const config = obj(parseYaml(read(`deploy/kubernetes/overlays/${overlay}/segments/${segment}/agent.yaml`)));
      expect(at(config, 'agent', 'segment')).toBe(segment);
      expect(at(config, 'controlPlane', 'address')).toBe('sluice-control-plane:8443');
      expect(at(config, 'controlPlane', 'insecure')).toBeUndefined();
      expect(at(config, 'controlPlane', 'tls', 'caFile')).toBe('/etc/sluice/agent-link-ca/ca.crt');
      const deployment = named(overlay, 'Deployment', `sluice-agent-${segment}`);
      const mounts = list(at(podSpec(deployment), 'containers', 0, 'volumeMounts')).map((m) => str(at(m, 'mountPath')));
      for (const connection of list(config.connections)) {
        for (const file of [
          at(connection, 'credentials', 'password', 'file'),
          at(connection, 'tls', 'certFile'),
          at(connection, 'target', 'caFile'),
        ].filter((f): f is string => typeof f === 'string')) {
          expect(
            mounts.some((m) => file.startsWith(`${m}/`)),
            `${overlay}: ${file}`,
          ).toBe(true);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe('staged bundles (pnpm deploy, as the images copy them)', () => {
  const work = mkdtempSync(join(tmpdir(), 'sluice-bundles-'));
  const CONTROL_PLANE = join(work, 'control-plane');
  const AGENT = join(work, 'agent');
  const databases: TestDatabase[] = [];
  const processes: ManagedProcess[] = [];
  let demoRole = '';

  beforeAll(async () => {
    // Exactly the Dockerfiles' staging commands, plus the files they COPY beside the bundle.
    await Promise.all([
      run('pnpm', ['--filter', '@sluice/control-plane', 'deploy', '--prod', '--offline', CONTROL_PLANE], { cwd: ROOT }),
      run('pnpm', ['--filter', '@sluice/agent', 'deploy', '--prod', '--offline', AGENT], { cwd: ROOT }),
    ]);
    for (const file of ['healthcheck.mjs', 'migrate.mjs']) cpSync(join(DEPLOY, 'docker', file), join(CONTROL_PLANE, file));
    cpSync(join(DEPLOY, 'docker/healthcheck.mjs'), join(AGENT, 'healthcheck.mjs'));
  }, 180_000);

  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const db of databases) await db.drop();
    if (demoRole !== '') await adminQuery(`DROP ROLE IF EXISTS ${demoRole}`);
    rmSync(work, { recursive: true, force: true });
  });

  async function adminQuery(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: process.env.SLUICE_TEST_ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  it('hold the apps with production dependencies only, and the contract package its .proto files', () => {
    for (const bundle of [CONTROL_PLANE, AGENT]) {
      expect(existsSync(join(bundle, 'dist/main.js'))).toBe(true);
      const store = readdirSync(join(bundle, 'node_modules/.pnpm'));
      for (const dev of ['vitest@', 'eslint@', 'prettier@', '@swc+core@', 'fast-check@', 'unplugin-swc@', '@types+pg@']) {
        expect(
          store.filter((entry) => entry.startsWith(dev)),
          dev,
        ).toEqual([]);
      }
      const contract = join(bundle, 'node_modules/@sluice/contract');
      expect(existsSync(join(contract, 'proto/sluice/agent/v1/agent_link.proto'))).toBe(true);
      expect(existsSync(join(contract, 'src'))).toBe(false);
    }
  });

  it('run end to end with environment configuration only: migrate, start, agent online, a masked query with a demo-agent token', async () => {
    const controlPlaneDb = await createTestDatabase('sluice_deploy_cp');
    const targetDb = await createTestDatabase('sluice_deploy_target');
    databases.push(controlPlaneDb, targetDb);

    // The compose quick start's own secrets and certificates.
    const envFile = join(work, 'compose.env');
    await run('sh', [join(DEPLOY, 'compose/make-env.sh'), envFile]);
    const env = new Map([...readFileSync(envFile, 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const secret = (name: string): string => env.get(name) ?? '';
    const certs = join(work, 'certs');
    await run('sh', [join(DEPLOY, 'compose/make-certs.sh'), certs, 'control-plane']);

    // The demo target, seeded by the same init script as the compose demo target (with a role of its own).
    demoRole = `demo_owner_${targetDb.name.slice(-12)}`;
    const target = new URL(targetDb.url);
    await run('sh', [join(DEPLOY, 'demo/demo-target-init.sh')], {
      env: {
        PATH: process.env.PATH,
        PGHOST: target.hostname,
        PGPORT: target.port,
        POSTGRES_USER: decodeURIComponent(target.username),
        POSTGRES_DB: targetDb.name,
        DEMO_OWNER_ROLE: demoRole,
        DEMO_OWNER_PASSWORD: secret('DEMO_OWNER_PASSWORD'),
        DEMO_CUSTOMERS_SQL: join(DEPLOY, 'demo/demo-customers.sql'),
      },
    });

    // The Kubernetes init container: migrations before the control plane starts.
    const migrate = await run(process.execPath, [join(CONTROL_PLANE, 'migrate.mjs')], {
      cwd: CONTROL_PLANE,
      env: { PATH: process.env.PATH, SLUICE_DATABASE_URL: controlPlaneDb.url },
    });
    expect((JSON.parse(migrate.stdout) as { applied: string[] }).applied.length).toBeGreaterThan(0);

    // The production overlay's config file, with its placeholders filled in.
    const configFile = join(work, 'sluice.yaml');
    writeFileSync(
      configFile,
      read('deploy/kubernetes/overlays/production/sluice.yaml')
        .replace('REPLACE-with-your-tenant-id', '72f988bf-86f1-41af-91ab-2d7cd011db47')
        .replace('REPLACE-with-the-sluice-api-client-id', '11111111-2222-3333-4444-555555555555'),
    );
    const [httpPort, grpcPort, demoPort] = [await freePort(), await freePort(), await freePort()];
    const controlPlane = ManagedProcess.start(join(CONTROL_PLANE, 'dist/main.js'), [], {
      SLUICE_ENV: 'development',
      SLUICE_HTTP_PORT: String(httpPort),
      SLUICE_GRPC_PORT: String(grpcPort),
      SLUICE_GRPC_TLS_CERT: join(certs, 'control-plane.pem'),
      SLUICE_GRPC_TLS_KEY: join(certs, 'control-plane-key.pem'),
      SLUICE_DATABASE_URL: controlPlaneDb.url,
      SLUICE_STATE_DIR: join(work, 'control-plane-state'),
      SLUICE_CONFIG_FILE: configFile,
      SLUICE_POLICY_FILE: join(DEPLOY, 'demo/demo-policy.yaml'),
      SLUICE_DEV_ISSUER: 'true',
      SLUICE_DEV_ISSUER_SECRET: secret('SLUICE_DEV_ISSUER_SECRET'),
      SLUICE_BOOTSTRAP_AGENT_KEYS: secret('SLUICE_AGENT_KEY'),
    });
    processes.push(controlPlane);
    await controlPlane.waitForLog((line) => str(line.msg).startsWith('control plane ready'), 60_000);
    expect(controlPlane.logs().some((line) => line.msg === 'database schema up to date')).toBe(true);
    const health = await run(process.execPath, [join(CONTROL_PLANE, 'healthcheck.mjs'), 'control-plane'], {
      env: { PATH: process.env.PATH, SLUICE_HTTP_PORT: String(httpPort) },
    });
    expect(health.stderr).toBe('');

    // The compose agent's config, pointed at this machine's ports and databases.
    const agentConfig = obj(parseYaml(read('deploy/compose/agent.yaml')));
    const connection = obj(at(agentConfig, 'connections', 0));
    const agentYaml = stringifyYaml({
      ...agentConfig,
      controlPlane: { address: `127.0.0.1:${grpcPort}`, tls: { caFile: join(certs, 'ca.pem'), serverName: 'control-plane' } },
      connections: [
        {
          ...connection,
          listen: `127.0.0.1:${demoPort}`,
          target: { ...obj(connection.target), host: target.hostname, port: Number(target.port), database: targetDb.name },
          credentials: { ...obj(connection.credentials), username: demoRole },
        },
      ],
    });
    const agentConfigFile = join(work, 'agent.yaml');
    writeFileSync(agentConfigFile, agentYaml);
    const adminListen = `127.0.0.1:${await freePort()}`;
    const agentEnv = {
      SLUICE_AGENT_ADMIN_LISTEN: adminListen,
      SLUICE_AGENT_CONFIG: agentConfigFile,
      SLUICE_AGENT_KEY: secret('SLUICE_AGENT_KEY'),
      SLUICE_AGENT_STATE_DIR: join(work, 'agent-state'),
      DEMO_OWNER_PASSWORD: secret('DEMO_OWNER_PASSWORD'),
    };
    const agent = ManagedProcess.start(join(AGENT, 'dist/main.js'), [], agentEnv);
    processes.push(agent);

    const token = async (clientId: string): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/dev-issuer/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: secret('SLUICE_DEV_ISSUER_SECRET'),
          scope: 'api://sluice/.default',
        }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const adminToken = await token('demo-admin');
    const online = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/api/v1/agents`, { headers: { authorization: `Bearer ${adminToken}` } });
        const agents = (await response.json()) as { id: string; status: string; connections: string[] }[];
        return agents.find((a) => a.id === 'compose-agent' && a.status === 'online');
      },
      30_000,
      'the agent online',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent:\n${agent.output()}\ncontrol plane:\n${controlPlane.output().slice(-4000)}`);
    });
    expect(online.connections).toEqual(['demo-postgres']);
    const agentHealth = await run(process.execPath, [join(AGENT, 'healthcheck.mjs'), 'agent'], {
      env: { PATH: process.env.PATH, SLUICE_AGENT_CONFIG: agentConfigFile, SLUICE_AGENT_ADMIN_LISTEN: adminListen },
    });
    expect(agentHealth.stderr).toBe('');

    // An AI agent's query: through the agent, masked by the demo policy; DROP refused.
    const raw = /^\s+\(1, '([^']*)', '([^']*)', '([^']*)', '([^']*)'/m.exec(read('deploy/demo/demo-customers.sql'));
    const [, fullName = '', email = '', card = '', ssn = ''] = raw ?? [];
    const client = new pg.Client({
      host: '127.0.0.1',
      port: demoPort,
      database: targetDb.name,
      user: 'mcp-server',
      password: await token('demo-agent'),
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ full_name: string; email: string; card_number: string; ssn: string }>(
        'SELECT full_name, email, card_number, ssn FROM customers WHERE id = 1',
      );
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row.full_name).toBe(fullName);
      expect(row.email).not.toBe(email);
      expect(row.card_number).not.toBe(card);
      expect(row.card_number.endsWith(card.slice(-4))).toBe(true);
      expect(row.ssn).not.toBe(ssn);
      await expect(client.query('DROP TABLE customers')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }

    // Nothing secret in either process's output.
    const output = controlPlane.output() + agent.output();
    for (const name of ['SLUICE_AGENT_KEY', 'SLUICE_DEV_ISSUER_SECRET', 'DEMO_OWNER_PASSWORD']) expect(output).not.toContain(secret(name));
    expect(output).not.toContain(adminToken);
  }, 180_000);

  it('refuses to start with the production overlay config until its placeholders are replaced', async () => {
    const certs = join(work, 'certs-production');
    await run('sh', [join(DEPLOY, 'compose/make-certs.sh'), certs, 'sluice-control-plane']);
    const controlPlane = ManagedProcess.start(join(CONTROL_PLANE, 'dist/main.js'), [], {
      SLUICE_ENV: 'production',
      SLUICE_HTTP_PORT: String(await freePort()),
      SLUICE_GRPC_PORT: String(await freePort()),
      SLUICE_GRPC_TLS_CERT: join(certs, 'control-plane.pem'),
      SLUICE_GRPC_TLS_KEY: join(certs, 'control-plane-key.pem'),
      SLUICE_DATABASE_URL: 'postgres://sluice@127.0.0.1:1/sluice',
      SLUICE_CONFIG_FILE: join(DEPLOY, 'kubernetes/overlays/production/sluice.yaml'),
    });
    processes.push(controlPlane);
    expect(await controlPlane.exited).toBe(2);
    expect(controlPlane.output()).toMatch(/tenants.*tenant id \(GUID\)/);
  }, 120_000);
});
