import { clip } from './terminal-safe.js';

const MAX_CELL = 60;

/**
 * A plain-text table: a header row, then one row per item, columns padded to fit. Long cells are
 * cut, except in the first column (ids, which must stay whole to be copied).
 */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = rows.map((row) => headers.map((_h, i) => clip(String(row[i] ?? ''), i === 0 ? 1_000 : MAX_CELL)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines, keys aligned. */
export function fields(entries: readonly (readonly [string, string | number | boolean | null | undefined])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return (
    entries.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${clip(v === null || v === undefined ? '-' : String(v), 200)}`).join('\n') + '\n'
  );
}
