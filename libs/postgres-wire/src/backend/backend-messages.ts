// Messages a server (backend) sends, as typed values.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

import type { CopyDataMessage, CopyDoneMessage, ProtocolVersion } from '../frontend/frontend-messages.js';

/** One framed backend message: its type byte and its exact wire bytes (header included). */
export interface BackendFrame {
  readonly type: number;
  readonly raw: Buffer;
}

// ---- Authentication ('R') ----------------------------------------------------------------------

export interface AuthenticationOk {
  readonly kind: 'AuthenticationOk';
}
export interface AuthenticationKerberosV5 {
  readonly kind: 'AuthenticationKerberosV5';
}
export interface AuthenticationCleartextPassword {
  readonly kind: 'AuthenticationCleartextPassword';
}
export interface AuthenticationMD5Password {
  readonly kind: 'AuthenticationMD5Password';
  /** Four bytes. */
  readonly salt: Buffer;
}
export interface AuthenticationGSS {
  readonly kind: 'AuthenticationGSS';
}
export interface AuthenticationGSSContinue {
  readonly kind: 'AuthenticationGSSContinue';
  readonly data: Buffer;
}
export interface AuthenticationSSPI {
  readonly kind: 'AuthenticationSSPI';
}
export interface AuthenticationSASL {
  readonly kind: 'AuthenticationSASL';
  /** In the server's order of preference, e.g. ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']. */
  readonly mechanisms: readonly string[];
}
export interface AuthenticationSASLContinue {
  readonly kind: 'AuthenticationSASLContinue';
  /** SCRAM server-first-message. */
  readonly data: Buffer;
}
export interface AuthenticationSASLFinal {
  readonly kind: 'AuthenticationSASLFinal';
  /** SCRAM server-final-message. */
  readonly data: Buffer;
}

export type AuthenticationMessage =
  | AuthenticationOk
  | AuthenticationKerberosV5
  | AuthenticationCleartextPassword
  | AuthenticationMD5Password
  | AuthenticationGSS
  | AuthenticationGSSContinue
  | AuthenticationSSPI
  | AuthenticationSASL
  | AuthenticationSASLContinue
  | AuthenticationSASLFinal;

// ---- Session setup -----------------------------------------------------------------------------

export interface ParameterStatusMessage {
  readonly kind: 'ParameterStatus';
  readonly name: string;
  readonly value: string;
}

/** Cancellation key. The secret is 4 bytes in protocol 3.0, up to 256 in 3.2 (PostgreSQL 18 sends 32). */
export interface BackendKeyDataMessage {
  readonly kind: 'BackendKeyData';
  readonly processId: number;
  readonly secretKey: Buffer;
}

/**
 * The server supports an older minor version, or not all `_pq_.` options the client asked for.
 * On the wire the version is one Int32, major << 16 | minor (e.g. 196610 for 3.2).
 */
export interface NegotiateProtocolVersionMessage {
  readonly kind: 'NegotiateProtocolVersion';
  /** Newest version the server supports within the major version the client requested. */
  readonly newestVersion: ProtocolVersion;
  readonly unrecognizedOptions: readonly string[];
}

/** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

export interface ReadyForQueryMessage {
  readonly kind: 'ReadyForQuery';
  readonly status: TransactionStatus;
}

// ---- Errors and notices ------------------------------------------------------------------------

/**
 * Fields of ErrorResponse / NoticeResponse by name. Severity, code and message are always present;
 * the rest only when the server sent them. Field codes a frontend does not know are skipped, as the
 * protocol asks. https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export interface NoticeFields {
  /** S: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO, LOG (possibly localized). */
  readonly severity: string;
  /** V: the severity, never localized (PostgreSQL 9.6+). */
  readonly severityNonLocalized?: string;
  /** C: SQLSTATE code. */
  readonly code: string;
  /** M: primary message. */
  readonly message: string;
  /** D */
  readonly detail?: string;
  /** H */
  readonly hint?: string;
  /** P: 1-based character index into the query string, in decimal. */
  readonly position?: string;
  /** p */
  readonly internalPosition?: string;
  /** q */
  readonly internalQuery?: string;
  /** W */
  readonly where?: string;
  /** s */
  readonly schema?: string;
  /** t */
  readonly table?: string;
  /** c */
  readonly column?: string;
  /** d */
  readonly dataType?: string;
  /** n */
  readonly constraint?: string;
  /** F */
  readonly file?: string;
  /** L */
  readonly line?: string;
  /** R */
  readonly routine?: string;
}

