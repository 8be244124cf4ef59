import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MaskingTransform, ResponseMeter, classifyBody, compileResponseMask, decoderFor } from './response-masking.js';

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += (chunk as Buffer).toString();
  return out;
}

describe('response masking', () => {
  it('classifies bodies: JSON and UTF-8 text can be masked, the rest cannot', () => {
    expect(classifyBody('application/json')).toBe('json');
    expect(classifyBody('application/json; charset=utf-8')).toBe('json');
    expect(classifyBody('application/problem+json')).toBe('json');
    expect(classifyBody('application/x-ndjson')).toBe('json');
    expect(classifyBody('text/plain')).toBe('text');
    expect(classifyBody('text/csv; charset="UTF-8"')).toBe('text');
    expect(classifyBody('text/plain; charset=iso-8859-1')).toBe('other');
    expect(classifyBody('application/json; charset=utf-16')).toBe('other');
    expect(classifyBody('application/octet-stream')).toBe('other');
    expect(classifyBody('application/vnd.kubernetes.protobuf')).toBe('other');
    expect(classifyBody(undefined)).toBe('other');
  });

  it('decodes gzip, deflate and br, and refuses encodings it cannot decode', () => {
    expect(decoderFor(undefined)).toBeUndefined();
    expect(decoderFor('identity')).toBeUndefined();
    for (const encoding of ['gzip', 'x-gzip', 'deflate', 'br']) expect(decoderFor(encoding)).toBeDefined();
    expect(decoderFor('zstd')).toBe('unsupported');
    expect(decoderFor('gzip, br')).toBe('unsupported');
  });

  it('masks a gzip body split into tiny chunks, across UTF-8 boundaries', async () => {
    const mask = compileResponseMask({ columns: [{ pattern: 'email', strategy: { kind: 'redact' } }], detectors: [] }, Buffer.alloc(16));
    if ('error' in mask) throw new Error(mask.error);
    const body = gzipSync(JSON.stringify({ name: 'Zoë 😀', email: 'z@example.com' }));
    const chunks = Array.from({ length: Math.ceil(body.length / 3) }, (_, i) => body.subarray(i * 3, i * 3 + 3));
    const decoder = decoderFor('gzip');
    if (!decoder || decoder === 'unsupported') throw new Error('no decoder');
    const masker = new MaskingTransform('json', mask, { maxValueChars: 1024 });
    const out = collect(masker);
    await pipeline(Readable.from(chunks), decoder, masker);
    expect(JSON.parse(await out)).toEqual({ name: 'Zoë 😀', email: '[redacted]' });
  });

  it('reports a pattern it cannot apply instead of ignoring it', () => {
    expect(
      compileResponseMask({ columns: [{ pattern: '$.a[', strategy: { kind: 'redact' } }], detectors: [] }, Buffer.alloc(16)),
    ).toMatchObject({
      error: expect.stringContaining('columns[0]') as unknown,
    });
  });

  it('holds output back until enough is ready or the body ends, and keeps a bounded preview', async () => {
    const meter = new ResponseMeter(5, { bytes: 10, ms: 60_000 });
    let head = 0;
    meter.onFirstBytes = () => (head += 1);
    const out: string[] = [];
    meter.on('data', (d: Buffer) => out.push(d.toString()));
    meter.write(Buffer.from('abc'));
    await new Promise((r) => setImmediate(r));
    expect(head).toBe(0);
    expect(out).toEqual([]);
    meter.write(Buffer.from('defghijk'));
    await new Promise((r) => setImmediate(r));
    expect(head).toBe(1);
    expect(out.join('')).toBe('abcdefghijk');
    meter.end(Buffer.from('l'));
    await new Promise((r) => meter.once('end', r));
    expect(out.join('')).toBe('abcdefghijkl');
    expect(meter.bytes).toBe(12);
    expect(meter.previewText()).toBe('abcde');
    expect(meter.truncated).toBe(true);
    expect(head).toBe(1);
  });

  it('drops held output when destroyed (a body that failed to mask never reaches the client)', async () => {
    const meter = new ResponseMeter(0, { bytes: 1_000, ms: 60_000 });
    let head = 0;
    meter.onFirstBytes = () => (head += 1);
    const out: string[] = [];
    meter.on('data', (d: Buffer) => out.push(d.toString()));
    meter.on('error', () => undefined);
    meter.write(Buffer.from('{"partial":'));
    meter.destroy(new Error('unparseable'));
    await new Promise((r) => setTimeout(r, 10));
    expect(head).toBe(0);
    expect(out).toEqual([]);
  });
});
