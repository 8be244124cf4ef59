import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialsStore, configDir } from './credentials-store.js';

const credential = { token: 'eyJ.token.sig', expiresAt: null, obtainedAt: '2026-01-31T10:00:00.000Z', method: 'token' as const };

describe('CredentialsStore', () => {
  it('writes the file 0600 in a 0700 directory, and keys tokens by server', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'sluice-cli-')), 'config');
    const store = new CredentialsStore(dir);
    await store.put('https://a.example', credential);
    await store.put('https://b.example', { ...credential, token: 'other' });
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await store.get('https://a.example'))?.token).toBe('eyJ.token.sig');
    expect((await store.get('https://b.example'))?.token).toBe('other');
    expect(await store.get('https://c.example')).toBeUndefined();
    expect(await store.currentServer()).toBe('https://b.example');
    expect(await store.remove('https://b.example')).toBe(true);
    expect(await store.remove('https://b.example')).toBe(false);
    expect(await store.currentServer()).toBeUndefined();
    expect(JSON.parse(await readFile(store.path, 'utf8'))).toMatchObject({ servers: { 'https://a.example': { token: 'eyJ.token.sig' } } });
  });

  it('refuses a credentials file that other users can read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const store = new CredentialsStore(dir);
    await store.put('https://a.example', credential);
    await chmod(store.path, 0o644);
    await expect(store.get('https://a.example')).rejects.toThrow(/can be read by other users \(mode 644\)/);
  });

  it('refuses a file it does not understand rather than guessing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    await writeFile(join(dir, 'credentials.json'), '{"servers": 1}', { mode: 0o600 });
    await expect(new CredentialsStore(dir).get('x')).rejects.toThrow(/not a credentials file/);
  });

  it('lives in $SLUICE_CONFIG_DIR, else the XDG config directory, else ~/.config/sluice', () => {
    expect(configDir({ SLUICE_CONFIG_DIR: '/etc/x', HOME: '/home/u' })).toBe('/etc/x');
    expect(configDir({ XDG_CONFIG_HOME: '/home/u/.cfg', HOME: '/home/u' })).toBe('/home/u/.cfg/sluice');
    expect(configDir({ HOME: '/home/u' })).toBe('/home/u/.config/sluice');
  });
});
