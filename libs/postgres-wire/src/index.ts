// @sluice/postgres-wire: a pure, chunk-safe codec for the PostgreSQL frontend/backend protocol v3
// (3.0 and 3.2), plus the SCRAM-SHA-256 client the proxy needs towards the real server.
// No sockets, timers or process state. See docs/postgres-wire.md.

export { DecodeError, type DecodeErrorCode } from './decode-error.js';
export {
  AuthenticationCode,
  BackendMessageCode,
  DEFAULT_MAX_MESSAGE_LENGTH,
  DEFAULT_MAX_STARTUP_PACKET_LENGTH,
  EncryptionResponseByte,
  FrontendMessageCode,
  MAX_CANCEL_KEY_LENGTH,
  MIN_CANCEL_KEY_LENGTH,
  StartupCode,
} from './protocol-codes.js';

export { FrontendDecoder, type FrontendDecoderOptions, type FrontendPhase } from './frontend/frontend-decoder.js';
export { encodeFrontendMessage } from './frontend/frontend-encoder.js';
export {
  encodePasswordMessage,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  readPasswordMessage,
  readSASLInitialResponse,
  readSASLResponse,
  type SASLInitialResponse,
} from './frontend/password-message.js';
export { protocolExtensions, requiresProtocolNegotiation, SUPPORTED_PROTOCOL_MINOR } from './frontend/startup-parameters.js';
export type {
  AuthenticationResponseMessage,
  BindMessage,
  CancelRequestMessage,
  CloseMessage,
  CopyDataMessage,
  CopyDoneMessage,
  CopyFailMessage,
  DecodedFrontendMessage,
  DescribeMessage,
  DirectTLSMessage,
  ExecuteMessage,
  FlushMessage,
  FrontendMessage,
  FunctionCallMessage,
  GSSENCRequestMessage,
  ParseMessage,
  PortalOrStatement,
  ProtocolVersion,
  QueryMessage,
  SSLRequestMessage,
  StartupMessage,
  StartupPacket,
  SyncMessage,
  TerminateMessage,
} from './frontend/frontend-messages.js';

export { BackendDecoder, type BackendDecoderOptions } from './backend/backend-decoder.js';
export { decodeBackendMessage } from './backend/backend-parsers.js';
export { encodeBackendMessage, encodeGSSENCResponse, encodeSSLResponse } from './backend/backend-encoder.js';
export { NOTICE_FIELD_CODES } from './backend/notice-fields.js';
export type {
  AuthenticationCleartextPassword,
  AuthenticationGSS,
  AuthenticationGSSContinue,
  AuthenticationKerberosV5,
  AuthenticationMD5Password,
  AuthenticationMessage,
  AuthenticationOk,
  AuthenticationSASL,
  AuthenticationSASLContinue,
  AuthenticationSASLFinal,
  AuthenticationSSPI,
  BackendFrame,
  BackendKeyDataMessage,
  BackendMessage,
  BindCompleteMessage,
  CloseCompleteMessage,
  ColumnDescription,
  CommandCompleteMessage,
  CopyResponseMessage,
  DataRowMessage,
  EmptyQueryResponseMessage,
  ErrorResponseMessage,
  FunctionCallResponseMessage,
  NegotiateProtocolVersionMessage,
  NoDataMessage,
  NoticeFieldName,
  NoticeFields,
  NoticeResponseMessage,
  NotificationResponseMessage,
  ParameterDescriptionMessage,
  ParameterStatusMessage,
  ParseCompleteMessage,
  PortalSuspendedMessage,
  ReadyForQueryMessage,
  RowDescriptionMessage,
  TransactionStatus,
} from './backend/backend-messages.js';

export {
  chooseSaslMechanism,
  DEFAULT_MAX_SCRAM_ITERATIONS,
  DEFAULT_MIN_SCRAM_ITERATIONS,
  SCRAM_SHA_256,
  ScramError,
  ScramSha256Client,
  type ScramClientOptions,
  type ScramErrorCode,
} from './scram/scram-client.js';
export { saslprep } from './scram/saslprep.js';
