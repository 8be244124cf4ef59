// pods/exec over WebSocket as the kubelet/apiserver speak it (KEP-4006; k8s.io/apimachinery
// pkg/util/remotecommand): binary messages whose first byte is the channel — 0 stdin, 1 stdout,
// 2 stderr, 3 error (a Status JSON when the command ends), 4 resize — and, in v5.channel.k8s.io, a
// close message [255, channel]. The "container" runs a tiny shell good enough for contract tests.
import type { WebSocket, RawData } from 'ws';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface ExecRequest {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly tty: boolean;
}

export interface ExecObserver {
  /** Resize events the client sent, for assertions. */
  onResize?(width: number, height: number): void;
}

/** Runs `request.command` against the socket, then sends the status on channel 3 and closes. */
export function runExec(ws: WebSocket, request: ExecRequest, observer: ExecObserver = {}): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const write = (channel: number, text: string): void => {
    if (text === '' || ws.readyState !== ws.OPEN) return;
    // A TTY has no separate stderr.
    ws.send(Buffer.concat([Buffer.from([request.tty && channel === STDERR ? STDOUT : channel]), Buffer.from(text, 'utf8')]));
  };
  let finished = false;
  const finish = (exitCode: number): void => {
    if (finished) return;
    finished = true;
    const status =
      exitCode === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${request.command.join(' ')}], exit code ${exitCode}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
          };
    if (ws.readyState === ws.OPEN) {
      ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]));
      ws.close(1000);
    }
  };

  const shell = new MiniShell(
    request,
    (text) => write(STDOUT, text),
    (text) => write(STDERR, text),
    finish,
  );
  let pending = '';
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary || frame.length === 0) return;
    const channel = frame[0];
    const body = frame.subarray(1);
    if (channel === STDIN) {
      pending += body.toString('utf8');
      if (request.tty) write(STDOUT, body.toString('utf8').replace(/\r/g, '\r\n'));
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) shell.input(line);
    } else if (channel === RESIZE) {
      try {
        const size = JSON.parse(body.toString('utf8')) as { Width: number; Height: number };
        observer.onResize?.(size.Width, size.Height);
      } catch {
        // ignored, as the kubelet does
      }
    } else if (channel === CLOSE && v5 && body[0] === STDIN) {
      if (pending !== '') shell.input(pending);
      pending = '';
      shell.endOfInput();
    }
  });
  ws.on('close', () => {
    finished = true;
  });
  shell.start();
}

/**
 * `echo …`, `exit N`, `whoami`, `hostname`, `printf`, `cat` (stdin back), `false`, `true`,
 * `sh -c "a; b"` and an interactive `sh` reading lines from stdin.
 */
class MiniShell {
  constructor(
    private readonly request: ExecRequest,
    private readonly out: (text: string) => void,
    private readonly err: (text: string) => void,
    private readonly exit: (code: number) => void,
  ) {}

  private interactive = false;
  private catting = false;
  private lastStatus = 0;

  start(): void {
    const [program = '', ...args] = this.request.command;
    if ((program === 'sh' || program === '/bin/sh' || program === 'bash') && args[0] === '-c') {
      const code = this.script(args.slice(1).join(' '));
      this.exit(code ?? this.lastStatus);
      return;
    }
    if (program === 'sh' || program === '/bin/sh' || program === 'bash') {
      if (!this.request.stdin) {
        this.exit(0);
        return;
      }
      this.interactive = true;
      if (this.request.tty) this.out('# ');
      return;
    }
    if (program === 'cat' && args.length === 0) {
      if (!this.request.stdin) this.exit(0);
      else this.catting = true;
      return;
    }
    const code = this.run([program, ...args]);
    this.exit(code ?? this.lastStatus);
  }

  input(line: string): void {
    if (this.catting) {
      this.out(`${line}\n`);
      return;
    }
    if (!this.interactive) return;
    const code = this.script(line);
    if (code !== undefined) {
      this.exit(code);
      return;
    }
    if (this.request.tty) this.out('# ');
  }

  endOfInput(): void {
    if (this.interactive || this.catting) this.exit(this.lastStatus);
  }

  /** Runs `;`-separated commands; returns an exit code when the script exits. */
  private script(text: string): number | undefined {
    for (const part of text.split(/;|\n/)) {
      const words =
        part
          .trim()
          .match(/"[^"]*"|'[^']*'|\S+/g)
          ?.map((w) => w.replace(/^["']|["']$/g, '')) ?? [];
      if (words.length === 0) continue;
      if (words[0] === 'exit') return Number(words[1] ?? this.lastStatus) || 0;
      this.lastStatus = this.run(words) ?? 0;
    }
    return undefined;
  }

  private run(words: readonly string[]): number | undefined {
    const [program = '', ...args] = words;
    switch (program) {
      case 'echo':
        this.out(`${args.join(' ')}\n`);
        return 0;
      case 'printf':
        this.out((args[0] ?? '').replace(/\\n/g, '\n'));
        return 0;
      case 'whoami':
        this.out('root\n');
        return 0;
      case 'hostname':
        this.out(`${this.request.pod}\n`);
        return 0;
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'exit':
        return Number(args[0] ?? 0) || 0;
      default:
        this.err(`sh: ${program}: not found\n`);
        return 127;
    }
  }
}
