// SCRAM-SHA-256 client (RFC 5802 with RFC 7677), as PostgreSQL uses it, for the proxy's leg to the
// real server. No channel binding: the client advertises "n,,".
// https://www.postgresql.org/docs/current/sasl-authentication.html#SASL-SCRAM-SHA-256

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from './saslprep.js';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

/** RFC 7677 §4: 4096 is the minimum a client should accept. */
export const DEFAULT_MIN_SCRAM_ITERATIONS = 4096;
/** Upper bound so a hostile server cannot make the client burn CPU (the `pg` driver uses the same default). */
export const DEFAULT_MAX_SCRAM_ITERATIONS = 100_000;

const KEY_LENGTH = 32;
const NONCE_BYTES = 18;
/** base64("n,,"): the GS2 header of a client without channel binding. */
const CHANNEL_BINDING_NONE = 'biws';
const GS2_HEADER = 'n,,';

export type ScramErrorCode =
  /** Methods called out of order. */
  | 'invalid_state'
  /** A server message that does not follow the RFC 5802 grammar. */
  | 'malformed_server_message'
  /** The server demanded an extension ("m=") this client does not know. */
  | 'unsupported_extension'
  /** The server nonce does not extend the client nonce, or adds nothing to it. */
  | 'nonce_mismatch'
  | 'iteration_count_out_of_range'
  /** The server-final-message carried "e=". */
  | 'server_error'
  /** The server could not prove it knows the password: possibly not the real server. */
  | 'server_signature_mismatch';

/** A failed SCRAM exchange. Messages never contain the password, keys or proofs. */
export class ScramError extends Error {
  override readonly name = 'ScramError';

