// Streaming JSON masking (DESIGN.md "Masking"; libraries.md §11 checklist): token by token, with
// bounded memory per value, the original structure and order preserved, and a parse error or an
// over-limit value ending the stream (fail closed). Pure: text in, text out.
import { JsonTokenizer, type Token } from './json-tokenizer.js';
import { strictestRule, type FieldRule, type PathStep } from './json-field-rules.js';

export type JsonMaskingProblem = 'unparseable' | 'too-deep' | 'value-too-large';

/** Why a body could not be masked. The message never quotes the body. */
export class JsonMaskingError extends Error {
  override readonly name = 'JsonMaskingError';
  constructor(readonly problem: JsonMaskingProblem) {
    super(`the JSON body could not be masked (${problem})`);
  }
}

export interface JsonMaskerOptions {
  /** Field rules (JSON paths / key names). A value below a named value is masked with it. */
  readonly rules: readonly FieldRule[];
  /** Detector scan of string values, keys and numbers not named by a rule; undefined: none. */
  readonly scanText: ((text: string) => string) | undefined;
  readonly maxDepth: number;
  /** Strings that must be looked at whole (masked with partial/hash, or scanned) may not exceed this. */
  readonly maxValueChars: number;
}

export const DEFAULT_JSON_LIMITS = { maxDepth: 256, maxValueChars: 1_048_576 } as const;
const MAX_KEY_CHARS = 65_536;
const MAX_NUMBER_CHARS = 4_096;

interface Frame {
  readonly kind: 'object' | 'array';
  count: number;
  key: string;
  readonly rule: FieldRule | undefined;
}

/** What to do with the chunks of the value being read. */
type Pending =
  | { readonly kind: 'key'; text: string }
  | { readonly kind: 'string'; readonly mode: 'stream' }
  | { readonly kind: 'string'; readonly mode: 'discard'; readonly rule: FieldRule }
  | { readonly kind: 'string'; readonly mode: 'collect'; readonly rule: FieldRule | undefined; text: string }
  | { readonly kind: 'number'; readonly rule: FieldRule | undefined; text: string };

export interface JsonMaskingStats {
  /** Values replaced because a field rule named them (or a value above them). */
  readonly maskedValues: number;
  /** Strings, keys or numbers a detector changed. */
  readonly detectorHits: number;
}

/**
 * Rewrites a stream of JSON text (one document or concatenated documents, as in a Kubernetes
 * watch). Each top-level value is followed by a newline in the output.
 */
export class JsonMasker {
  private readonly tokenizer = new JsonTokenizer();
  private readonly frames: Frame[] = [];
  private pending: Pending | undefined;
  private out: string[] = [];
  private failed: JsonMaskingError | undefined;
  private maskedValues = 0;
  private detectorHits = 0;

  constructor(private readonly options: JsonMaskerOptions) {}

  get stats(): JsonMaskingStats {
    return { maskedValues: this.maskedValues, detectorHits: this.detectorHits };
  }

  /** Masked output for the input so far (may be ''); throws JsonMaskingError. */
  push(text: string): string {
    return this.run(() => this.tokenizer.push(text));
  }

  /** The rest of the output; throws JsonMaskingError when the input ended inside a value. */
  end(): string {
    const tail = this.run(() => this.tokenizer.end());
    if (this.frames.length > 0 || this.pending !== undefined) throw this.fail('unparseable');
    return tail;
  }

  private run(tokens: () => readonly Token[]): string {
    if (this.failed) throw this.failed;
    let list: readonly Token[];
    try {
      list = tokens();
    } catch {
      throw this.fail('unparseable');
    }
    for (const token of list) this.onToken(token);
    const text = this.out.join('');
    this.out = [];
    return text;
  }

  private fail(problem: JsonMaskingProblem): JsonMaskingError {
    this.failed ??= new JsonMaskingError(problem);
    return this.failed;
  }

