import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCompactJws } from './compact-jws.js';
import { parseStrictJsonObject } from './strict-json.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('parseStrictJsonObject', () => {
  it('accepts any JSON object without repeated names, equal to JSON.parse (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }), (object) => {
        const text = JSON.stringify(object);
        const parsed = parseStrictJsonObject(text);
        expect(parsed).toEqual({ ok: true, value: JSON.parse(text) as unknown });
      }),
    );
  });

  it('finds a repeated name at any depth, with any spelling of the name (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.jsonValue(), fc.jsonValue(), fc.nat(3), (name, first, second, depth) => {
        // The same name with its first code unit written as a \u escape.
        const escaped = `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(name.slice(1)).slice(1)}`;
        let text = `{${JSON.stringify(name)}:${JSON.stringify(first)},${escaped}:${JSON.stringify(second)}}`;
        for (let level = 0; level < depth; level += 1) text = `{"level":[1,${text}]}`;
        expect(parseStrictJsonObject(text)).toEqual({ ok: false, reason: 'duplicate-key' });
      }),
    );
  });

  it('does not confuse equal values, or names in sibling objects, with repeated names', () => {
    expect(parseStrictJsonObject('{"a":"a","b":{"a":1},"c":[{"a":1},{"a":2}],"d":"\\"a\\":"}').ok).toBe(true);
  });

  it('refuses non-objects and invalid JSON', () => {
    expect(parseStrictJsonObject('[1]')).toEqual({ ok: false, reason: 'not-an-object' });
    expect(parseStrictJsonObject('null')).toEqual({ ok: false, reason: 'not-an-object' });
    expect(parseStrictJsonObject('{"a":1,}')).toEqual({ ok: false, reason: 'invalid-json' });
  });

  it('scans deeply nested input without recursion', () => {
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)},"a":1}`;
    expect(parseStrictJsonObject(deep)).toEqual({ ok: false, reason: 'duplicate-key' });
  });
});

describe('decodeCompactJws', () => {
  it('round-trips any header and claims object (property)', () => {
    const object = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 });
    fc.assert(
      fc.property(object, object, fc.uint8Array({ maxLength: 300 }), (header, payload, signature) => {
        const token = `${b64(header)}.${b64(payload)}.${Buffer.from(signature).toString('base64url')}`;
        fc.pre(token.length <= 16 * 1024);
        expect(decodeCompactJws(token)).toEqual({
          ok: true,
          value: {
            header: JSON.parse(JSON.stringify(header)) as unknown,
            payload: JSON.parse(JSON.stringify(payload)) as unknown,
            signatureLength: signature.length,
          },
        });
      }),
    );
  });

  it('never throws, and refuses anything that is not three canonical segments (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'Aa0_-.=+/ '.split('')) })), (input) => {
        const result = decodeCompactJws(input);
        if (result.ok) expect(input.split('.')).toHaveLength(3);
        else expect(['malformed', 'too-large']).toContain(result.code);
      }),
    );
  });

  it('caps the length before looking at the content', () => {
    expect(decodeCompactJws('.'.repeat(100), 99)).toMatchObject({ ok: false, code: 'too-large' });
    expect(decodeCompactJws(`${b64({ alg: 'RS256' })}.${b64({})}.`, 1000)).toMatchObject({ ok: true });
  });

  it('says which part is wrong without quoting it', () => {
    const result = decodeCompactJws(`${b64({ alg: 'RS256' })}.${Buffer.from('secret-looking-text').toString('base64url')}.`);
    expect(result).toMatchObject({ ok: false, code: 'malformed', message: 'The token claims are not valid JSON.' });
  });
});
