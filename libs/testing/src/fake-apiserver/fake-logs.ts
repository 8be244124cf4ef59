// pods/log for the fake apiserver. A fake container "runs" its `sh -c` script far enough to log:
// top-level `echo` lines once, then the `echo` lines of a `while true; do …; sleep N; done` loop every
// N seconds since the pod started (`$i` counts iterations), so `kubectl logs -f` sees new lines.
import type { KubeObject } from './fake-store.js';

export interface LogScript {
  readonly initial: readonly string[];
  readonly loop: { readonly lines: readonly string[]; readonly intervalMs: number } | undefined;
}

export function logScript(pod: KubeObject, containerName: string | undefined): LogScript {
  const containers =
    (pod['spec'] as { containers?: { name: string; command?: string[]; args?: string[] }[] } | undefined)?.containers ?? [];
  const container = containers.find((c) => c.name === containerName) ?? containers[0];
  const argv = [...(container?.command ?? []), ...(container?.args ?? [])];
  const c = argv.indexOf('-c');
  const script = c >= 0 ? (argv[c + 1] ?? '') : '';
  const loopMatch = /while\s+true\s*;\s*do\s+(.*?);?\s*done/s.exec(script);
  const before = loopMatch ? script.slice(0, loopMatch.index) : script;
  const echoes = (text: string): string[] =>
    text
      .split(/;|\n/)
      .map((p) => p.trim())
      .filter((p) => p.startsWith('echo '))
      .map((p) =>
        p
          .slice(5)
          .trim()
          .replace(/^["']|["']$/g, ''),
      );
  const sleep = loopMatch ? /sleep\s+(\d+(?:\.\d+)?)/.exec(loopMatch[1] ?? '') : null;
  return {
    initial: echoes(before),
    loop: loopMatch ? { lines: echoes(loopMatch[1] ?? ''), intervalMs: Math.max(50, Number(sleep?.[1] ?? '1') * 1000) } : undefined,
  };
}

/** The loop's lines for iteration `i`. */
export function loopLines(script: LogScript, i: number): string[] {
  return (script.loop?.lines ?? []).map((line) => line.replace(/\$\{?i\}?/g, String(i)));
}

/** How many loop iterations have run since the pod started. */
export function iterationsSince(script: LogScript, startedAt: number, now = Date.now()): number {
  if (!script.loop) return 0;
  return Math.max(0, Math.floor((now - startedAt) / script.loop.intervalMs) + 1);
}
