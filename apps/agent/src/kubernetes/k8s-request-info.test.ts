import { describe, expect, it } from 'vitest';
import { k8sCommandClass, k8sCommandFacts, returnsSecrets } from './k8s-command-classes.js';
import { parseK8sRequest, type K8sRequestInfo } from './k8s-request-info.js';

function info(method: string, url: string): K8sRequestInfo {
  const parsed = parseK8sRequest(method, url);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('Kubernetes request attributes (as requestinfo.go derives them)', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', resource: 'pods', namespace: 'default', name: '' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=1&resourceVersion=5', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=false', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=yes', { verb: 'watch' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/namespaces/default/pods/web-1', { verb: 'get', name: 'web-1' }],
    ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-1', { verb: 'list', name: 'web-1' }],
    ['POST', '/api/v1/namespaces/default/pods', { verb: 'create' }],
    ['PUT', '/api/v1/namespaces/default/pods/web-1', { verb: 'update' }],
    ['PATCH', '/api/v1/namespaces/default/pods/web-1', { verb: 'patch' }],
    ['DELETE', '/api/v1/namespaces/default/pods/web-1', { verb: 'delete', name: 'web-1' }],
    ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection' }],
    ['GET', '/api/v1/namespaces/default/pods/web-1/log?follow=true', { verb: 'get', subresource: 'log' }],
    ['GET', '/api/v1/namespaces/default/pods/web-1/exec?command=sh', { verb: 'get', subresource: 'exec' }],
    ['POST', '/api/v1/namespaces/default/pods/web-1/exec?command=sh', { verb: 'create', subresource: 'exec' }],
    ['GET', '/apis/apps/v1/namespaces/prod/deployments/api', { apiGroup: 'apps', resource: 'deployments', namespace: 'prod', name: 'api' }],
    ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { verb: 'patch', subresource: 'scale' }],
    ['GET', '/api/v1/nodes', { verb: 'list', resource: 'nodes', namespace: '' }],
    ['GET', '/api/v1/namespaces/kube-system', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }],
    ['PUT', '/api/v1/namespaces/x/finalize', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'finalize' }],
    ['GET', '/api/v1/proxy/namespaces/default/pods/web-1/a/b', { verb: 'proxy', resource: 'pods', name: 'web-1', subresource: '' }],
  ] as const)('%s %s', (method, url, expected) => {
    expect(info(method, url)).toMatchObject({ isResourceRequest: true, ...expected });
  });

  it('decodes the path as the apiserver does before reading it: encoding cannot hide a resource', () => {
    expect(info('GET', '/api/v1/namespaces/default/secr%65ts/db')).toMatchObject({ resource: 'secrets', name: 'db' });
    expect(info('GET', '/api/v1/namespaces/default%2Fsecrets/db')).toMatchObject({ resource: 'secrets', namespace: 'default', name: 'db' });
  });

  it('refuses paths the router might read differently', () => {
    for (const url of [
      '/api/v1/namespaces/default/pods/../secrets',
      '/api/v1//namespaces/x/pods',
      '/api/v1/namespaces/./pods',
      '/api/v1/namespaces/a\\b/pods',
      '/api/v1/%ZZ',
      '/api/v1/namespaces/x/pods%00',
    ]) {
      expect(parseK8sRequest('GET', url), url).toBe('non-canonical-path');
    }
    expect(parseK8sRequest('GET', '/api/v1/namespaces/x/pods.secrets')).toBe('invalid-segment');
    expect(parseK8sRequest('GET', 'https://other/api')).toBe('not-origin-form');
  });

  it('treats discovery and other paths as non-resource requests', () => {
    expect(info('GET', '/api/v1')).toMatchObject({ isResourceRequest: false, verb: 'get' });
    expect(info('GET', '/apis/apps/v1')).toMatchObject({ isResourceRequest: false });
    expect(info('GET', '/version')).toMatchObject({ isResourceRequest: false });
  });
});

