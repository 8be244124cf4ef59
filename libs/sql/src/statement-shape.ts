// The shape of a plain SQL statement: its text with integer literals taken out, so that statements
// differing only in those integers (`… WHERE aid = 41` / `… WHERE aid = 42`, what drivers without
// bind parameters and pgbench -M simple send) share one classification without parsing each again.
//
// Two texts with the same shape must be the same statement up to the values of integer constants,
// whatever PostgreSQL's lexer does with them. So a shape exists only for text whose lexing is
// trivial: printable ASCII (tab, CR, LF allowed) with no quote of any kind (' " `), no `$` (dollar
// quoting, parameters), no backslash, no comment (`--`, `/*`) and no `;` except one at the end. In
// such text every token is a keyword/identifier ([A-Za-z_][A-Za-z0-9_$]*), a number, an operator or
// punctuation; a run of 1–9 digits that touches neither an identifier character nor `.` on either
// side is a whole integer token that fits in int4 (so it is an Iconst wherever the grammar wants
// one; larger numbers, decimals, exponents and 0x/0o/0b forms stay in the shape as written). Every
// such run becomes U+0001, which the text itself cannot contain.
//
// No fact the classifier reports depends on the value of an integer constant (docs/policy.md: policy
// sees classes, tables, functions, has-where, names — never constants), so the classification of
// any text of a shape serves every text of that shape, with the statement's own text put back.

const PLAIN_TEXT = /^[\t\n\r\x20-\x21\x23\x25-\x26\x28-\x5b\x5d-\x5f\x61-\x7e]*$/;
const INTEGER_TOKEN = /(?<![A-Za-z0-9_$.])[0-9]{1,9}(?![A-Za-z0-9_$.])/g;
const INTEGER_MARK = '\u0001';

/** Texts longer than this get no shape (they are rarely repeated, and the scan is linear). */
export const MAX_SHAPE_TEXT_LENGTH = 4096;

/**
 * The shape of one plain statement, or null when the text has none (see above): it then must be
 * parsed. `text` is what the classifier reports as the statement's text (trimmed, without the `;`).
 */
export function statementShape(sql: string): { readonly shape: string; readonly text: string } | null {
  if (sql.length > MAX_SHAPE_TEXT_LENGTH || !PLAIN_TEXT.test(sql)) return null;
  if (sql.includes('--') || sql.includes('/*')) return null;
  let text = sql.trim();
  if (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
  if (text.length === 0 || text.includes(';')) return null;
  return { shape: text.replace(INTEGER_TOKEN, INTEGER_MARK), text };
}
