// The authorization attributes of a Kubernetes API request, derived from its URL and method exactly
// as the apiserver does (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go,
// RequestInfoFactory.NewRequestInfo), so that policy judges what the apiserver will execute.
// Pure: no sockets.
import { splitQuery } from '../http/http-request-facts.js';

export interface K8sRequestInfo {
  readonly isResourceRequest: boolean;
  /** Decoded URL path. */
  readonly path: string;
  /** get list watch create update patch delete deletecollection proxy — or, for non-resource requests, the lower-cased method. */
  readonly verb: string;
  readonly apiPrefix: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

export type K8sRequestProblem = 'not-origin-form' | 'non-canonical-path' | 'invalid-segment';

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Resource, subresource and group names are DNS labels/subdomains; anything else is refused (fail closed). */
const RESOURCE_SEGMENT = /^[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?$/i;
const GROUP_SEGMENT = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i;

/**
 * Parses `url` (origin-form). The path is percent-decoded as a whole before splitting, as Go's
 * `URL.Path` is (so `secr%65ts` is `secrets` and `%2F` is a separator, as the apiserver sees it).
 * Paths the apiserver's router might read differently — empty, `.` or `..` segments, backslashes,
 * control characters — are refused rather than guessed at.
 */
export function parseK8sRequest(method: string, url: string): K8sRequestInfo | K8sRequestProblem {
  if (!url.startsWith('/')) return 'not-origin-form';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = splitQuery(q < 0 ? '' : url.slice(q + 1));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return 'non-canonical-path';
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(path)) return 'non-canonical-path';
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const all = trimmed === '' ? [] : trimmed.split('/');
  if (all.some((s) => s === '' || s === '.' || s === '..')) return 'non-canonical-path';
  if (path !== '/' && /\/\/|^\/\//.test(path)) return 'non-canonical-path';

  const nonResource = (): K8sRequestInfo => ({
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  });

  let parts = all;
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] ?? '')) return nonResource();
  const apiPrefix = parts[0] ?? '';
  parts = parts.slice(1);
  let apiGroup = '';
  if (!GROUPLESS_API_PREFIXES.has(apiPrefix)) {
    if (parts.length < 3) return nonResource();
    apiGroup = parts[0] ?? '';
    if (!GROUP_SEGMENT.test(apiGroup)) return 'invalid-segment';
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] ?? '';
  parts = parts.slice(1);

  let verb: string;
  if (SPECIAL_VERBS.has(parts[0] ?? '')) {
    if (parts.length < 2) return 'invalid-segment';
    verb = parts[0] ?? '';
    parts = parts.slice(1);
  } else {
    verb = verbForMethod(method);
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }

  let resource = '';
  let name = '';
  let subresource = '';
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(verb)) subresource = parts[2] ?? '';
  if (parts.length >= 2) name = parts[1] ?? '';
  if (parts.length >= 1) resource = parts[0] ?? '';
  if (!RESOURCE_SEGMENT.test(resource) || (subresource !== '' && !RESOURCE_SEGMENT.test(subresource))) return 'invalid-segment';

  if (name === '' && verb === 'get') {
    verb = isWatch(query) ? 'watch' : 'list';
    const selected = exactNameSelector(query);
    if (selected !== undefined) name = selected;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  return { isResourceRequest: true, path, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name };
}

function verbForMethod(method: string): string {
  switch (method.toUpperCase()) {
    case 'POST':
      return 'create';
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

/**
 * `watch` as the apiserver's parameter codec reads it (Go strconv.ParseBool of the first value); a
 * value it cannot parse counts as a watch unless it is "false" or "0", as in requestinfo.go.
 */
function isWatch(query: readonly [string, string][]): boolean {
  const value = query.find(([k]) => k === 'watch')?.[1];
  if (value === undefined) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return !['false', '0'].includes(value.toLowerCase());
}

/** `fieldSelector=metadata.name=x` (or `==x`) among AND-ed terms: the request names one object. */
function exactNameSelector(query: readonly [string, string][]): string | undefined {
  const selector = query.find(([k]) => k === 'fieldSelector')?.[1];
  if (!selector || selector.includes('\\')) return undefined;
  for (const term of selector.split(',')) {
    const match = /^metadata\.name==?(.*)$/.exec(term.trim());
    if (match?.[1] && RESOURCE_SEGMENT.test(match[1].replace(/\./g, '-'))) return match[1];
  }
  return undefined;
}
