import { ApiClient, DEFAULT_SERVER, normaliseServer } from './api-client.js';
import type { CliIo } from './cli-io.js';
import { CliError, UsageError } from './cli-errors.js';
import type { CredentialsStore } from './credentials-store.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly help: string;
  /** The placeholder shown in help, for string options. */
  readonly value?: string;
}

/** One subcommand: `sluice <name> <args> [options]`. */
export interface CommandSpec {
  readonly name: string;
  readonly args?: string;
  readonly summary: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Names of the positional arguments, all required. */
  readonly positionals?: readonly string[];
  run(ctx: CommandContext): Promise<number>;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a command runs with: its parsed arguments, the terminal, and the way to the server. */
export class CommandContext {
  constructor(
    readonly io: CliIo,
    readonly store: CredentialsStore,
    private readonly values: OptionValues,
    readonly positionals: readonly string[],
  ) {}

  get json(): boolean {
    return this.values.json === true;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A required option. */
  need(name: string, why?: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required${why ? `: ${why}` : ''}`);
    return value;
  }

  positional(index: number): string {
    const value = this.positionals[index];
    if (value === undefined) throw new UsageError('missing argument');
    return value;
  }

  /** --timeout in milliseconds, when given. */
  timeoutMs(): number | undefined {
    const text = this.string('timeout');
    if (text === undefined) return undefined;
    const seconds = Number(text);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) throw new UsageError('--timeout: seconds, more than 0');
    return seconds * 1000;
  }

  /** --server, else $SLUICE_SERVER, else the server of the last login, else the local default. */
  async server(): Promise<string> {
    const chosen = this.string('server') ?? this.io.env.SLUICE_SERVER ?? (await this.store.currentServer()) ?? DEFAULT_SERVER;
    return normaliseServer(chosen, this.io.env);
  }

  /** A client with the token for the chosen server ($SLUICE_TOKEN wins over the stored one). */
  async api(): Promise<ApiClient> {
    const server = await this.server();
    const fromEnv = this.io.env.SLUICE_TOKEN;
    let token = fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
    if (token === undefined) {
      const stored = await this.store.get(server);
      if (!stored) throw new CliError(`not logged in to ${server}: run "sluice login --server ${server}" (or set SLUICE_TOKEN)`);
      if (stored.expiresAt !== null && Date.parse(stored.expiresAt) <= this.io.now().getTime()) {
        throw new CliError(`your token for ${server} expired at ${stored.expiresAt}: run "sluice login" again`);
      }
      token = stored.token;
    }
    return new ApiClient(server, token, this.io.fetch, this.timeoutMs());
  }

  /** Prints `data` as JSON with --json, else the human rendering. */
  print(data: unknown, human: () => string): void {
    this.io.stdout(this.json ? `${JSON.stringify(data, null, 2)}\n` : human());
  }
}
