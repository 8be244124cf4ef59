// Policy text (YAML or JSON) → plain value, with the costs of hostile text bounded before the YAML
// library does recursive work: its composer recurses per nesting level (deep nesting has crashed
// the process in testing) and its duplicate-key check is quadratic in the size of a mapping. So:
// flow nesting is pre-scanned with the (iterative) lexer, block nesting is measured on the
// (iterative) CST, duplicate keys are found here in linear time, and aliases are capped.

import { CST, Composer, LineCounter, Lexer, Parser, isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import type { PolicyError } from './policy-error.js';
import { MAX_POLICY_TEXT_LENGTH, MAX_YAML_ALIASES, MAX_YAML_DEPTH } from './policy-limits.js';

export type PolicyFormat = 'yaml' | 'json';

export type PolicyTextResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly errors: readonly PolicyError[] };

function rootError(message: string): PolicyTextResult {
  return { ok: false, errors: [{ path: '(root)', message }] };
}

export function readPolicyText(text: string, format: PolicyFormat): PolicyTextResult {
  if (text.length > MAX_POLICY_TEXT_LENGTH) return rootError(`policy text is longer than ${MAX_POLICY_TEXT_LENGTH} characters`);
  switch (format) {
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch (error) {
        return rootError(`invalid JSON: ${error instanceof Error ? error.message : 'parse error'}`);
      }
    case 'yaml':
      return readYaml(text);
  }
}

function flowDepthExceeded(text: string): boolean {
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_DEPTH) return true;
    } else if (token === ']' || token === '}') {
      depth--;
    }
  }
  return false;
}

/** Nesting depth of a CST document, walked with an explicit stack (no recursion). */
function cstDepthExceeded(document: CST.Document): boolean {
  const stack: { token: CST.Token; depth: number }[] = [];
  if (document.value !== undefined) stack.push({ token: document.value, depth: 1 });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { token, depth } = next;
    if (depth > MAX_YAML_DEPTH) return true;
    if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        if (item.key) stack.push({ token: item.key, depth: depth + 1 });
        if (item.value) stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return false;
}

/** Duplicate keys make the later one win silently; find them in linear time. */
function duplicateKey(document: Document.Parsed): string | undefined {
  const stack: unknown[] = [document.contents];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) return 'complex (non-scalar) keys are not supported';
        const key = String(pair.key.value);
        if (seen.has(key)) return `duplicate key '${key.slice(0, 64)}'`;
        seen.add(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      stack.push(...node.items);
    } else if (isPair(node)) {
      stack.push(node.value);
    }
  }
  return undefined;
}

function readYaml(text: string): PolicyTextResult {
  if (flowDepthExceeded(text)) return rootError(`invalid YAML: nested deeper than ${MAX_YAML_DEPTH} levels`);
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const documents = tokens.filter((token): token is CST.Document => token.type === 'document');
  if (documents.length > 1) return rootError('invalid YAML: expected one document, found several');
  if (documents.some(cstDepthExceeded)) return rootError(`invalid YAML: nested deeper than ${MAX_YAML_DEPTH} levels`);
  // YAML 1.2 core schema: `no` stays a string; unknown tags (`!!js/function`) are warnings, refused below.
  const composer = new Composer({ version: '1.2', uniqueKeys: false, strict: true });
  const [document] = [...composer.compose(tokens, true, text.length)];
  if (document === undefined) return { ok: true, value: null };
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((problem) => {
        const { line, col } = lines.linePos(problem.pos[0]);
        return { path: '(root)', message: `invalid YAML at line ${line}, column ${col}: ${problem.message.split('\n')[0] ?? ''}` };
      }),
    };
  }
  const duplicate = duplicateKey(document);
  if (duplicate !== undefined) return rootError(`invalid YAML: ${duplicate}`);
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown };
  } catch (error) {
    return rootError(`invalid YAML: ${error instanceof Error ? error.message : 'cannot read the document'}`);
  }
}
