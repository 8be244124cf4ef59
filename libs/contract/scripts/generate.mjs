// Regenerates the contract package from the repository's proto/ (the source of truth):
//   1. copies proto/ into libs/contract/proto/, the copy the package ships (a deployed bundle has no
//      repository around it, so the run-time loader reads the .proto files from the package itself);
//   2. regenerates src/generated/ with proto-loader-gen-types.
// The options here MUST match LOADER_OPTIONS in src/agent-link-definition.ts: the generated types
// describe what the loader produces at run time.
// Usage: pnpm generate:contract [--out DIR]   (--out: only write the types to DIR, touch nothing else;
// the drift check uses it)
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const protoRoot = resolve(here, '../../../proto');
const packagedProto = resolve(here, '../proto');
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : resolve(here, '../src/generated');

if (outFlag < 0) {
  rmSync(packagedProto, { recursive: true, force: true });
  cpSync(protoRoot, packagedProto, { recursive: true });
}

const require = createRequire(import.meta.url);
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');

rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    generator,
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments',
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    `--includeDirs=${protoRoot}`,
    `--outDir=${outDir}`,
    'sluice/agent/v1/agent_link.proto',
  ],
  { stdio: 'inherit' },
);

// The generator writes the absolute proto path into each file; keep the output machine-independent
// so the drift check compares like with like.
for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replaceAll(`${protoRoot}/`, 'proto/'));
}
