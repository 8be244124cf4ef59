import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port the OS just handed out on 127.0.0.1 (free at the time of the call). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type LogLine = Record<string, unknown> & { msg?: string };

/**
 * A child Node process whose stdout is JSON log lines (pino). Keeps every line so tests can wait
 * for one and assert on what was (or was not) logged.
 */
export class ManagedProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  private readonly exit: Promise<number | null>;
  private buffered = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buffered += chunk;
      const parts = this.buffered.split('\n');
      this.buffered = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') this.lines.push(line);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.stderr.push(chunk));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(script: string, args: readonly string[], env: Record<string, string | undefined>): ManagedProcess {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ManagedProcess(child);
  }

  /** Every stdout line parsed as JSON; lines that are not JSON are skipped. */
  logs(): LogLine[] {
    const parsed: LogLine[] = [];
    for (const line of this.lines) {
      try {
        parsed.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    return parsed;
  }

  /** Everything the process wrote, for assertions such as "the secret never appears". */
  output(): string {
    return [...this.lines, this.buffered, ...this.stderr].join('\n');
  }

  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return waitFor(
      () => {
        if (this.child.exitCode !== null) throw new Error(`process exited with ${this.child.exitCode}:\n${this.output()}`);
        return this.logs().find(match);
      },
      timeoutMs,
      'a matching log line',
    );
  }

  get exited(): Promise<number | null> {
    return this.exit;
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
