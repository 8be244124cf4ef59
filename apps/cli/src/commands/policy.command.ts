import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { EXIT, UsageError } from '../cli-errors.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { terminalSafe } from '../render/terminal-safe.js';

async function input(ctx: CommandContext, name: string): Promise<string> {
  const file = ctx.need(name);
  return file === '-' ? ctx.io.readStdin() : readFile(file, 'utf8');
}

/** Prints a response body: JSON pretty (or raw with --json), anything else as text. */
async function printBody(ctx: CommandContext, response: Response): Promise<void> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      ctx.io.stdout(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
      return;
    } catch {
      // not JSON after all: print as text
    }
  }
  ctx.io.stdout(terminalSafe(text.endsWith('\n') ? text : `${text}\n`));
}

export const policyCommands: CommandSpec[] = [
  {
    name: 'policy get',
    summary: 'The active policy (its document; --json for the version record)',
    async run(ctx) {
      const response = await (await ctx.api()).request('GET', '/api/v1/policy');
      if (!ctx.json && (response.headers.get('content-type') ?? '').includes('json')) {
        const body = (await response.json()) as { document?: unknown; policyVersion?: unknown };
        if (typeof body.document === 'string') {
          const version = typeof body.policyVersion === 'string' ? `# policy version ${body.policyVersion}\n` : '';
          ctx.io.stdout(terminalSafe(`${version}${body.document.endsWith('\n') ? body.document : `${body.document}\n`}`));
          return EXIT.ok;
        }
        ctx.io.stdout(`${JSON.stringify(body, null, 2)}\n`);
        return EXIT.ok;
      }
      await printBody(ctx, response);
      return EXIT.ok;
    },
  },
  {
    name: 'policy apply',
    summary: 'Upload a new policy version from a YAML or JSON file',
    options: {
      file: { type: 'string', short: 'f', value: 'FILE', help: 'The policy (.yaml, .yml or .json; "-" reads YAML from standard input)' },
      comment: { type: 'string', value: 'TEXT', help: 'Why (recorded with the version)' },
    },
    async run(ctx) {
      const file = ctx.need('file');
      const extension = extname(file).toLowerCase();
      if (file !== '-' && !['.yaml', '.yml', '.json'].includes(extension)) throw new UsageError('-f: a .yaml, .yml or .json file');
      const body = await input(ctx, 'file');
      const response = await (
        await ctx.api()
      ).request('PUT', '/api/v1/policy', {
        body,
        contentType: extension === '.json' ? 'application/json' : 'application/yaml',
        query: { comment: ctx.string('comment') },
      });
      await printBody(ctx, response);
      return EXIT.ok;
    },
  },
  {
    name: 'policy explain',
    summary: 'Ask the control plane how the policy decides a request (JSON, see docs/policy.md)',
    options: { file: { type: 'string', short: 'f', value: 'FILE', help: 'The request as JSON; "-" reads standard input' } },
    async run(ctx) {
      const text = await input(ctx, 'file');
      try {
        JSON.parse(text);
      } catch {
        throw new UsageError('-f: the explain request must be JSON');
      }
      await printBody(
        ctx,
        await (await ctx.api()).request('POST', '/api/v1/policy/explain', { body: text, contentType: 'application/json' }),
      );
      return EXIT.ok;
    },
  },
];
