// Recorded text (statements, reasons, comments) comes from clients and agents: printed raw, an
// escape sequence in it could rewrite the auditor's terminal, and bidirectional-override characters
// could make a statement read differently from what ran ("Trojan Source"). Everything printed as
// text goes through these.

// C0 controls except TAB and LF, DEL, C1 controls, and the Unicode bidi controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

function escapeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text safe to print, newlines and tabs kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Text safe to print on one line: newlines and tabs shown as \n and \t. */
export function oneLine(text: string): string {
  return terminalSafe(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** One line, cut to `max` characters (with an ellipsis). */
export function clip(text: string, max: number): string {
  const line = oneLine(text);
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 1))}…`;
}
