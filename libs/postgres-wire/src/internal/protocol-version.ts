import type { ProtocolVersion } from '../frontend/frontend-messages.js';

/** The wire form of a protocol version: one Int32, major << 16 | minor (3.0 = 196608, 3.2 = 196610). */
export function protocolVersionCode({ major, minor }: ProtocolVersion): number {
  if (!Number.isInteger(major) || major < 0 || major > 0xffff || !Number.isInteger(minor) || minor < 0 || minor > 0xffff) {
    throw new RangeError('protocol version parts must be integers in 0..65535');
  }
  return major * 0x10000 + minor;
}

export function protocolVersionFromCode(code: number): ProtocolVersion {
  return { major: code >>> 16, minor: code & 0xffff };
}
