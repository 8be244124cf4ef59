export type StrictJsonResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly reason: 'invalid-json' | 'not-an-object' | 'duplicate-key' };

/**
 * Parses a JSON text that must be an object and in which no object, at any depth, repeats a member
 * name. `JSON.parse` silently keeps the last duplicate while other parsers keep the first, so a token
 * with `{"aud":"them","aud":"us"}` could mean different things to different verifiers (RFC 7519 §4:
 * a JWT with duplicate claim names MUST be rejected or the last one used; we reject).
 */
export function parseStrictJsonObject(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid-json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not-an-object' };
  if (hasDuplicateMemberName(text)) return { ok: false, reason: 'duplicate-key' };
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Scans text already accepted by `JSON.parse`, so the grammar is known to be valid: every string
 * inside an object that is followed by `:` is a member name. Iterative (no recursion), linear time.
 */
function hasDuplicateMemberName(text: string): boolean {
  // One frame per open container: a set of member names for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '{') {
      stack.push(new Set());
      index += 1;
    } else if (char === '[') {
      stack.push(null);
      index += 1;
    } else if (char === '}' || char === ']') {
      stack.pop();
      index += 1;
    } else if (char === '"') {
      const end = endOfString(text, index);
      const frame = stack.at(-1);
      if (frame && nextSignificantChar(text, end) === ':') {
        // Decode escapes so "\u0061ud" and "aud" are recognised as the same name.
        const name = JSON.parse(text.slice(index, end)) as string;
        if (frame.has(name)) return true;
        frame.add(name);
      }
      index = end;
    } else {
      index += 1;
    }
  }
  return false;
}

/** Index just past the closing quote of the string starting at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index += 1;
  }
  return index;
}

function nextSignificantChar(text: string, from: number): string | undefined {
  let index = from;
  while (index < text.length) {
    const char = text[index];
    if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return char;
    index += 1;
  }
  return undefined;
}
