import { describe, expect, it } from 'vitest';
import {
  MAX_QUERY_KEYS,
  MAX_QUERY_VALUE_CHARS,
  httpCommandFacts,
  isForwardablePath,
  methodOverrides,
  parseRequestTarget,
  type RequestTarget,
} from './http-request-facts.js';

function target(url: string): RequestTarget {
  const parsed = parseRequestTarget(url);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('HTTP request facts', () => {
  it('gives the class http.<METHOD>, the raw path, the decoded query and the content type', () => {
    const facts = httpCommandFacts('delete', target('/admin/users/1?force=true&tag=a&tag=b'), 'application/json');
    expect(facts.classes).toEqual(['http.DELETE']);
    expect(facts.http).toEqual({
      method: 'DELETE',
      path: '/admin/users/1',
      query: { force: 'true', tag: 'a,b' },
      contentType: 'application/json',
    });
    expect(facts.text).toBe('DELETE /admin/users/1?force=true&tag=a&tag=b');
  });

  it('keeps the path exactly as sent (encoded letters too), and decodes the query', () => {
    expect(target('/adm%69n/x').rawPath).toBe('/adm%69n/x');
    expect(target('/a?b=%2F').query).toEqual({ b: '/' });
  });

  it('refuses paths servers read differently: dot segments, doubled slashes, backslashes, encoded separators', () => {
    for (const path of [
      '/a/../b',
      '/a/./b',
      '/%2e%2e/x',
      '/a/%2E/b',
      '//a',
      '/a//b',
      '/a\\b',
      '/a;x=1',
      '/a%2fb',
      '/a%5Cb',
      '/a%25',
      '/a%3Bb',
      '/a%00',
      '/a%zz',
    ]) {
      expect({ path, forwarded: isForwardablePath(path) }).toEqual({ path, forwarded: false });
      expect(parseRequestTarget(path)).toBe('not-canonical');
    }
    for (const path of ['/', '/a', '/a/', '/adm%69n', '/a.json', '/a..b', '/%7Euser']) {
      expect({ path, forwarded: isForwardablePath(path) }).toEqual({ path, forwarded: true });
    }
  });

  it('gives the decision the query as sent, and keeps secret-looking values out of the text and the recorded query', () => {
    const t = target('/search?q=shoes&api_key=sk_live_abc&access_token=xyz&Signature=s1&include_private=true');
    expect(t.query).toEqual({ q: 'shoes', api_key: 'sk_live_abc', access_token: 'xyz', Signature: 's1', include_private: 'true' });
    const facts = httpCommandFacts('GET', t, undefined);
    expect(facts.text).not.toMatch(/sk_live_abc|xyz|s1/);
    expect(t.redactedQuery).not.toMatch(/sk_live_abc|xyz/);
  });

  it('makes the approved text name everything that changes what runs: overrides; a body or a redacted value binds to this request only', () => {
    const plain = httpCommandFacts('POST', target('/payouts/7'), 'application/json');
    expect(plain.text).toBe('POST /payouts/7');
    expect(httpCommandFacts('POST', target('/payouts/7'), undefined, ['DELETE']).text).toBe('POST /payouts/7 (as DELETE)');
    const withBody = httpCommandFacts('POST', target('/payouts/7'), 'application/json', [], true).text;
    expect(withBody).toMatch(/^POST \/payouts\/7 \(approval binds to this request only: [0-9a-f]{12}\)$/);
    expect(httpCommandFacts('POST', target('/payouts/7'), 'application/json', [], true).text).not.toBe(withBody);
    expect(httpCommandFacts('POST', target('/payouts/9?code=1111'), undefined).text).toMatch(
      /^POST \/payouts\/9\?code=\[redacted\] \(approval binds to this request only: /,
    );
  });

  it('refuses a query value too long to judge rather than cutting it short', () => {
    expect(parseRequestTarget(`/x?include=${'x'.repeat(MAX_QUERY_VALUE_CHARS + 1)},internal_notes`)).toBe('query-value-too-long');
    expect(typeof parseRequestTarget(`/x?include=${'x'.repeat(MAX_QUERY_VALUE_CHARS)}`)).toBe('object');
  });

  it('adds the class of every method override the request carries, and refuses one that is not a method', () => {
    const t = target('/users/1?_method=delete');
    const overrides = methodOverrides({ 'x-http-method-override': 'PATCH' }, t.query);
    expect(overrides).toEqual(['PATCH', 'DELETE']);
    const facts = httpCommandFacts('GET', t, undefined, overrides === 'invalid' ? [] : overrides);
    expect(facts.classes).toEqual(['http.GET', 'http.PATCH', 'http.DELETE']);
    expect(facts.fingerprint).not.toBe(httpCommandFacts('GET', t, undefined).fingerprint);
    expect(methodOverrides({ 'x-method-override': 'DELETE FROM' }, {})).toBe('invalid');
    expect(methodOverrides({}, {})).toEqual([]);
  });

  it('refuses absolute-form and asterisk targets, and floods of query keys', () => {
    expect(parseRequestTarget('http://evil.example/')).toBe('not-origin-form');
    expect(parseRequestTarget('*')).toBe('not-origin-form');
    const many = Array.from({ length: MAX_QUERY_KEYS + 1 }, (_, i) => `k${i}=1`).join('&');
    expect(parseRequestTarget(`/x?${many}`)).toBe('too-many-query-keys');
  });

  it('makes the cache fingerprint differ by method and path, not by query', () => {
    const a = httpCommandFacts('GET', target('/a?x=1'), undefined).fingerprint;
    expect(httpCommandFacts('GET', target('/a?x=2'), undefined).fingerprint).toBe(a);
    expect(httpCommandFacts('POST', target('/a'), undefined).fingerprint).not.toBe(a);
    expect(httpCommandFacts('GET', target('/b'), undefined).fingerprint).not.toBe(a);
  });

  it('does not let a __proto__ query key reach the prototype', () => {
    const t = target('/x?__proto__=1&constructor=2');
    expect(Object.getPrototypeOf(t.query)).toBe(Object.prototype);
    expect(t.query['constructor']).toBe('2');
  });
});