export type NoticeFieldName = keyof NoticeFields;

export interface ErrorResponseMessage extends NoticeFields {
  readonly kind: 'ErrorResponse';
}

export interface NoticeResponseMessage extends NoticeFields {
  readonly kind: 'NoticeResponse';
}

// ---- Query results -----------------------------------------------------------------------------

export interface ColumnDescription {
  readonly name: string;
  /** OID of the source table, or 0 when the column is not a plain table column. */
  readonly tableOid: number;
  /** Attribute number of the column in that table (negative for system columns), or 0. */
  readonly columnAttr: number;
  readonly typeOid: number;
  /** pg_type.typlen: -1 varlena, -2 C string. */
  readonly typeSize: number;
  /** pg_attribute.atttypmod; -1 when not applicable. */
  readonly typeModifier: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}

export interface RowDescriptionMessage {
  readonly kind: 'RowDescription';
  readonly columns: readonly ColumnDescription[];
}

export interface DataRowMessage {
  readonly kind: 'DataRow';
  /** Column values as slices of the message; null is SQL NULL. */
  readonly values: readonly (Buffer | null)[];
}

export interface CommandCompleteMessage {
  readonly kind: 'CommandComplete';
  /** E.g. `SELECT 1`, `INSERT 0 3`, `UPDATE 2`. */
  readonly tag: string;
}

export interface EmptyQueryResponseMessage {
  readonly kind: 'EmptyQueryResponse';
}
export interface ParseCompleteMessage {
  readonly kind: 'ParseComplete';
}
export interface BindCompleteMessage {
  readonly kind: 'BindComplete';
}
export interface CloseCompleteMessage {
  readonly kind: 'CloseComplete';
}
export interface NoDataMessage {
  readonly kind: 'NoData';
}
export interface PortalSuspendedMessage {
  readonly kind: 'PortalSuspended';
}

export interface ParameterDescriptionMessage {
  readonly kind: 'ParameterDescription';
  readonly parameterTypes: readonly number[];
}

/** CopyInResponse / CopyOutResponse / CopyBothResponse. */
export interface CopyResponseMessage {
  readonly kind: 'CopyInResponse' | 'CopyOutResponse' | 'CopyBothResponse';
  /** 0 textual, 1 binary. */
  readonly format: number;
  readonly columnFormats: readonly number[];
}

export interface NotificationResponseMessage {
  readonly kind: 'NotificationResponse';
  readonly processId: number;
  readonly channel: string;
  readonly payload: string;
}

export interface FunctionCallResponseMessage {
  readonly kind: 'FunctionCallResponse';
  readonly result: Buffer | null;
}

/** Every backend message that can be encoded (and decodes back to itself). */
export type BackendMessage =
  | AuthenticationMessage
  | ParameterStatusMessage
  | BackendKeyDataMessage
  | NegotiateProtocolVersionMessage
  | ReadyForQueryMessage
  | ErrorResponseMessage
  | NoticeResponseMessage
  | RowDescriptionMessage
  | DataRowMessage
  | CommandCompleteMessage
  | EmptyQueryResponseMessage
  | ParseCompleteMessage
  | BindCompleteMessage
  | CloseCompleteMessage
  | NoDataMessage
  | PortalSuspendedMessage
  | ParameterDescriptionMessage
  | CopyResponseMessage
  | CopyDataMessage
  | CopyDoneMessage
  | NotificationResponseMessage
  | FunctionCallResponseMessage;
