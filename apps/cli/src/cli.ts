import { parseArgs } from 'node:util';
import { EXIT, CliError, UsageError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { CommandContext, type CommandSpec, type OptionSpec } from './command.js';
import { approvalsCommands } from './commands/approvals.command.js';
import { auditCommands } from './commands/audit.command.js';
import { loginCommands } from './commands/login.command.js';
import { policyCommands } from './commands/policy.command.js';
import { principalsCommands } from './commands/principals.command.js';
import { sessionsCommands } from './commands/sessions.command.js';
import { CredentialsStore, configDir } from './credentials-store.js';
import { terminalSafe } from './render/terminal-safe.js';

export const CLI_VERSION = '0.1.0';

export const COMMANDS: readonly CommandSpec[] = [
  ...loginCommands,
  ...approvalsCommands,
  ...sessionsCommands,
  ...auditCommands,
  ...policyCommands,
  ...principalsCommands,
];

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  server: { type: 'string', value: 'URL', help: 'Control plane base URL (default: $SLUICE_SERVER, the last login, http://127.0.0.1:8080)' },
  json: { type: 'boolean', help: 'Machine-readable output' },
  timeout: { type: 'string', value: 'SECONDS', help: 'Deadline per request (default 30)' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
};

/** Every string option of any command: to skip its value while finding the command words. */
const STRING_OPTIONS = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options ?? {})].flatMap((options) =>
    Object.entries(options).flatMap(([name, o]) => (o.type === 'string' ? [`--${name}`, ...(o.short ? [`-${o.short}`] : [])] : [])),
  ),
);

/** The words that name the command: the first non-option arguments, at most two. */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (STRING_OPTIONS.has(arg)) i++;
      continue;
    }
    words.push(arg);
  }
  return words;
}

function optionHelp(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(30)} ${o.help}`;
  });
}

function mainHelp(): string {
  const lines = COMMANDS.map((c) => `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(30)} ${c.summary}`);
  return [
    'usage: sluice <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'options for every command:',
    ...optionHelp(GLOBAL_OPTIONS),
    '',
    'environment: SLUICE_SERVER, SLUICE_TOKEN, SLUICE_CONFIG_DIR, SLUICE_CLIENT_SECRET, SLUICE_TOKEN_URL, SLUICE_ALLOW_HTTP (docs/cli.md)',
    '',
  ].join('\n');
}

function commandHelp(spec: CommandSpec): string {
  return [
    `usage: sluice ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`,
    '',
    spec.summary,
    ...(spec.options ? ['', 'options:', ...optionHelp(spec.options)] : []),
    '',
    'options for every command:',
    ...optionHelp(GLOBAL_OPTIONS),
    '',
  ].join('\n');
}

/** Runs one invocation; resolves with the exit code. Errors are explained on stderr, never thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (argv.includes('--version')) {
      io.stdout(`sluice ${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    const asked = argv.includes('--help') || argv.includes('-h');
    let words = commandWords(argv);
    const helpCommand = words[0] === 'help';
    if (helpCommand) words = commandWords(argv.slice(argv.indexOf('help') + 1));
    if (words.length === 0) {
      io.stdout(mainHelp());
      return asked || helpCommand ? EXIT.ok : EXIT.usage;
    }
    const spec = COMMANDS.find((c) => c.name === words.join(' ')) ?? COMMANDS.find((c) => c.name === words[0]);
    if (!spec) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0] ?? ''} `));
      if (group.length === 0 || words.length > 1) throw new UsageError(`unknown command "${words.join(' ')}" (sluice --help lists them)`);
      io.stdout(
        [
          `sluice ${words[0] ?? ''}:`,
          ...group.map((c) => `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(30)} ${c.summary}`),
          '',
        ].join('\n'),
      );
      return asked || helpCommand ? EXIT.ok : EXIT.usage;
    }
    if (helpCommand) {
      io.stdout(commandHelp(spec));
      return EXIT.ok;
    }
    const options = { ...GLOBAL_OPTIONS, ...spec.options };
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help === true) {
      io.stdout(commandHelp(spec));
      return EXIT.ok;
    }
    const positionals = parsed.positionals.slice(spec.name.split(' ').length);
    const expected = spec.positionals ?? [];
    if (positionals.length !== expected.length) {
      throw new UsageError(
        positionals.length < expected.length
          ? `missing ${expected
              .slice(positionals.length)
              .map((p) => `<${p}>`)
              .join(' ')} (usage: sluice ${spec.name} ${spec.args ?? ''})`
          : `unexpected argument "${positionals[expected.length] ?? ''}"`,
      );
    }
    const values = parsed.values as Readonly<Record<string, string | boolean | undefined>>;
    const ctx = new CommandContext(io, new CredentialsStore(configDir(io.env)), values, positionals);
    return await spec.run(ctx);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`sluice: ${terminalSafe(error.message)}\n`);
      return error.exitCode;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`sluice: ${terminalSafe((error as Error).message)}\n`);
      return EXIT.usage;
    }
    // Unexpected: say what, without a stack trace (and never a token: errors here carry none).
    io.stderr(`sluice: unexpected error: ${terminalSafe(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.failed;
  }
}
