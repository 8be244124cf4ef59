// Secret data never leaves the agent unless policy allows `k8s.secrets.reveal` (docs/kubernetes.md,
// "Secrets"): `data` values are replaced by the base64 of the redaction marker (so typed clients
// still decode them), `stringData` values and the last-applied annotation (which repeats the data)
// by the marker itself.
import { REDACTED_MARKER } from '@sluice/masking';
import type { FieldRule } from '../http/json-field-rules.js';

export const SECRET_DATA_MASK = Buffer.from(REDACTED_MARKER, 'utf8').toString('base64');
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function rule(selectors: FieldRule['matcher'] & { kind: 'json-path' }, replacement: string): FieldRule {
  return { matcher: selectors, strategy: { kind: 'redact' }, apply: () => replacement, needsValue: false };
}

/**
 * Anywhere in a secrets response: a single Secret, a SecretList (`items[*]`), a watch event
 * (`object`), a Table with objects (`rows[*].object`).
 */
export const SECRET_FIELD_RULES: readonly FieldRule[] = [
  rule({ kind: 'json-path', selectors: [{ kind: 'descend' }, { kind: 'key', name: 'data' }, { kind: 'wildcard' }] }, SECRET_DATA_MASK),
  rule({ kind: 'json-path', selectors: [{ kind: 'descend' }, { kind: 'key', name: 'stringData' }, { kind: 'wildcard' }] }, REDACTED_MARKER),
  rule(
    {
      kind: 'json-path',
      selectors: [{ kind: 'descend' }, { kind: 'key', name: 'annotations' }, { kind: 'key', name: LAST_APPLIED }],
    },
    REDACTED_MARKER,
  ),
];
