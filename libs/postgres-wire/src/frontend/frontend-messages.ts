// Messages a client (frontend) sends, as typed values.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

// ---- Startup phase: untyped, length-prefixed packets -------------------------------------------

/** Asks to switch to TLS; answered with a single byte 'S' or 'N'. */
export interface SSLRequestMessage {
  readonly kind: 'SSLRequest';
}

/** Asks to switch to GSSAPI encryption; answered with a single byte 'G' or 'N'. */
export interface GSSENCRequestMessage {
  readonly kind: 'GSSENCRequest';
}

/**
 * Sent on a new connection to cancel a query on another one; gets no reply.
 * The secret key is 4 bytes in protocol 3.0 and 4..256 bytes in 3.2.
 */
export interface CancelRequestMessage {
  readonly kind: 'CancelRequest';
  readonly processId: number;
  readonly secretKey: Buffer;
}

export interface ProtocolVersion {
  /** Always 3: other majors are refused while decoding. */
  readonly major: number;
  /** 0 and 2 exist today; a higher minor must be answered with NegotiateProtocolVersion. */
  readonly minor: number;
}

/**
 * Opens a session. Parameters keep the client's order; names are unique (duplicates are refused
 * while decoding). Names starting with `_pq_.` are protocol extensions the server must either
 * support or list in NegotiateProtocolVersion.
 */
export interface StartupMessage {
  readonly kind: 'StartupMessage';
  readonly protocolVersion: ProtocolVersion;
  readonly parameters: ReadonlyMap<string, string>;
}

// ---- Message phase: typed messages -------------------------------------------------------------

/** 'p': PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse. Which one depends on the authentication exchange, so the body stays raw; see `password-message.ts` for readers. */
export interface AuthenticationResponseMessage {
  readonly kind: 'AuthenticationResponse';
  readonly body: Buffer;
}

/** Simple query: one string that may hold several statements. */
export interface QueryMessage {
  readonly kind: 'Query';
  readonly sql: string;
}

export interface ParseMessage {
  readonly kind: 'Parse';
  /** Prepared statement name; '' is the unnamed statement. */
  readonly name: string;
  readonly sql: string;
  /** Parameter type OIDs the client pre-specifies (0 = unspecified). */
  readonly parameterTypes: readonly number[];
}

export interface BindMessage {
  readonly kind: 'Bind';
  /** Destination portal; '' is the unnamed portal. */
  readonly portal: string;
  readonly statement: string;
  /** Format codes (0 text, 1 binary): none (all text), one (for all), or one per parameter. */
  readonly parameterFormats: readonly number[];
  /** Parameter values as slices of the message; null is SQL NULL. */
  readonly parameters: readonly (Buffer | null)[];
  /** Result column format codes: none (all text), one (for all), or one per column. */
  readonly resultFormats: readonly number[];
}

export type PortalOrStatement = 'S' | 'P';

export interface DescribeMessage {
  readonly kind: 'Describe';
  /** 'S' prepared statement, 'P' portal. */
  readonly target: PortalOrStatement;
  readonly name: string;
}

export interface ExecuteMessage {
  readonly kind: 'Execute';
  readonly portal: string;
  /** Row limit; 0 (or negative, as PostgreSQL reads it) means no limit. */
  readonly maxRows: number;
}

export interface SyncMessage {
  readonly kind: 'Sync';
}

export interface FlushMessage {
  readonly kind: 'Flush';
}

export interface CloseMessage {
  readonly kind: 'Close';
  readonly target: PortalOrStatement;
  readonly name: string;
}

/** COPY data, in either direction (the same layout from client and server). */
export interface CopyDataMessage {
  readonly kind: 'CopyData';
  readonly data: Buffer;
}

export interface CopyDoneMessage {
  readonly kind: 'CopyDone';
}

export interface CopyFailMessage {
  readonly kind: 'CopyFail';
  readonly message: string;
}

export interface TerminateMessage {
  readonly kind: 'Terminate';
}

/** Legacy fast-path function call. Decoded so a proxy can refuse it with a clear reason. */
export interface FunctionCallMessage {
  readonly kind: 'FunctionCall';
  readonly functionOid: number;
  readonly argumentFormats: readonly number[];
  readonly arguments: readonly (Buffer | null)[];
  readonly resultFormat: number;
}

/** Every frontend message that can be encoded (and decodes back to itself). */
export type FrontendMessage =
  | SSLRequestMessage
  | GSSENCRequestMessage
  | CancelRequestMessage
  | StartupMessage
  | AuthenticationResponseMessage
  | QueryMessage
  | ParseMessage
  | BindMessage
  | DescribeMessage
  | ExecuteMessage
  | SyncMessage
  | FlushMessage
  | CloseMessage
  | CopyDataMessage
  | CopyDoneMessage
  | CopyFailMessage
  | TerminateMessage
  | FunctionCallMessage;

/** The kinds that arrive in the startup phase. */
export type StartupPacket = SSLRequestMessage | GSSENCRequestMessage | CancelRequestMessage | StartupMessage;

/**
 * The client opened with a TLS ClientHello instead of SSLRequest (PostgreSQL 17 `sslnegotiation=direct`).
 * `raw` holds every byte received so far; hand them, then the socket, to the TLS layer.
 */
export interface DirectTLSMessage {
  readonly kind: 'DirectTLS';
  readonly raw: Buffer;
}

/** What the decoder yields: a message plus its exact wire bytes, for forwarding unchanged. */
export type DecodedFrontendMessage = (FrontendMessage & { readonly raw: Buffer }) | DirectTLSMessage;
