import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOnlyAccept } from './k8s-adapter.js';
import { TokenFile, impersonationHeaders } from './k8s-credentials.js';

const principal = {
  id: 'entra:t:o',
  kind: 'workload',
  displayName: 'A',
  groups: ['ai-agents', 'system:masters', 'bad,group', 'naïve'],
  roles: [],
  scopes: [],
  appId: '',
  groupOverage: false,
};

describe('impersonation', () => {
  it('impersonates the principal with prefixed names, so no claim becomes a system: identity', () => {
    const headers = impersonationHeaders({ enabled: true, userPrefix: 'sluice:', groupPrefix: 'sluice:', groups: true }, principal);
    expect(headers).toEqual({ 'impersonate-user': 'sluice:entra:t:o', 'impersonate-group': ['sluice:ai-agents', 'sluice:system:masters'] });
  });

  it('drops system: groups when there is no prefix, and never impersonates a system: user', () => {
    const headers = impersonationHeaders(
      { enabled: true, userPrefix: '', groupPrefix: '', groups: true },
      { ...principal, id: 'system:admin' },
    );
    expect(headers['impersonate-group']).toEqual(['ai-agents']);
    expect(headers['impersonate-user']).toBe('sluice:system:admin');
  });

  it('sends nothing when disabled, and no groups when groups are off', () => {
    expect(impersonationHeaders({ enabled: false, userPrefix: 'x:', groupPrefix: 'x:', groups: true }, principal)).toEqual({});
    expect(impersonationHeaders({ enabled: true, userPrefix: 'x:', groupPrefix: 'x:', groups: false }, principal)).toEqual({
      'impersonate-user': 'x:entra:t:o',
    });
  });
});

describe('service-account token file', () => {
  it('reads the token and keeps the last good one if the file disappears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    const path = join(dir, 'token');
    writeFileSync(path, 'tok-1\n');
    const file = new TokenFile(path);
    expect(await file.token()).toBe('tok-1');
    await expect(new TokenFile(join(dir, 'missing')).token()).rejects.toThrow(/ENOENT/);
  });
});

describe('Accept for masked responses', () => {
  it('keeps only JSON (with Table parameters), never protobuf or CBOR', () => {
    expect(jsonOnlyAccept('application/vnd.kubernetes.protobuf, application/json')).toBe('application/json');
    expect(jsonOnlyAccept('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toBe(
      'application/json;as=Table;v=v1;g=meta.k8s.io, application/json',
    );
    expect(jsonOnlyAccept('application/vnd.kubernetes.protobuf')).toBe('application/json');
    expect(jsonOnlyAccept('application/cbor, */*')).toBe('application/json');
    expect(jsonOnlyAccept(undefined)).toBe('application/json');
  });
});
