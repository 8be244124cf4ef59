import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Where a cancel request must really go. */
export interface BackendCancelTarget {
  readonly host: string;
  readonly port: number;
  readonly processId: number;
  readonly secretKey: Buffer;
}

interface Issued {
  readonly secretKey: Buffer;
  readonly target: BackendCancelTarget;
}

/**
 * Clients get Sluice-issued BackendKeyData, never the real backend's: a cancel request arrives on a
 * new, unauthenticated connection, so the key is its only credential. We map it back to the real
 * backend key and send the cancel ourselves.
 */
export class CancelRegistry {
  private readonly issued = new Map<number, Issued>();

  /** A fresh key for a session; `keyLength` 4 for protocol 3.0, up to 256 for 3.2 (we use 32). */
  issue(target: BackendCancelTarget, keyLength: number): { processId: number; secretKey: Buffer } {
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.issued.has(processId));
    const secretKey = randomBytes(keyLength);
    this.issued.set(processId, { secretKey, target });
    return { processId, secretKey };
  }

  /** The real target for a presented key, or undefined (wrong keys are ignored, as PostgreSQL does). */
  resolve(processId: number, secretKey: Buffer): BackendCancelTarget | undefined {
    const entry = this.issued.get(processId);
    if (!entry || entry.secretKey.length !== secretKey.length) return undefined;
    return timingSafeEqual(entry.secretKey, secretKey) ? entry.target : undefined;
  }

  release(processId: number): void {
    this.issued.delete(processId);
  }
}