describe('Kubernetes command classes', () => {
  const classOf = (method: string, url: string): string => k8sCommandClass(info(method, url));

  it('names resource and verb: one class per request, so an allow rule can cover it exactly', () => {
    expect(classOf('GET', '/api/v1/namespaces/default/pods')).toBe('k8s.pods.list');
    expect(classOf('GET', '/api/v1/namespaces/default/pods?watch=1')).toBe('k8s.pods.watch');
    expect(classOf('GET', '/api/v1/namespaces/default/secrets/db')).toBe('k8s.secrets.get');
    expect(classOf('DELETE', '/api/v1/namespaces/default/pods/x')).toBe('k8s.pods.delete');
    expect(classOf('DELETE', '/api/v1/namespaces/default/pods')).toBe('k8s.pods.deletecollection');
    expect(classOf('PATCH', '/apis/apps/v1/namespaces/p/deployments/api')).toBe('k8s.deployments.patch');
  });

  it('names exec, attach, portforward, proxy and log without a verb (GET and POST exec are the same thing)', () => {
    expect(classOf('GET', '/api/v1/namespaces/default/pods/x/exec?command=sh')).toBe('k8s.pods.exec');
    expect(classOf('POST', '/api/v1/namespaces/default/pods/x/exec?command=sh')).toBe('k8s.pods.exec');
    expect(classOf('POST', '/api/v1/namespaces/default/pods/x/attach')).toBe('k8s.pods.attach');
    expect(classOf('GET', '/api/v1/namespaces/default/pods/x/portforward')).toBe('k8s.pods.portforward');
    expect(classOf('GET', '/api/v1/namespaces/default/pods/x/log')).toBe('k8s.pods.log');
    expect(classOf('GET', '/api/v1/namespaces/default/services/x/proxy/metrics')).toBe('k8s.services.proxy');
    expect(classOf('GET', '/api/v1/proxy/namespaces/default/pods/x/a')).toBe('k8s.pods.proxy');
  });

  it('names other subresources with their verb', () => {
    expect(classOf('PUT', '/api/v1/namespaces/default/pods/x/status')).toBe('k8s.pods.status.update');
    expect(classOf('PATCH', '/apis/apps/v1/namespaces/p/deployments/api/scale')).toBe('k8s.deployments.scale.patch');
    expect(classOf('POST', '/api/v1/namespaces/default/pods/x/eviction')).toBe('k8s.pods.eviction.create');
  });

  it('marks discovery separately from other non-resource paths', () => {
    expect(classOf('GET', '/apis')).toBe('k8s.discovery');
    expect(classOf('GET', '/openapi/v3/api/v1')).toBe('k8s.discovery');
    expect(classOf('GET', '/healthz')).toBe('k8s.nonresource.get');
    expect(classOf('POST', '/api')).toBe('k8s.nonresource.post');
    expect(classOf('OPTIONS', '/api/v1/namespaces/default/pods')).toBe('k8s.pods.unknown');
  });

  it('knows which responses carry Secrets', () => {
    expect(returnsSecrets(info('GET', '/api/v1/secrets'))).toBe(true);
    expect(returnsSecrets(info('GET', '/api/v1/watch/namespaces/a/secrets'))).toBe(true);
    expect(returnsSecrets(info('GET', '/apis/example.com/v1/namespaces/a/secrets'))).toBe(false);
    expect(returnsSecrets(info('GET', '/api/v1/namespaces/a/configmaps'))).toBe(false);
  });

  it('fingerprints everything a policy match reads', () => {
    const a = k8sCommandFacts('GET', '/api/v1/namespaces/a/pods/x', info('GET', '/api/v1/namespaces/a/pods/x'), []).fingerprint;
    expect(k8sCommandFacts('GET', '/api/v1/namespaces/b/pods/x', info('GET', '/api/v1/namespaces/b/pods/x'), []).fingerprint).not.toBe(a);
    expect(k8sCommandFacts('GET', '/api/v1/namespaces/a/pods/y', info('GET', '/api/v1/namespaces/a/pods/y'), []).fingerprint).not.toBe(a);
    expect(
      k8sCommandFacts('GET', '/api/v1/namespaces/a/pods/x?pretty=1', info('GET', '/api/v1/namespaces/a/pods/x?pretty=1'), []).fingerprint,
    ).toBe(a);
    const exec = k8sCommandFacts('GET', '/api/v1/namespaces/a/pods/x/exec', info('GET', '/api/v1/namespaces/a/pods/x/exec'), [
      'sh',
      '-c',
      'id',
    ]);
    // What an approval binds to: the argv unambiguously, and every other parameter.
    expect(exec.text).toBe('exec a/x -- ["sh","-c","id"]');
    const execWith = (query: string) =>
      k8sCommandFacts('GET', `/api/v1/namespaces/a/pods/x/exec?${query}`, info('GET', `/api/v1/namespaces/a/pods/x/exec?${query}`), ['sh'])
        .text;
    expect(execWith('command=sh&stdout=true&container=main')).toBe('exec a/x -- ["sh"] ?container=main&stdout=true');
    expect(execWith('command=sh&stdout=true&container=main')).not.toBe(execWith('command=sh&stdin=true&tty=true&container=main'));
    expect(
      k8sCommandFacts(
        'GET',
        '/api/v1/namespaces/a/pods/x/log?tailLines=1&container=main',
        info('GET', '/api/v1/namespaces/a/pods/x/log'),
        [],
      ).text,
    ).toBe('GET /api/v1/namespaces/a/pods/x/log?container=main&tailLines=1');
    expect(k8sCommandFacts('POST', '/api/v1/namespaces/a/pods', info('POST', '/api/v1/namespaces/a/pods'), [], true).text).toMatch(
      /^POST \/api\/v1\/namespaces\/a\/pods \(approval binds to this request only: [0-9a-f]{12}\)$/,
    );
    expect(exec.kubernetes).toEqual({ verb: 'get', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'a', name: 'x' });
  });
});
