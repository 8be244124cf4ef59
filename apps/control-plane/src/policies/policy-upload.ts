import type { PolicyError, PolicyFormat } from '@sluice/policy';
import { z } from 'zod';

/** Raw YAML bodies (http-app.ts registers a text parser for exactly these). */
export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'] as const;
export const MAX_COMMENT_LENGTH = 1000;

/** A policy upload as the PUT body described it, before the policy itself is validated. */
export interface PolicyUpload {
  readonly text: string;
  readonly format: PolicyFormat;
  readonly comment: string | undefined;
}

export type PolicyUploadResult =
  | { readonly ok: true; readonly upload: PolicyUpload }
  | { readonly ok: false; readonly status: 400 | 415; readonly errors: readonly PolicyError[] };

const commentSchema = z.string().trim().max(MAX_COMMENT_LENGTH, `at most ${MAX_COMMENT_LENGTH} characters`);

/** The JSON envelope: `{ document, format?, comment? }`. A policy document never has a `document` key. */
const envelopeSchema = z
  .object({
    document: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected the policy as text or as an object' }),
    format: z.enum(['yaml', 'json']).optional(),
    comment: commentSchema.optional(),
  })
  .strict();

/**
 * Reads a `PUT /api/v1/policy` body (docs/policy.md "Uploading"):
 * - `application/yaml` (or `text/yaml`, `application/x-yaml`, `text/x-yaml`): the YAML text;
 * - `application/json` with `{ document, format, comment }`: `document` is the text (`format`
 *   required) or the policy object (`format` absent or `json`);
 * - `application/json` with anything else: the policy object itself.
 * The comment of raw uploads comes from the `comment` query parameter.
 */
export function readPolicyUpload(contentType: string | undefined, body: unknown, commentParam: unknown): PolicyUploadResult {
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const queryComment = readComment(commentParam, 'comment');
  if (!queryComment.ok) return queryComment;
  if ((YAML_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    if (typeof body !== 'string' || body.trim() === '') return invalid('(root)', 'the request body is empty: send the policy YAML');
    return { ok: true, upload: { text: body, format: 'yaml', comment: queryComment.comment } };
  }
  if (mediaType !== 'application/json') {
    return {
      ok: false,
      status: 415,
      errors: [
        { path: '(root)', message: `send the policy as application/yaml or application/json, not ${mediaType || 'no content type'}` },
      ],
    };
  }
  if (isPlainObject(body) && Object.hasOwn(body, 'document')) {
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) {
      return {
        ok: false,
        status: 400,
        errors: envelope.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
      };
    }
    const { document, format, comment } = envelope.data;
    if (comment !== undefined && commentParam !== undefined)
      return invalid('comment', 'give the comment once: in the body or in the query');
    const why = comment === '' ? undefined : (comment ?? queryComment.comment);
    if (typeof document === 'string') {
      if (format === undefined) return invalid('format', 'say whether the document text is yaml or json');
      return { ok: true, upload: { text: document, format, comment: why } };
    }
    if (format === 'yaml') return invalid('format', 'a document given as an object is JSON; send YAML as text');
    const text = jsonText(document);
    if (text === undefined) return invalid('document', 'the document nests too deeply to be a policy');
    return { ok: true, upload: { text, format: 'json', comment: why } };
  }
  if (body === undefined || body === null) return invalid('(root)', 'the request body is empty: send the policy');
  const text = jsonText(body);
  if (text === undefined) return invalid('(root)', 'the document nests too deeply to be a policy');
  return { ok: true, upload: { text, format: 'json', comment: queryComment.comment } };
}

/** The parsed JSON body as text again; undefined when it nests too deeply to write back (a hostile upload). */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return undefined;
  }
}

/** Reads an optional comment; blank means none. */
export function readComment(
  value: unknown,
  path: string,
):
  | { readonly ok: true; readonly comment: string | undefined }
  | { readonly ok: false; readonly status: 400; readonly errors: PolicyError[] } {
  if (value === undefined) return { ok: true, comment: undefined };
  const parsed = commentSchema.safeParse(value);
  if (!parsed.success) return { ok: false, status: 400, errors: [{ path, message: parsed.error.issues[0]?.message ?? 'invalid comment' }] };
  return { ok: true, comment: parsed.data === '' ? undefined : parsed.data };
}

function invalid(path: string, message: string): { readonly ok: false; readonly status: 400; readonly errors: PolicyError[] } {
  return { ok: false, status: 400, errors: [{ path, message }] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
