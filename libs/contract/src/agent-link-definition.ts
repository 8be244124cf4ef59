import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from './generated/agent_link.js';

/**
 * How proto-loader turns wire messages into objects. These options MUST match the flags in
 * scripts/generate.mjs, because the generated `__Output` types describe exactly this shape:
 * 64-bit integers as JS numbers (we only carry millisecond timestamps and sequence numbers),
 * defaults filled in, and a virtual field naming the populated case of every oneof.
 */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies Options;

/**
 * The package's own copy of the repository's proto/ (libs/contract/proto, shipped with the package so
 * a deployed bundle can load it; `pnpm generate:contract` keeps it in step). Same relative path from
 * src/ and dist/.
 */
export const PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));

export const AGENT_LINK_PROTO = 'sluice/agent/v1/agent_link.proto';

/** Version string of the contract, as carried in package names and logs. */
export const AGENT_LINK_PACKAGE = 'sluice.agent.v1';

/** Call metadata key that carries the agent key (`Bearer <key>`). */
export const AGENT_KEY_METADATA = 'authorization';

export type AgentLinkPackage = ProtoGrpcType['sluice']['agent']['v1'];

/** Loads the contract at run time. Cheap enough to call once per process. */
export function loadAgentLinkPackage(): AgentLinkPackage {
  const definition = loadSync(AGENT_LINK_PROTO, { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  const loaded = loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return loaded.sluice.agent.v1;
}
