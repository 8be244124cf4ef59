import { REDACTED_MARKER } from '@sluice/masking';
import { describe, expect, it } from 'vitest';
import { JsonMasker } from '../http/json-masker.js';
import { SECRET_DATA_MASK, SECRET_FIELD_RULES } from './k8s-secret-masking.js';

function mask(value: unknown): unknown {
  const masker = new JsonMasker({ rules: SECRET_FIELD_RULES, scanText: undefined, maxDepth: 64, maxValueChars: 16 });
  return JSON.parse(masker.push(JSON.stringify(value)) + masker.end());
}

const secret = {
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: {
    name: 'db',
    labels: { data: 'label-value' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"password":"hunter2"}}', owner: 'team-a' },
  },
  data: { password: Buffer.from('hunter2').toString('base64'), 'tls.key': 'LS0t' },
  stringData: { extra: 'plain' },
  type: 'Opaque',
};

describe('Secret masking', () => {
  it('masks data (as valid base64), stringData and the last-applied annotation of a Secret', () => {
    expect(Buffer.from(SECRET_DATA_MASK, 'base64').toString()).toBe(REDACTED_MARKER);
    expect(mask(secret)).toEqual({
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': REDACTED_MARKER, owner: 'team-a' },
      },
      data: { password: SECRET_DATA_MASK, 'tls.key': SECRET_DATA_MASK },
      stringData: { extra: REDACTED_MARKER },
    });
  });

  it('masks every shape a secrets response takes: list, watch event, Table with objects', () => {
    const out = JSON.stringify([
      mask({ kind: 'SecretList', items: [secret, secret] }),
      mask({ type: 'ADDED', object: secret }),
      mask({ kind: 'Table', rows: [{ cells: ['db', 'Opaque', 2], object: secret }] }),
    ]);
    expect(out).not.toContain(secret.data.password);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('plain');
  });

  it('never buffers a value it replaces (a 1 MiB Secret value is fine with a 16-character limit)', () => {
    expect(mask({ data: { big: 'A'.repeat(1_048_576) } })).toEqual({ data: { big: SECRET_DATA_MASK } });
  });
});
