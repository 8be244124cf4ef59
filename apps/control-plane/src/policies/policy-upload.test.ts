import { describe, expect, it } from 'vitest';
import { readPolicyUpload } from './policy-upload.js';

const YAML = 'rules:\n  - id: allow-all\n    effect: allow\n';

describe('readPolicyUpload', () => {
  it('reads raw YAML for every YAML media type, with parameters and any case', () => {
    for (const type of ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml', 'Application/YAML; charset=utf-8']) {
      expect(readPolicyUpload(type, YAML, 'tighten DDL')).toEqual({
        ok: true,
        upload: { text: YAML, format: 'yaml', comment: 'tighten DDL' },
      });
    }
  });

  it('refuses an empty YAML body', () => {
    expect(readPolicyUpload('application/yaml', '  \n', undefined)).toMatchObject({ ok: false, status: 400 });
    expect(readPolicyUpload('application/yaml', undefined, undefined)).toMatchObject({ ok: false, status: 400 });
  });

  it('answers 415 for other media types and for none', () => {
    expect(readPolicyUpload('text/plain', YAML, undefined)).toMatchObject({ ok: false, status: 415 });
    expect(readPolicyUpload(undefined, YAML, undefined)).toMatchObject({ ok: false, status: 415 });
    expect(readPolicyUpload('application/x-www-form-urlencoded', { rules: [] }, undefined)).toMatchObject({ ok: false, status: 415 });
  });

  it('takes a JSON object without `document` as the policy itself', () => {
    const policy = { rules: [{ id: 'allow-all', effect: 'allow' }] };
    const read = readPolicyUpload('application/json', policy, 'why');
    expect(read).toEqual({ ok: true, upload: { text: JSON.stringify(policy, null, 2), format: 'json', comment: 'why' } });
  });

  it('reads the JSON envelope with text (format required) or an object document', () => {
    expect(readPolicyUpload('application/json', { document: YAML, format: 'yaml', comment: ' because ' }, undefined)).toEqual({
      ok: true,
      upload: { text: YAML, format: 'yaml', comment: 'because' },
    });
    expect(readPolicyUpload('application/json', { document: YAML }, undefined)).toMatchObject({
      ok: false,
      status: 400,
      errors: [{ path: 'format' }],
    });
    expect(readPolicyUpload('application/json', { document: { rules: [] } }, undefined)).toEqual({
      ok: true,
      upload: { text: '{\n  "rules": []\n}', format: 'json', comment: undefined },
    });
    expect(readPolicyUpload('application/json', { document: { rules: [] }, format: 'yaml' }, undefined)).toMatchObject({
      ok: false,
      errors: [{ path: 'format' }],
    });
  });

  it('is strict about the envelope: a policy with a stray `document` key is not silently half-read', () => {
    const read = readPolicyUpload('application/json', { document: YAML, format: 'yaml', rules: [] }, undefined);
    expect(read).toMatchObject({ ok: false, status: 400 });
    expect(readPolicyUpload('application/json', { document: 42, format: 'json' }, undefined)).toMatchObject({
      ok: false,
      errors: [{ path: 'document' }],
    });
  });

  it('validates the comment: length, a repeated query parameter, and giving it twice', () => {
    expect(readPolicyUpload('application/yaml', YAML, 'x'.repeat(1001))).toMatchObject({ ok: false, errors: [{ path: 'comment' }] });
    expect(readPolicyUpload('application/yaml', YAML, ['a', 'b'])).toMatchObject({ ok: false, errors: [{ path: 'comment' }] });
    expect(readPolicyUpload('application/json', { document: YAML, format: 'yaml', comment: 'a' }, 'b')).toMatchObject({
      ok: false,
      errors: [{ path: 'comment' }],
    });
    expect(readPolicyUpload('application/yaml', YAML, '   ')).toMatchObject({ ok: true, upload: { comment: undefined } });
  });
});
