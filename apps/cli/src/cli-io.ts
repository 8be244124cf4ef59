/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input (for `--token -`, `-f -`). */
  readStdin(): Promise<string>;
  /**
   * Streams bytes to a file (created 0600), or to standard output when `path` is undefined, with
   * backpressure; resolves when everything is written.
   */
  writeStream(path: string | undefined, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  now(): Date;
}
