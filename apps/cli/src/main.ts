#!/usr/bin/env node
// `sluice` / `pnpm sluice …`: the command line for the control plane's REST API (docs/cli.md).
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runCli } from './cli.js';
import type { CliIo } from './cli-io.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const io: CliIo = {
  env: process.env,
  fetch: globalThis.fetch,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  writeStream: (path, chunks) =>
    path === undefined
      ? pipeline(Readable.from(chunks), process.stdout, { end: false })
      : pipeline(Readable.from(chunks), createWriteStream(path, { mode: 0o600 })),
  now: () => new Date(),
};

process.exitCode = await runCli(process.argv.slice(2), io);
