import { EXIT } from '../cli-errors.js';
import type { CommandSpec } from '../command.js';

/** An export can be large: the default deadline is long, and the body is streamed, never held. */
const EXPORT_TIMEOUT_MS = 60 * 60_000;

export const auditCommands: CommandSpec[] = [
  {
    name: 'audit export',
    summary: 'Recorded events as OCSF JSON lines (for a SIEM), oldest first',
    options: {
      from: { type: 'string', value: 'TIME', help: 'Events at or after this ISO 8601 time (default: all)' },
      to: { type: 'string', value: 'TIME', help: 'Events before this ISO 8601 time (default: now)' },
      output: { type: 'string', short: 'o', value: 'FILE', help: 'Write to FILE instead of standard output' },
    },
    async run(ctx) {
      const api = await ctx.api();
      const response = await api.request('GET', '/api/v1/audit/export', {
        query: { from: ctx.string('from'), to: ctx.string('to') },
        timeoutMs: ctx.timeoutMs() ?? EXPORT_TIMEOUT_MS,
      });
      if (response.body) await ctx.io.writeStream(ctx.string('output'), response.body);
      return EXIT.ok;
    },
  },
];
