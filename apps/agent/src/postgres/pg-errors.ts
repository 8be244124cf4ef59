import { encodeBackendMessage } from '@sluice/postgres-wire';

/**
 * SQLSTATEs Sluice itself sends (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 * Only these deliberate, protocol-native errors reach a client; internal errors are logged and
 * turned into one of them.
 */
export const SqlState = {
  /** Refused by policy. */
  InsufficientPrivilege: '42501',
  /** Token refused at authentication. */
  InvalidPassword: '28P01',
  /** Not allowed to connect (policy, revoked, TLS required, unsupported startup options). */
  InvalidAuthorizationSpecification: '28000',
  InvalidCatalogName: '3D000',
  ProtocolViolation: '08P01',
  /** No control plane link: nothing can be decided. */
  ConnectionFailure: '08006',
  CannotConnectNow: '57P03',
  /** The session was ended by an administrator (revocation, termination, token expiry, shutdown). */
  AdminShutdown: '57P01',
  FeatureNotSupported: '0A000',
  /** The statement is larger than Sluice classifies. */
  ProgramLimitExceeded: '54000',
  /** EXECUTE of a prepared statement Sluice never saw prepared. */
  InvalidSqlStatementName: '26000',
  /** FETCH/MOVE of a cursor Sluice never saw declared or bound. */
  InvalidCursorName: '34000',
  /** The recording queue is full: refusing rather than running unrecorded. */
  ConfigurationLimitExceeded: '53400',
  InternalError: 'XX000',
} as const;
export type SqlState = (typeof SqlState)[keyof typeof SqlState];

export interface SluiceError {
  readonly severity: 'ERROR' | 'FATAL';
  readonly code: SqlState;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/** An ErrorResponse frame; every message Sluice sends is prefixed so users know who refused. */
export function errorFrame(error: SluiceError): Buffer {
  return encodeBackendMessage({
    kind: 'ErrorResponse',
    severity: error.severity,
    severityNonLocalized: error.severity,
    code: error.code,
    message: `sluice: ${error.message}`,
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
  });
}

export function noticeFrame(message: string, detail?: string): Buffer {
  return encodeBackendMessage({
    kind: 'NoticeResponse',
    severity: 'NOTICE',
    severityNonLocalized: 'NOTICE',
    code: '00000',
    message: `sluice: ${message}`,
    ...(detail !== undefined ? { detail } : {}),
  });
}
