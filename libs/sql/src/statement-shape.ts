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
// such run becomes a mark the text itself cannot contain (U+0001–U+0005), one per range of values
// the grammar tells apart while parsing: gram.y checks FLOAT(p) (p < 1 is an error, 1–24 float4,
// 25–53 float8, > 53 an error) and ALTER … ALTER [COLUMN] n SET STATISTICS (n outside 1–32767 an
// error) — so `float(0)` never shares a shape, and a classification, with `float(5)`.
//
// No fact the classifier reports depends on the value of an integer constant (docs/policy.md: policy
// sees classes, tables, functions, has-where, names — never constants), so the classification of
// any text of a shape serves every text of that shape, with the statement's own text put back. Its
// fingerprint (the decision-cache key) is the first text's: for integers that are not constants in
// the tree (a FETCH count, a typmod) a fresh parse would give another key for the same facts.

const PLAIN_TEXT = /^[\t\n\r\x20-\x21\x23\x25-\x26\x28-\x5b\x5d-\x5f\x61-\x7e]*$/;
const INTEGER_TOKEN = /(?<![A-Za-z0-9_$.])[0-9]{1,9}(?![A-Za-z0-9_$.])/g;

/** The mark of an integer: its range of values as far as the grammar can tell them apart (see above). */
function integerMark(digits: string): string {
  const value = Number(digits);
  return value === 0 ? '\u0001' : value <= 24 ? '\u0002' : value <= 53 ? '\u0003' : value <= 32767 ? '\u0004' : '\u0005';
}

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
  return { shape: text.replace(INTEGER_TOKEN, integerMark), text };
}
