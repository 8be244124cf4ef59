// The command-class vocabulary of Kubernetes requests (docs/kubernetes.md, "Command classes").
// Pure. Each request carries exactly one class: policy's allow rules must cover every class of a
// command (libs/policy README, "match"), so one precise name per request keeps "allow get/list of
// pods" a one-liner, while the hierarchy keeps broad rules short (`k8s.secrets.*`, `k8s.*.list`).
import { onlyThisRequest } from '../http/http-request-facts.js';
import type { CommandFacts } from '../link/link-types.js';
import type { K8sRequestInfo } from './k8s-request-info.js';

/** Subresources named without a verb: they open a stream (exec, attach, portforward, proxy) or only read (log). */
const VERBLESS_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);
const DISCOVERY_PREFIXES = ['/api', '/apis', '/version', '/openapi'];

/** Asked as its own decision before Secret data is shown unmasked (docs/kubernetes.md, "Secrets"). */
export const REVEAL_SECRETS_CLASS = 'k8s.secrets.reveal';

/**
 * - `k8s.<resource>.<verb>`: `k8s.pods.list`, `k8s.secrets.get`, `k8s.deployments.delete`;
 * - `k8s.<resource>.<subresource>` for exec, attach, portforward, proxy and log: `k8s.pods.exec`, `k8s.pods.log`;
 * - `k8s.<resource>.<subresource>.<verb>` for the others: `k8s.pods.status.update`, `k8s.deployments.scale.patch`;
 * - `k8s.<resource>.proxy` for the legacy `/proxy/` prefix, `k8s.<resource>.unknown` for other methods;
 * - `k8s.discovery` for GET of /api, /apis, /version, /openapi and below; `k8s.nonresource.<method>` otherwise.
 */
export function k8sCommandClass(info: K8sRequestInfo): string {
  if (!info.isResourceRequest) {
    const discovery = info.verb === 'get' && DISCOVERY_PREFIXES.some((p) => info.path === p || info.path.startsWith(`${p}/`));
    return discovery ? 'k8s.discovery' : `k8s.nonresource.${info.verb || 'unknown'}`;
  }
  const { verb, resource, subresource } = info;
  if (verb === '') return `k8s.${resource}.unknown`;
  if (verb === 'proxy') return `k8s.${resource}.proxy`;
  if (subresource === '') return `k8s.${resource}.${verb}`;
  if (VERBLESS_SUBRESOURCES.has(subresource)) return `k8s.${resource}.${subresource}`;
  return `k8s.${resource}.${subresource}.${verb}`;
}

/** True when the response may carry Secret objects (their data is masked unless revealed). */
export function returnsSecrets(info: K8sRequestInfo): boolean {
  return info.isResourceRequest && info.apiGroup === '' && info.resource === 'secrets' && info.subresource === '';
}

/**
 * The facts sent for a decision. The fingerprint covers everything `match` reads (classes, and the
 * verb, group, resource, subresource, namespace and name), so a cached decision is never reused
 * for a request that differs in any of them.
 */
/**
 * The facts of a Kubernetes request. Its text is what an approval binds to, so it carries everything
 * that changes what runs: for exec/attach the argv as a JSON array and every other parameter
 * (container, stdin, tty…), for any request its whole query in a canonical order (a log's container,
 * a proxy's query), and a mark unique to the request when it has a body (see `onlyThisRequest`).
 */
export function k8sCommandFacts(
  method: string,
  rawUrl: string,
  info: K8sRequestInfo,
  execCommand: readonly string[],
  withBody = false,
): CommandFacts {
  const classes = [k8sCommandClass(info)];
  const query = canonicalQuery(rawUrl, execCommand.length > 0 ? ['command'] : []);
  const shown =
    execCommand.length > 0
      ? `${info.subresource} ${info.namespace}/${info.name} -- ${JSON.stringify(execCommand)}${query ? ` ?${query}` : ''}`
      : `${method.toUpperCase()} ${stripQuery(rawUrl)}${query ? `?${query}` : ''}`;
  const text = onlyThisRequest(shown, withBody);
  return {
    classes,
    tables: [],
    tablesWritten: [],
    functions: [],
    hasWhere: null,
    text,
    fingerprint: ['k8s', info.verb, info.apiGroup, info.resource, info.subresource, info.namespace, info.name, info.path, ...classes].join(
      '\u0000',
    ),
    kubernetes: {
      verb: info.verb,
      apiGroup: info.apiGroup,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
    },
  };
}

/** The query's parameters, decoded, sorted by name then value, re-encoded; `omit`ted names left out. */
function canonicalQuery(url: string, omit: readonly string[]): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const pairs = [...new URLSearchParams(url.slice(q + 1))].filter(([name]) => !omit.includes(name));
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
