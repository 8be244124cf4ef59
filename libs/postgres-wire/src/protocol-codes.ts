// Wire constants of the PostgreSQL frontend/backend protocol, version 3.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

/** Type bytes of messages a client (frontend) sends once the startup packet is done. */
export const FrontendMessageCode = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this byte; context tells them apart. */
  AuthenticationResponse: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const;

/** Type bytes of messages a server (backend) sends. */
export const BackendMessageCode = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyBothResponse: 0x57, // W
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const;

/**
 * The int32 after the length of an untyped startup-phase packet. The "request codes" are
 * pseudo protocol versions 1234.5678, 1234.5679 and 1234.5680.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export const StartupCode = {
  CancelRequest: 80877102, // 1234.5678
  SSLRequest: 80877103, // 1234.5679
  GSSENCRequest: 80877104, // 1234.5680
  /** Protocol 3.0, what libpq up to PostgreSQL 18 requests by default. */
  Protocol30: 196608, // 3.0
  /** Protocol 3.2 (PostgreSQL 18): variable-length cancel keys. */
  Protocol32: 196610, // 3.2
} as const;

/** The int32 subtype of an Authentication ('R') message. */
export const AuthenticationCode = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** First byte of a TLS record carrying a handshake: a ClientHello sent without SSLRequest (PG 17 `sslnegotiation=direct`). */
export const TLS_HANDSHAKE_RECORD = 0x16;

/** Single-byte answers to SSLRequest / GSSENCRequest (not framed as messages). */
export const EncryptionResponseByte = {
  SSLAccepted: 0x53, // S
  GSSAccepted: 0x47, // G
  Rejected: 0x4e, // N
} as const;

/** Length of the type byte plus the int32 length that start every typed message. */
export const MESSAGE_HEADER_LENGTH = 5;

/** Defaults for the size limits; both are configurable per decoder. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;
/** PostgreSQL's own MAX_STARTUP_PACKET_LENGTH (src/include/libpq/pqcomm.h). */
export const DEFAULT_MAX_STARTUP_PACKET_LENGTH = 10_000;

/** Cancel keys are 4 bytes in protocol 3.0 and up to 256 bytes in 3.2. */
export const MIN_CANCEL_KEY_LENGTH = 4;
export const MAX_CANCEL_KEY_LENGTH = 256;