  private onToken(token: Token): void {
    switch (token.name) {
      case 'startObject':
      case 'startArray': {
        const rule = this.beginValue();
        if (this.frames.length >= this.options.maxDepth) throw this.fail('too-deep');
        this.out.push(token.name === 'startObject' ? '{' : '[');
        this.frames.push({ kind: token.name === 'startObject' ? 'object' : 'array', count: 0, key: '', rule });
        return;
      }
      case 'endObject':
      case 'endArray':
        this.out.push(token.name === 'endObject' ? '}' : ']');
        this.frames.pop();
        this.afterValue();
        return;
      case 'startKey': {
        const frame = this.frames.at(-1);
        if (frame && frame.count > 0) this.out.push(',');
        if (frame) frame.count += 1;
        this.pending = { kind: 'key', text: '' };
        return;
      }
      case 'endKey': {
        const pending = this.pending;
        const frame = this.frames.at(-1);
        if (pending?.kind !== 'key' || !frame) throw this.fail('unparseable');
        frame.key = pending.text;
        this.out.push(JSON.stringify(this.scan(pending.text)), ':');
        this.pending = undefined;
        return;
      }
      case 'startString':
        this.startString();
        return;
      case 'stringChunk':
        this.onChunk(token.value);
        return;
      case 'endString':
        this.endString();
        return;
      case 'startNumber':
        this.pending = { kind: 'number', rule: this.beginValue(), text: '' };
        return;
      case 'numberChunk':
        this.onChunk(token.value);
        return;
      case 'endNumber':
        this.endNumber();
        return;
      case 'nullValue':
        this.beginValue();
        this.out.push('null');
        this.afterValue();
        return;
      case 'trueValue':
      case 'falseValue': {
        const rule = this.beginValue();
        const literal = token.name === 'trueValue' ? 'true' : 'false';
        this.out.push(rule ? this.applyRule(rule, literal) : literal);
        this.afterValue();
        return;
      }
      case 'keyValue':
      case 'stringValue':
      case 'numberValue':
      case 'whitespace':
        // Not produced with packValues: false; whitespace is not kept.
        return;
    }
  }

  private startString(): void {
    const rule = this.beginValue();
    if (rule) {
      this.pending = rule.needsValue ? { kind: 'string', mode: 'collect', rule, text: '' } : { kind: 'string', mode: 'discard', rule };
    } else if (this.options.scanText) {
      this.pending = { kind: 'string', mode: 'collect', rule: undefined, text: '' };
    } else {
      this.pending = { kind: 'string', mode: 'stream' };
      this.out.push('"');
    }
  }

  private onChunk(value: string): void {
    const pending = this.pending;
    if (!pending) throw this.fail('unparseable');
    switch (pending.kind) {
      case 'key':
        if (pending.text.length + value.length > MAX_KEY_CHARS) throw this.fail('value-too-large');
        pending.text += value;
        return;
      case 'number':
        if (pending.text.length + value.length > MAX_NUMBER_CHARS) throw this.fail('value-too-large');
        pending.text += value;
        return;
      case 'string':
        switch (pending.mode) {
          case 'stream':
            this.out.push(JSON.stringify(value).slice(1, -1));
            return;
          case 'discard':
            return;
          case 'collect':
            if (pending.text.length + value.length > this.options.maxValueChars) throw this.fail('value-too-large');
            pending.text += value;
            return;
        }
    }
  }

  private endString(): void {
    const pending = this.pending;
    if (pending?.kind !== 'string') throw this.fail('unparseable');
    this.pending = undefined;
    switch (pending.mode) {
      case 'stream':
        this.out.push('"');
        break;
      case 'discard':
        this.out.push(this.applyRule(pending.rule, ''));
        break;
      case 'collect':
        this.out.push(pending.rule ? this.applyRule(pending.rule, pending.text) : JSON.stringify(this.scan(pending.text)));
        break;
    }
    this.afterValue();
  }

  private endNumber(): void {
    const pending = this.pending;
    if (pending?.kind !== 'number') throw this.fail('unparseable');
    this.pending = undefined;
    if (pending.rule) this.out.push(this.applyRule(pending.rule, pending.text));
    else {
      const scanned = this.scan(pending.text);
      // A number a detector changed (a card number sent as a JSON number) becomes a string.
      this.out.push(scanned === pending.text ? pending.text : JSON.stringify(scanned));
    }
    this.afterValue();
  }

  /** Separators before a value, and the rule that applies to it. */
  private beginValue(): FieldRule | undefined {
    const top = this.frames.at(-1);
    if (top?.kind === 'array') {
      if (top.count > 0) this.out.push(',');
      top.count += 1;
    }
    if (this.options.rules.length === 0) return top?.rule;
    return strictestRule(this.options.rules, this.path(), top?.rule);
  }

  private path(): PathStep[] {
    return this.frames.map((frame) => (frame.kind === 'object' ? frame.key : frame.count - 1));
  }

  private afterValue(): void {
    if (this.frames.length === 0) this.out.push('\n');
  }

  private applyRule(rule: FieldRule, value: string): string {
    this.maskedValues += 1;
    const masked = rule.apply(value);
    return masked === null ? 'null' : JSON.stringify(masked);
  }

  private scan(text: string): string {
    const scan = this.options.scanText;
    if (!scan) return text;
    const out = scan(text);
    if (out !== text) this.detectorHits += 1;
    return out;
  }
}
