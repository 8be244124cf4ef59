// Detector masking of text bodies (plain text, pod logs) line by line: a finding never spans a line
// break in the detectors of libs/masking, so lines are the unit. A line longer than the limit ends
// the stream (fail closed): cutting it could split a finding in two.
export class TextMaskingError extends Error {
  override readonly name = 'TextMaskingError';
  constructor() {
    super('a text line is too long to be masked');
  }
}

export class TextMasker {
  private tail = '';
  private hits = 0;

  constructor(
    private readonly scanText: (text: string) => string,
    private readonly maxLineChars: number,
  ) {}

  get detectorHits(): number {
    return this.hits;
  }

  /** Masked complete lines (with their `\n`); an incomplete last line waits for more input. */
  push(text: string): string {
    const joined = this.tail + text;
    const cut = joined.lastIndexOf('\n');
    if (cut < 0) {
      if (joined.length > this.maxLineChars) throw new TextMaskingError();
      this.tail = joined;
      return '';
    }
    this.tail = joined.slice(cut + 1);
    if (this.tail.length > this.maxLineChars) throw new TextMaskingError();
    return joined
      .slice(0, cut + 1)
      .split('\n')
      .map((line) => this.scan(line))
      .join('\n');
  }

  end(): string {
    const rest = this.tail;
    this.tail = '';
    return this.scan(rest);
  }

  private scan(line: string): string {
    const out = this.scanText(line);
    if (out !== line) this.hits += 1;
    return out;
  }
}
