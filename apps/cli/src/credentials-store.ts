import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-errors.js';

/** One server's token, as `sluice login` stored it. */
export interface StoredCredential {
  readonly token: string;
  /** From the token's `exp` (or the token endpoint's expires_in); null when unknown. */
  readonly expiresAt: string | null;
  readonly obtainedAt: string;
  readonly method: 'token' | 'client_credentials';
  readonly clientId?: string;
  readonly tokenUrl?: string;
}

interface CredentialsFile {
  readonly version: 1;
  /** The server `sluice login` last logged in to: the default for later commands. */
  readonly currentServer?: string;
  /** Keyed by server base URL: a token is only ever sent to the server it was stored for. */
  readonly servers: Readonly<Record<string, StoredCredential>>;
}

const FILE_NAME = 'credentials.json';
const EMPTY: CredentialsFile = { version: 1, servers: {} };

/** The directory: $SLUICE_CONFIG_DIR, else $XDG_CONFIG_HOME/sluice, else ~/.config/sluice. */
export function configDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SLUICE_CONFIG_DIR) return env.SLUICE_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'sluice');
}

/**
 * Tokens on disk, readable by their owner only: the directory is created 0700, the file is written
 * 0600 (to a temporary file, then renamed, so a crash never leaves half a file), and a file that
 * others can read is refused rather than used.
 */
export class CredentialsStore {
  readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, FILE_NAME);
  }

  async currentServer(): Promise<string | undefined> {
    return (await this.read()).currentServer;
  }

  async get(server: string): Promise<StoredCredential | undefined> {
    return (await this.read()).servers[server];
  }

  async put(server: string, credential: StoredCredential): Promise<void> {
    const file = await this.read();
    await this.write({ version: 1, currentServer: server, servers: { ...file.servers, [server]: credential } });
  }

  /** Forgets a server's token; true when there was one. */
  async remove(server: string): Promise<boolean> {
    const file = await this.read();
    if (!(server in file.servers)) return false;
    const servers = Object.fromEntries(Object.entries(file.servers).filter(([s]) => s !== server));
    await this.write({ version: 1, ...(file.currentServer === server ? {} : { currentServer: file.currentServer }), servers });
    return true;
  }

  private async read(): Promise<CredentialsFile> {
    let text: string;
    try {
      const info = await stat(this.path);
      if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
        throw new CliError(
          `${this.path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}): run "chmod 600 ${this.path}" or log in again`,
        );
      }
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CredentialsFile>;
      if (parsed.version !== 1 || typeof parsed.servers !== 'object') throw new Error('unknown layout');
      return { version: 1, servers: parsed.servers, ...(parsed.currentServer ? { currentServer: parsed.currentServer } : {}) };
    } catch {
      throw new CliError(`${this.path} is not a credentials file this version understands: delete it and log in again`);
    }
  }

  private async write(file: CredentialsFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = join(this.dir, `.${FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
    // 'wx': never follow or reuse an existing path; mode applies to the file we create.
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(temporary, 0o600); // whatever the umask did
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
