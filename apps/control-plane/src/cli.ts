// Small operator commands that need no running control plane.
//   node dist/cli.js agent-key generate      prints a new agent key for SLUICE_BOOTSTRAP_AGENT_KEYS
//   node dist/cli.js kubeconfig <connection> prints a kubeconfig for a Kubernetes connection (docs/kubernetes.md)
//   node dist/cli.js exec-credential …       the kubectl exec credential plugin such a kubeconfig can use
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateAgentKey } from './agents/agent-key.js';

const USAGE = `usage:
  sluice agent-key generate
  sluice kubeconfig <connection> --server https://HOST:PORT [--ca-file PEM | --insecure-skip-tls-verify] [--namespace NS]
                    (--token TOKEN | --token-file PATH | --token-command "CMD")
  sluice exec-credential (--token-file PATH | --token-command "CMD")
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

/**
 * A kubeconfig whose cluster is the Sluice agent's listener and whose user presents a
 * Sluice-accepted token: static (`token`), re-read by kubectl (`tokenFile`), or fetched on demand
 * through the exec credential plugin below (`--token-command`, e.g. an `az account get-access-token`).
 */
function kubeconfig(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      'ca-file': { type: 'string' },
      'insecure-skip-tls-verify': { type: 'boolean', default: false },
      namespace: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      'token-command': { type: 'string' },
    },
  });
  const connection = positionals[0];
  if (!connection || positionals.length > 1) fail('kubeconfig: name one connection');
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(connection)) fail('kubeconfig: not a connection name');
  const server = values.server;
  if (!server || !/^https:\/\//.test(server)) fail('kubeconfig: --server must be the https:// address of the agent listener');
  const credentials = [values.token, values['token-file'], values['token-command']].filter((v) => v !== undefined);
  if (credentials.length !== 1) fail('kubeconfig: give exactly one of --token, --token-file, --token-command');
  if (values['ca-file'] && values['insecure-skip-tls-verify'])
    fail('kubeconfig: --ca-file and --insecure-skip-tls-verify exclude each other');

  const name = `sluice-${connection}`;
  const cluster: Record<string, unknown> = { server };
  if (values['ca-file']) cluster['certificate-authority-data'] = readFileSync(values['ca-file']).toString('base64');
  if (values['insecure-skip-tls-verify']) cluster['insecure-skip-tls-verify'] = true;
  const user: Record<string, unknown> = values.token
    ? { token: values.token }
    : values['token-file']
      ? { tokenFile: values['token-file'] }
      : {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: [process.argv[1] ?? 'cli.js', 'exec-credential', '--token-command', values['token-command']],
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, ...(values.namespace ? { namespace: values.namespace } : {}) } }],
    'current-context': name,
  };
  process.stdout.write(stringify(config));
}

/** Prints an ExecCredential (client.authentication.k8s.io/v1) with the token and, from its `exp`, when to ask again. */
function execCredential(args: string[]): void {
  const { values } = parseArgs({ args, options: { 'token-file': { type: 'string' }, 'token-command': { type: 'string' } } });
  let token: string;
  if (values['token-file']) token = readFileSync(values['token-file'], 'utf8').trim();
  else if (values['token-command'])
    token = execFileSync('/bin/sh', ['-c', values['token-command']], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  else fail('exec-credential: give --token-file or --token-command');
  if (token === '') fail('exec-credential: the token is empty');
  const status: Record<string, unknown> = { token };
  const exp = jwtExpiry(token);
  if (exp) status['expirationTimestamp'] = exp.toISOString().replace(/\.\d{3}Z$/, 'Z');
  process.stdout.write(`${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status })}\n`);
}

/** `exp` of an unverified JWT, only as a caching hint for kubectl (Sluice verifies the token itself). */
function jwtExpiry(token: string): Date | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'agent-key' && rest[0] === 'generate') {
  process.stdout.write(`${generateAgentKey().key}\n`);
} else if (command === 'kubeconfig') {
  kubeconfig(rest);
} else if (command === 'exec-credential') {
  execCredential(rest);
} else {
  fail('unknown command');
}
