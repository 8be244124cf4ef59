import { describe, expect, it } from 'vitest';
import { MAX_QUERY_KEYS, httpCommandFacts, parseRequestTarget, type RequestTarget } from './http-request-facts.js';

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

  it('keeps the path exactly as sent, so policy sees encodings and dot segments (and judges them non-canonical)', () => {
    expect(target('/adm%69n/../x').rawPath).toBe('/adm%69n/../x');
    expect(target('/a?b=%2F').query).toEqual({ b: '/' });
  });

  it('redacts secret-looking query values in the facts, the text and the recorded query', () => {
    const t = target('/search?q=shoes&api_key=sk_live_abc&access_token=xyz&Signature=s1');
    expect(t.query).toEqual({ q: 'shoes', api_key: '[redacted]', access_token: '[redacted]', Signature: '[redacted]' });
    const facts = httpCommandFacts('GET', t, undefined);
    expect(facts.text).not.toMatch(/sk_live_abc|xyz|s1/);
    expect(t.redactedQuery).not.toMatch(/sk_live_abc|xyz/);
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
