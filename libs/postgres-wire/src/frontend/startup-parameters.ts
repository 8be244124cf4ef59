// Protocol version negotiation for a server (the proxy facing its client).
// https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
// https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NEGOTIATEPROTOCOLVERSION

import type { NegotiateProtocolVersionMessage } from '../backend/backend-messages.js';
import type { StartupMessage } from './frontend-messages.js';

/** Newest 3.x minor version this codec understands (3.2: variable-length cancel keys, PostgreSQL 18). */
export const SUPPORTED_PROTOCOL_MINOR = 2;

/** Prefix of StartupMessage parameter names that are protocol extensions, not settings. */
const EXTENSION_PREFIX = '_pq_.';

/** The `_pq_.*` parameters the client asked for, in its order. */
export function protocolExtensions(message: StartupMessage): string[] {
  const out: string[] = [];
  for (const name of message.parameters.keys()) if (name.startsWith(EXTENSION_PREFIX)) out.push(name);
  return out;
}

/**
 * The NegotiateProtocolVersion the server must send before authentication, or undefined when the
 * client asked for nothing newer than `newestMinor` and no unsupported `_pq_.*` option. Clients
 * that "grease" the handshake (PostgreSQL 19 libpq asks for 3.9999 plus bogus `_pq_.` options)
 * break on servers and proxies that skip this.
 */
export function requiresProtocolNegotiation(
  message: StartupMessage,
  newestMinor: number = SUPPORTED_PROTOCOL_MINOR,
  supportedExtensions: readonly string[] = [],
): NegotiateProtocolVersionMessage | undefined {
  const unrecognizedOptions = protocolExtensions(message).filter((name) => !supportedExtensions.includes(name));
  const requested = message.protocolVersion;
  if (requested.minor <= newestMinor && unrecognizedOptions.length === 0) return undefined;
  return {
    kind: 'NegotiateProtocolVersion',
    newestVersion: { major: requested.major, minor: Math.min(requested.minor, newestMinor) },
    unrecognizedOptions,
  };
}
