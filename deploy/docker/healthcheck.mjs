// Container health check, copied into the images (HEALTHCHECK in deploy/docker/*.Dockerfile).
//   node healthcheck.mjs control-plane   GET /readyz on the REST port: database, agent link, push bus
//   node healthcheck.mjs agent           GET /readyz on the admin port (link to the control plane up,
//                                        recording has room, not draining), and every connection's
//                                        `listen` address accepts TCP
// Exit 0 = healthy, 1 = unhealthy (the reason on stderr). Reads the same environment as the app.
/* global fetch, AbortSignal -- Node 20 globals */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const TIMEOUT_MS = 2_000;
const env = process.env;

/** A bind address as something to dial: wildcard binds are reached on loopback. */
function dialHost(host) {
  if (host === undefined || host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

async function ready(host, port) {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`;
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((error) => {
    throw new Error(`${url}: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

/** host:port → [dialable host, port]. */
function splitAddress(address) {
  const at = address.lastIndexOf(':');
  return [dialHost(address.slice(0, at)), Number(address.slice(at + 1))];
}

async function controlPlane() {
  await ready(dialHost(env.SLUICE_HTTP_HOST), env.SLUICE_HTTP_PORT || '8080');
}

function tcpAccepts(host, port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`${host}:${port}: no answer within ${TIMEOUT_MS} ms`));
    });
    socket.once('error', (error) => reject(new Error(`${host}:${port}: ${error.code ?? error.message}`)));
  });
}

async function agent() {
  const admin = env.SLUICE_AGENT_ADMIN_LISTEN || '127.0.0.1:9464';
  if (admin !== 'off') await ready(...splitAddress(admin));
  const file = env.SLUICE_AGENT_CONFIG;
  if (!file) return;
  const { parse } = await import('yaml');
  const config = parse(readFileSync(file, 'utf8')) ?? {};
  for (const connection of config.connections ?? []) await tcpAccepts(...splitAddress(String(connection.listen)));
}

const checks = { 'control-plane': controlPlane, agent };
const check = checks[process.argv[2]];
if (!check) {
  process.stderr.write('usage: node healthcheck.mjs control-plane|agent\n');
  process.exit(2);
}
try {
  await check();
} catch (error) {
  process.stderr.write(`unhealthy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
