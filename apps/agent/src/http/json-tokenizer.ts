// A synchronous wrapper around stream-json's tokenizer (libraries.md §11: stream-json ships the
// parser as a stream-chain "flushable" function). Driving it directly, without a Node stream per
// token, keeps masking cheap and lets the caller decide when output is flushed.
import { jsonParser, type Token } from 'stream-json/core/parser.js';

export type { Token };

// stream-chain marks "no more input" and "several outputs" with registered symbols (defs.js).
const NONE = Symbol.for('object-stream.none');
const MANY = Symbol.for('object-stream.many');

type Tokenize = (input: unknown) => unknown;

export class JsonTokenizer {
  private readonly tokenize: Tokenize;

  /**
   * Every key, string and number arrives in chunks (nothing is packed by the parser, so its own
   * buffers stay small); concatenated top-level values are accepted (Kubernetes watch streams).
   */
  constructor() {
    this.tokenize = jsonParser({ packValues: false, streamValues: true, jsonStreaming: true }) as Tokenize;
  }

  /** Tokens completed by `text`; throws on invalid JSON. */
  push(text: string): readonly Token[] {
    return unpack(this.tokenize(text));
  }

  /** The remaining tokens; throws when the input ended inside a value. */
  end(): readonly Token[] {
    return unpack(this.tokenize(NONE));
  }
}

function unpack(result: unknown): readonly Token[] {
  if (typeof result === 'object' && result !== null && (result as Record<symbol, unknown>)[MANY] === 1) {
    return (result as { values: Token[] }).values;
  }
  return [];
}
