import { DETECTOR_NAMES, compileMaskPlan, type MaskMatcher } from '@sluice/masking';
import { decodeBackendMessage, type ColumnDescription } from '@sluice/postgres-wire';

/** Per statement: at most this many rows and this many bytes of values go into the recording. */
export interface PreviewLimits {
  readonly rows: number;
  readonly bytes: number;
}

const SCRUB_ALL = { columns: [], detectors: DETECTOR_NAMES.map((detector) => ({ detector, strategy: { kind: 'redact' as const } })) };

/** Every detector, redacting: previews of results that were not masked by policy still carry no recognisable secret. */
export function previewScrubber(hashKey: Uint8Array): MaskMatcher {
  return compileMaskPlan(SCRUB_ALL, { hashKey });
}

/**
 * The first rows of one result set exactly as the client received them (after masking), bounded,
 * for the session recording's replay. Binary values are not decoded.
 */
export class ResultPreview {
  private readonly rows: (string | null)[][] = [];
  private bytes = 0;
  private truncated = false;

  constructor(
    private readonly columns: readonly ColumnDescription[],
    private readonly limits: PreviewLimits,
    /** Applied when the result was not masked by policy; undefined when it was. */
    private readonly scrub: MaskMatcher | undefined,
  ) {}

  /** `sent` is the DataRow frame that went to the client. */
  add(sent: Buffer): void {
    if (this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes) {
      this.truncated = true;
      return;
    }
    const message = decodeBackendMessage({ type: sent[0] ?? 0, raw: sent });
    if (message.kind !== 'DataRow') return;
    const row = message.values.map((value, i) => {
      if (value === null) return null;
      if (this.columns[i]?.format === 1) return '[binary]';
      const text = value.toString('utf8');
      return this.scrub ? this.scrub.scanText(text) : text;
    });
    this.bytes += row.reduce((n, v) => n + (v?.length ?? 0), 0);
    this.rows.push(row);
  }

  get isEmpty(): boolean {
    return this.rows.length === 0;
  }

  /** The `preview` of the statement's `command.completed` event. */
  toEvent(): Record<string, unknown> {
    return { columns: this.columns.map((c) => c.name), rows: this.rows, truncated: this.truncated };
  }
}