  constructor(
    readonly code: ScramErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ScramClientOptions {
  readonly password: string;
  /** Sent in client-first-message. PostgreSQL ignores it (it uses the startup user), so default ''. */
  readonly username?: string;
  readonly minIterations?: number;
  readonly maxIterations?: number;
  /** Fixed client nonce, for test vectors only. Default: 18 random bytes, base64. */
  readonly nonce?: string;
}

/** `failed` is final: a nonce is never reused after a refused step. */
type State = 'initial' | 'first-sent' | 'deriving' | 'final-sent' | 'verified' | 'failed';

/**
 * One SCRAM-SHA-256 exchange:
 *
 * 1. `clientFirstMessage()` → data of SASLInitialResponse (mechanism `SCRAM-SHA-256`);
 * 2. `clientFinalMessage(AuthenticationSASLContinue.data)` → data of SASLResponse;
 * 3. `verifyServerFinal(AuthenticationSASLFinal.data)` → throws unless the server proved it knows the password.
 *
 * Only treat AuthenticationOk as success once `verified` is true: a server that skips SASLFinal
 * has not authenticated itself.
 */
export class ScramSha256Client {
  readonly mechanism = SCRAM_SHA_256;
  private state: State = 'initial';
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | undefined;
  private readonly minIterations: number;
  private readonly maxIterations: number;

  constructor(private readonly options: ScramClientOptions) {
    this.clientNonce = options.nonce ?? randomBytes(NONCE_BYTES).toString('base64');
    if (!isPrintableNonce(this.clientNonce) || this.clientNonce.length === 0)
      throw new TypeError('nonce must be printable ASCII without commas');
    this.clientFirstBare = `n=${escapeSaslName(options.username ?? '')},r=${this.clientNonce}`;
    this.minIterations = options.minIterations ?? DEFAULT_MIN_SCRAM_ITERATIONS;
    this.maxIterations = options.maxIterations ?? DEFAULT_MAX_SCRAM_ITERATIONS;
  }

  /** True once the server signature in server-final-message checked out. */
  get verified(): boolean {
    return this.state === 'verified';
  }

  /** client-first-message: `n,,n=<user>,r=<nonce>`. */
  clientFirstMessage(): Buffer {
    this.expectState('initial');
    this.state = 'first-sent';
    return Buffer.from(GS2_HEADER + this.clientFirstBare, 'utf8');
  }

  /** Checks server-first-message and returns client-final-message with the proof. */
  async clientFinalMessage(serverFirst: Buffer): Promise<Buffer> {
    this.expectState('first-sent');
    this.state = 'deriving'; // a second call while PBKDF2 runs is out of order too
    try {
      return await this.buildClientFinal(serverFirst);
    } catch (error) {
      this.state = 'failed';
      throw error;
    }
  }

  /** Checks server-final-message (`v=<signature>`); throws ScramError unless the signature matches. */
  verifyServerFinal(serverFinal: Buffer): void {
    this.expectState('final-sent');
    try {
      this.checkServerFinal(serverFinal);
      this.state = 'verified';
    } catch (error) {
      this.state = 'failed';
      throw error;
    }
  }

  private async buildClientFinal(serverFirst: Buffer): Promise<Buffer> {
    const serverFirstText = serverFirst.toString('utf8');
    const { nonce, salt, iterations } = this.parseServerFirst(serverFirstText);
    const withoutProof = `c=${CHANNEL_BINDING_NONE},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirstText},${withoutProof}`;

    const saltedPassword = await pbkdf2Async(Buffer.from(saslprep(this.options.password), 'utf8'), salt, iterations, KEY_LENGTH, 'sha256');
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.allocUnsafe(KEY_LENGTH);
    for (let i = 0; i < KEY_LENGTH; i++) proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    this.expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
    this.state = 'final-sent';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private checkServerFinal(serverFinal: Buffer): void {
    const expected = this.expectedServerSignature;
    if (expected === undefined) throw new ScramError('invalid_state', 'no server signature computed');
    const first = serverFinal.toString('utf8').split(',')[0] ?? '';
    if (first.startsWith('e=')) {
      const reason = first.slice(2);
      throw new ScramError(
        'server_error',
        /^[a-z-]{1,64}$/.test(reason) ? `server rejected SCRAM authentication: ${reason}` : 'server rejected SCRAM authentication',
      );
    }
    if (!first.startsWith('v=')) throw new ScramError('malformed_server_message', 'server-final-message has no verifier');
    const signature = decodeBase64(first.slice(2));
    if (signature === undefined) throw new ScramError('malformed_server_message', 'server signature is not base64');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new ScramError('server_signature_mismatch', 'server signature does not match: the server did not prove it knows the password');
    }
  }

  /** RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]. */
  private parseServerFirst(text: string): { nonce: string; salt: Buffer; iterations: number } {
    const parts = text.split(',');
    const [r, s, i] = parts;
    if (r?.startsWith('m=')) throw new ScramError('unsupported_extension', 'server requires an unsupported SCRAM extension');
    if (r === undefined || s === undefined || i === undefined || !r.startsWith('r=') || !s.startsWith('s=') || !i.startsWith('i=')) {
      throw new ScramError('malformed_server_message', 'server-first-message must be r=…,s=…,i=…');
    }
    const nonce = r.slice(2);
    if (!isPrintableNonce(nonce)) throw new ScramError('malformed_server_message', 'server nonce has non-printable characters');
    if (!nonce.startsWith(this.clientNonce)) throw new ScramError('nonce_mismatch', 'server nonce does not start with the client nonce');
    if (nonce.length === this.clientNonce.length) throw new ScramError('nonce_mismatch', 'server nonce adds nothing to the client nonce');
    const salt = decodeBase64(s.slice(2));
    if (salt === undefined || salt.length === 0) throw new ScramError('malformed_server_message', 'salt is not non-empty base64');
    const digits = i.slice(2);
    if (!isDecimal(digits)) throw new ScramError('malformed_server_message', 'iteration count is not a decimal number');
    const iterations = Number(digits);
    if (iterations < this.minIterations || iterations > this.maxIterations) {
      throw new ScramError(
        'iteration_count_out_of_range',
        `iteration count ${digits.length > 12 ? 'huge' : iterations} outside ${this.minIterations}..${this.maxIterations}`,
      );
    }
    return { nonce, salt, iterations };
  }

  private expectState(state: State): void {
    if (this.state !== state) throw new ScramError('invalid_state', `SCRAM step out of order (in ${this.state}, expected ${state})`);
  }
}

/** PostgreSQL offers SCRAM-SHA-256-PLUS too when on TLS; this client speaks plain SCRAM-SHA-256 only. */
export function chooseSaslMechanism(offered: readonly string[]): typeof SCRAM_SHA_256 | undefined {
  return offered.includes(SCRAM_SHA_256) ? SCRAM_SHA_256 : undefined;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 5802 saslname: ',' and '=' are escaped as =2C and =3D. */
function escapeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** printable = %x21-2B / %x2D-7E (printable ASCII except ','). */
function isPrintableNonce(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x2c) return false;
  }
  return true;
}

function isDecimal(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Strict base64 (Buffer.from silently skips invalid characters, which we must not accept). */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    const padding = c === 0x3d && i >= text.length - 2 && (i === text.length - 1 || text.charCodeAt(text.length - 1) === 0x3d);
    if (!alnum && !padding) return undefined;
  }
  return Buffer.from(text, 'base64');
}
