// Turning a mask decision into a body transform (docs/http.md, "Masking"): decompress, then mask
// JSON by field and detector or text by detector, with a bounded preview for the recording.
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { compileMaskPlan, importHashKey, type MaskPlan } from '@sluice/masking';
import { compileFieldRules, type FieldRule } from './json-field-rules.js';
import { DEFAULT_JSON_LIMITS, JsonMasker } from './json-masker.js';
import { TextMasker } from './text-masker.js';

export type BodyKind = 'json' | 'text' | 'other';

/**
 * JSON (`application/json`, `application/*+json`, `text/json`, NDJSON) and text (`text/*`) in UTF-8
 * can be masked; everything else (binary, other charsets, no content type) cannot. Text can only be
 * scanned by detectors: a plan with field rules refuses it (see `streamBack`).
 */
export function classifyBody(contentType: string | undefined): BodyKind {
  if (!contentType) return 'other';
  const [essence = '', ...params] = contentType.toLowerCase().split(';');
  const type = essence.trim();
  const charset = params
    .map((p) => p.trim())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return 'other';
  if (
    type === 'application/json' ||
    type === 'application/x-ndjson' ||
    type === 'application/jsonl' ||
    type === 'text/json' ||
    type === 'text/x-json' ||
    /^application\/[a-z0-9.+-]+\+json$/.test(type)
  )
    return 'json';
  if (type.startsWith('text/')) return 'text';
  return 'other';
}

/** A decompressor for the response's Content-Encoding; `unsupported` for anything else (refused when masking). */
export function decoderFor(contentEncoding: string | undefined): Transform | undefined | 'unsupported' {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return 'unsupported';
  }
}

export interface CompiledResponseMask {
  readonly rules: readonly FieldRule[];
  readonly scanText: ((text: string) => string) | undefined;
}

/** The plan's field rules (plus `extraRules`, e.g. Secret data) and detectors; an error when a pattern can't be read. */
export function compileResponseMask(
  plan: MaskPlan | undefined,
  hashKey: Uint8Array,
  extraRules: readonly FieldRule[] = [],
): CompiledResponseMask | { readonly error: string } {
  if (!plan) return { rules: extraRules, scanText: undefined };
  const rules = compileFieldRules(plan, importHashKey(hashKey));
  if ('error' in rules) return rules;
  const matcher = plan.detectors.length > 0 ? compileMaskPlan({ columns: [], detectors: plan.detectors }, { hashKey }) : undefined;
  return { rules: [...rules, ...extraRules], scanText: matcher ? (text) => matcher.scanText(text) : undefined };
}

/**
 * The mask, also replacing every occurrence of `literals` (the agent's own upstream credentials) in
 * string values and text. Literals shorter than 4 characters are ignored (they would match anywhere).
 */
export function withRedactedLiterals(mask: CompiledResponseMask, literals: readonly string[]): CompiledResponseMask {
  const secrets = literals.filter((literal) => literal.length >= 4);
  if (secrets.length === 0) return mask;
  const detectors = mask.scanText;
  return {
    rules: mask.rules,
    scanText: (text) => {
      let scrubbed = text;
      for (const secret of secrets) if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join('[redacted]');
      return detectors ? detectors(scrubbed) : scrubbed;
    },
  };
}

interface BodyMasker {
  push(text: string): string;
  end(): string;
}

export interface MaskingLimits {
  readonly maxValueChars: number;
}

/** A UTF-8 body → masked UTF-8 body transform; errors (fail closed) when the body can't be masked. */
export class MaskingTransform extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private readonly masker: BodyMasker;
  private readonly stats: () => { maskedValues: number; detectorHits: number };

  constructor(kind: 'json' | 'text', mask: CompiledResponseMask, limits: MaskingLimits) {
    super();
    if (kind === 'json') {
      const json = new JsonMasker({
        rules: mask.rules,
        scanText: mask.scanText,
        maxDepth: DEFAULT_JSON_LIMITS.maxDepth,
        maxValueChars: limits.maxValueChars,
      });
      this.masker = json;
      this.stats = () => json.stats;
    } else {
      const text = new TextMasker(mask.scanText ?? ((t) => t), limits.maxValueChars);
      this.masker = text;
      this.stats = () => ({ maskedValues: 0, detectorHits: text.detectorHits });
    }
  }

  get maskingStats(): { maskedValues: number; detectorHits: number } {
    return this.stats();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const out = this.masker.push(this.decoder.write(chunk));
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      const out = this.masker.push(this.decoder.end()) + this.masker.end();
      callback(null, out === '' ? undefined : Buffer.from(out, 'utf8'));
    } catch (error) {
      callback(error as Error);
    }
  }
}

/**
 * Counts the bytes that reach the client and keeps the first `previewBytes` of them. With `hold`,
 * output is held back until `hold.bytes` are ready, the body ends, or `hold.ms` pass — the response
 * head is written only then (`onFirstBytes`), so a short body that fails to mask still gets a clean
 * error instead of a cut-off 200, while a stream (a watch) is delayed by at most `hold.ms`.
 */
export class ResponseMeter extends Transform {
  bytes = 0;
  /** Called once, before the first bytes (or the end) pass: where a held response head is written. */
  onFirstBytes: (() => void) | undefined;
  private readonly preview: Buffer[] = [];
  private previewed = 0;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly previewBytes: number,
    private readonly hold?: { readonly bytes: number; readonly ms: number },
  ) {
    super();
    if (hold) this.held = [];
  }

  previewText(): string {
    // A cut inside a multi-byte character becomes U+FFFD; the preview is for reading, not replay.
    return Buffer.concat(this.preview).toString('utf8');
  }

  get truncated(): boolean {
    return this.bytes > this.previewed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.previewed < this.previewBytes) {
      const take = chunk.subarray(0, this.previewBytes - this.previewed);
      this.preview.push(Buffer.from(take));
      this.previewed += take.length;
    }
    if (this.held && this.hold) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes >= this.hold.bytes) this.release();
      else this.holdTimer ??= setTimeout(() => this.release(), this.hold.ms);
      callback();
      return;
    }
    this.firstBytes();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.release();
    this.firstBytes();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.holdTimer);
    this.held = undefined;
    callback(error);
  }

  private release(): void {
    clearTimeout(this.holdTimer);
    const held = this.held;
    this.held = undefined;
    if (!held || this.destroyed) return;
    this.firstBytes();
    for (const chunk of held) this.push(chunk);
  }

  private firstBytes(): void {
    const first = this.onFirstBytes;
    this.onFirstBytes = undefined;
    first?.();
  }
}
