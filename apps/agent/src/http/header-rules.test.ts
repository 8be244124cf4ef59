import { describe, expect, it } from 'vitest';
import { bearerToken, clientResponseHeaders, upstreamRequestHeaders } from './header-rules.js';

describe('header rules', () => {
  it('never forwards the client Authorization, hop-by-hop fields, or fields named in Connection', () => {
    const out = upstreamRequestHeaders(
      {
        authorization: 'Bearer client-token',
        'proxy-authorization': 'Basic x',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        host: 'agent.local',
        expect: '100-continue',
        'x-forwarded-for': '6.6.6.6',
        forwarded: 'for=6.6.6.6',
        accept: 'application/json',
        cookie: 'a=b',
      },
      { drop: () => false, set: { authorization: 'Bearer upstream', host: 'api.internal' } },
    );
    expect(out).toEqual({ accept: 'application/json', cookie: 'a=b', authorization: 'Bearer upstream', host: 'api.internal' });
  });

  it('drops what the adapter names (its own credential header, Impersonate-*)', () => {
    const out = upstreamRequestHeaders(
      { 'x-api-key': 'client-supplied', 'impersonate-user': 'admin', 'impersonate-extra-scopes': 'x' },
      { drop: (n) => n === 'x-api-key' || n.startsWith('impersonate-'), set: { 'x-api-key': 'agent-key' } },
    );
    expect(out).toEqual({ 'x-api-key': 'agent-key' });
  });

  it('drops representation fields from a rewritten response only', () => {
    const upstream = {
      'content-length': '10',
      etag: '"a"',
      'content-encoding': 'gzip',
      'content-type': 'application/json',
      connection: 'close',
      'set-cookie': ['a=1', 'b=2'],
    };
    expect(clientResponseHeaders(upstream, true)).toEqual({ 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
    expect(clientResponseHeaders(upstream, false)).toMatchObject({ 'content-length': '10', etag: '"a"', 'content-encoding': 'gzip' });
  });

  it('reads only well-formed bearer tokens', () => {
    expect(bearerToken('Bearer abc.def-ghi_jkl~')).toBe('abc.def-ghi_jkl~');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
