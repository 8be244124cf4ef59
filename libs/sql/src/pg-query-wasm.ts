// A thin binding over the PostgreSQL parser that libpg-query compiles to WASM (DESIGN.md "Protocol
// notes": classify with libpg-query). Why not the package's own `parseSync`: it holds one module
// instance for the life of the process, and a stack overflow inside the WASM (≈10k chained operators
// such as `1+1+…`) leaves that instance corrupt — every later call fails with "memory access out of
// bounds", or worse, returns garbage. A security gateway must drop such an instance and build a fresh
// one, so this file talks to the Emscripten module directly (same calls as libpg-query's index.js).
//
// Memory: one instance reserves ~130 MB of WASM memory; the package is imported lazily so that merely
// importing @sluice/sql (for its types and constants) costs nothing.

import type { PgQueryEmscriptenModule } from 'libpg-query/wasm/libpg-query.js';
import type { ParseResult } from 'libpg-query';

export type PgParseOutcome =
  | { readonly ok: true; readonly tree: ParseResult }
  | {
      readonly ok: false;
      readonly reason: 'syntax-error' | 'too-complex' | 'parser-unavailable';
      readonly message: string;
      /** PostgreSQL's 1-based character position, or null. */
      readonly position: number | null;
    };

type ParserState =
  | { readonly kind: 'unloaded' }
  | { readonly kind: 'loading'; readonly promise: Promise<void> }
  | { readonly kind: 'ready'; readonly module: PgQueryEmscriptenModule }
  /** A loaded instance failed internally and was dropped; a fresh one is on its way (or failed to come). */
  | { readonly kind: 'reloading'; readonly promise: Promise<void> }
  | { readonly kind: 'failed'; readonly error: unknown };

let state: ParserState = { kind: 'unloaded' };
/** Once true, "not ready" means a runtime condition (fail closed), no longer a programming error. */
let everLoaded = false;
let instancesCreated = 0;

/** Bison's stack limit and PostgreSQL's own stack check: both mean "nested too deep", not "bad SQL". */
const TOO_COMPLEX_MESSAGES = ['memory exhausted', 'stack depth limit exceeded'];

async function instantiate(): Promise<PgQueryEmscriptenModule> {
  const { default: createPgQueryModule } = await import('libpg-query/wasm/libpg-query.js');
  const module = await createPgQueryModule();
  instancesCreated += 1;
  return module;
}

function startLoading(kind: 'loading' | 'reloading'): Promise<void> {
  const promise = instantiate().then(
    (module) => {
      state = { kind: 'ready', module };
      everLoaded = true;
    },
    (error: unknown) => {
      state = { kind: 'failed', error };
      throw error;
    },
  );
  state = { kind, promise };
  return promise;
}

/** Loads the parser once per process; later calls return at once (or wait for a reload in progress). */
export async function loadPgQuery(): Promise<void> {
  switch (state.kind) {
    case 'ready':
      return;
    case 'loading':
    case 'reloading':
      return state.promise;
    case 'unloaded':
    case 'failed':
      return startLoading(state.kind === 'unloaded' ? 'loading' : 'reloading');
  }
}

/** True once the parser has loaded in this process (even while it is being rebuilt after a failure). */
export function isPgQueryLoaded(): boolean {
  return everLoaded;
}

/** How many module instances this process has created (1 after load; more after recoveries). */
export function pgQueryInstanceCount(): number {
  return instancesCreated;
}

function readyModule(): PgQueryEmscriptenModule | null {
  if (state.kind === 'ready') return state.module;
  if (!everLoaded) throw new Error('The SQL parser is not loaded: await loadSqlParser() once at startup before classifying.');
  return null;
}

/** Drops a module that threw from inside the WASM and starts building a replacement. */
function discardModule(): void {
  // The rejection is recorded in `state` ('failed'); loadPgQuery() retries from there.
  startLoading('reloading').catch(() => undefined);
}

const UNAVAILABLE = {
  ok: false,
  reason: 'parser-unavailable',
  message: 'the SQL parser is reloading after an internal failure',
  position: null,
} as const satisfies PgParseOutcome;

/**
 * Parses with the real PostgreSQL grammar. The caller must have rejected NUL characters and unpaired
 * surrogates: the C parser would silently stop at a NUL, and Emscripten mis-encodes lone surrogates.
 */
export function parsePgQuery(sql: string): PgParseOutcome {
  const module = readyModule();
  if (module === null) return UNAVAILABLE;
  let treeJson: string;
  try {
    const outcome = parseRaw(module, sql);
    if (typeof outcome !== 'string') return outcome;
    treeJson = outcome;
  } catch {
    // Anything thrown from inside the WASM (RangeError for its stack, RuntimeError for a trap) leaves
    // the instance in an unknown state: never use it again.
    discardModule();
    return { ok: false, reason: 'too-complex', message: 'statement is nested too deeply for the parser', position: null };
  }
  try {
    return { ok: true, tree: JSON.parse(treeJson) as ParseResult };
  } catch {
    return { ok: false, reason: 'too-complex', message: 'parse tree is too deep to read', position: null };
  }
}

function parseRaw(module: PgQueryEmscriptenModule, sql: string): string | PgParseOutcome {
  const queryPointer = writeString(module, sql);
  let resultPointer = 0;
  try {
    resultPointer = module._wasm_parse_query_raw(queryPointer);
    if (resultPointer === 0) throw new Error('parser result allocation failed');
    // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
    const treePointer = module.getValue(resultPointer, 'i32');
    const errorPointer = module.getValue(resultPointer + 8, 'i32');
    if (errorPointer !== 0) {
      // struct PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; … }
      const messagePointer = module.getValue(errorPointer, 'i32');
      const cursor = module.getValue(errorPointer + 16, 'i32');
      const message = messagePointer === 0 ? 'syntax error' : module.UTF8ToString(messagePointer);
      const tooComplex = TOO_COMPLEX_MESSAGES.some((text) => message.startsWith(text));
      return { ok: false, reason: tooComplex ? 'too-complex' : 'syntax-error', message, position: cursor > 0 ? cursor : null };
    }
    if (treePointer === 0) throw new Error('parser returned no tree');
    return module.UTF8ToString(treePointer);
  } finally {
    module._free(queryPointer);
    if (resultPointer !== 0) module._wasm_free_parse_result(resultPointer);
  }
}

/**
 * PostgreSQL's query normalization (constants → `$n`, everything else byte-for-byte). Only call it for
 * text that parsed: the C function reports errors as a returned message, which is then unambiguous.
 */
export function normalizePgQuery(sql: string): string | null {
  const module = readyModule();
  if (module === null) return null;
  try {
    const queryPointer = writeString(module, sql);
    let resultPointer = 0;
    try {
      resultPointer = module._wasm_normalize_query(queryPointer);
      if (resultPointer === 0) throw new Error('normalize result allocation failed');
      const result = module.UTF8ToString(resultPointer);
      return /^(syntax error|deparse error|ERROR)/.test(result) ? null : result;
    } finally {
      module._free(queryPointer);
      if (resultPointer !== 0) module._wasm_free_string(resultPointer);
    }
  } catch {
    discardModule();
    return null;
  }
}

function writeString(module: PgQueryEmscriptenModule, text: string): number {
  const size = module.lengthBytesUTF8(text) + 1;
  const pointer = module._malloc(size);
  if (pointer === 0) throw new Error('parser input allocation failed');
  module.stringToUTF8(text, pointer, size);
  return pointer;
}
