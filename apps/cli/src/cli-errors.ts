/** Exit codes (docs/cli.md "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The request failed (HTTP error, network, refused login) or verify found tampering. */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** verify: intact, but the log is not complete (yet). */
  incomplete: 3,
} as const;

/** A failure the CLI explains in one line and exits with; never carries a token or secret. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** An HTTP error answer of the control plane, with the server's own message. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`);
    this.name = 'ApiError';
  }
}
