import { z } from 'zod';

const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' });

/** `from` defaults to the beginning of time, `to` to now; the range is half-open [from, to). */
export const exportQuerySchema = z
  .object({ from: instant.optional(), to: instant.optional() })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
  });
export type ExportQuery = z.infer<typeof exportQuerySchema>;
