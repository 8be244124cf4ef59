import { randomBytes } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { mergeMaskPlans, type MaskMatcher } from '@sluice/masking';
import {
  BackendMessageCode,
  DecodeError,
  FrontendDecoder,
  decodeBackendMessage,
  encodeBackendMessage,
  encodeFrontendMessage,
  encodeSSLResponse,
  encodeGSSENCResponse,
  readPasswordMessage,
  requiresProtocolNegotiation,
  type BackendFrame,
  type ColumnDescription,
  type DecodedFrontendMessage,
  type ErrorResponseMessage,
  type StartupMessage,
} from '@sluice/postgres-wire';
import type { Logger } from 'pino';
import type { ApprovalWaiters } from '../decisions/approval-waiters.js';
import { DecisionCache } from '../decisions/decision-cache.js';
import type { ControlPlaneClient } from '../link/control-plane-client.js';
import type { AgentDecision, CommandFacts, SessionPrincipal } from '../link/link-types.js';
import type { Recorder, SessionRecorder } from '../recording/recorder.js';
import type { LiveSession, SessionRegistry } from '../sessions/session-registry.js';
import { BackendConnectError, connectBackend, type BackendSession, type BackendTarget } from './backend-connector.js';
import type { CancelRegistry } from './cancel-registry.js';
import type { CatalogResolver } from './catalog-resolver.js';
import { checkStartup, NEWEST_PROTOCOL_MINOR } from './client-startup.js';
import { SqlState, errorFrame, noticeFrame, type SluiceError } from './pg-errors.js';
import { PreparedStatements, type ParsedStatement } from './prepared-statements.js';
import {
  ResponseTracker,
  type CommandRecord,
  type ExecuteColumns,
  type Expectation,
  type PortalInfo,
  type Refusal,
} from './response-tracker.js';
import { ResultMasker, compileMask, type CompiledMask } from './result-masker.js';
import { ResultPreview, previewScrubber, type PreviewLimits } from './result-preview.js';
import { SqlSessionFacts, type SessionEffect, type SessionStatement } from './sql-facts.js';
import type { StatementGate, GateVerdict } from './statement-gate.js';

/** Everything a PostgreSQL client connection needs from the agent. */
export interface PostgresSessionServices {
  readonly connectionName: string;
  readonly target: BackendTarget;
  /** Client-facing TLS; undefined only when plaintext is allowed. */
  readonly tls: SecureContext | undefined;
  /** Accept clients without TLS, from loopback addresses only. */
  readonly allowPlaintextOnLoopback: boolean;
  readonly maxMessageBytes: number;
  readonly maxStatementBytes: number;
  readonly controlPlane: ControlPlaneClient;
  readonly gate: StatementGate;
  readonly recorder: Recorder;
  readonly sessions: SessionRegistry;
  readonly cancels: CancelRegistry;
  readonly catalog: CatalogResolver;
  readonly hashKey: Uint8Array;
  readonly approvals: ApprovalWaiters;
  /** Rows of each result recorded for replay (0: none). */
  readonly preview: PreviewLimits;
  readonly logger: Logger;
}

type Phase = 'startup' | 'password' | 'opening' | 'relaying' | 'closed';

/** Inbound messages buffered while a decision is pending; above this we stop reading the client. */
const INBOX_HIGH_WATER = 256;
/** A client must finish startup and authentication within this time. */
const AUTHENTICATION_TIMEOUT_MS = 30_000;

const compiledMasks = new WeakMap<AgentDecision, CompiledMask>();

/**
 * Classes of statements that may change how the server reads the SQL that follows
 * (standard_conforming_strings, client_encoding): SET of those, and anything that runs code Sluice
 * cannot see. The session does not forward another statement until the server has answered one of
 * these — and a change it reports ends the session — so a pipelined statement is never read by the
 * server differently from how it was classified.
 */
const MAY_CHANGE_SYNTAX: ReadonlySet<string> = new Set([
  'sql.utility.set-syntax',
  'sql.utility.reset',
  'sql.utility.discard',
  'sql.utility.do',
  'sql.utility.call',
  'sql.utility.load',
  'sql.function.side-effects',
  'sql.unknown',
  'sql.unparseable',
]);

/** Binds of one portal name kept at once (a second Bind of a name fails on the server; more is refused). */
const MAX_BINDS_PER_PORTAL = 32;

/** Messages that wait behind such a statement (COPY data, Sync, Flush and Terminate never wait). */
const WAITS_BEHIND_SYNTAX_CHANGE: ReadonlySet<DecodedFrontendMessage['kind']> = new Set([
  'Query',
  'Parse',
  'Bind',
  'Describe',
  'Execute',
  'Close',
  'FunctionCall',
]);

/**
 * One client connection through the agent: TLS and startup, the token as password, a session opened
 * on the control plane, a backend connection with the agent's credentials, then every statement
 * classified, decided and forwarded — or refused — with results masked per the decision.
 *
 * Refusals use a "poison": the refused message is replaced by one the real server must fail (an
 * unparseable statement carrying a unique token), so the server itself applies PostgreSQL's error
 * semantics (abort the transaction, skip to Sync, the right ReadyForQuery status). We swap its error
 * for ours on the way back.
 */
export class PostgresSession implements LiveSession {
  private phase: Phase = 'startup';
  private client: Socket;
  private decoder: FrontendDecoder;
  private readonly inbox: DecodedFrontendMessage[] = [];
  private draining = false;
  private readonly peer: string;
  private readonly logger: Logger;

  private protocolMinor = 0;
  private clientUser = '';
  private applicationName = '';
  private backendParameters: ReadonlyMap<string, string> = new Map();

  private backend: BackendSession | undefined;
  private backendOut: Buffer[] = [];
  private readonly backendInbox: BackendFrame[] = [];
  private backendDraining = false;

  private opened: { sessionId: string; principal: SessionPrincipal; principalKey: string; recorder: SessionRecorder } | undefined;
  private cancelKey: { processId: number } | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly authTimer: NodeJS.Timeout;

  private readonly sqlFacts: SqlSessionFacts;
  private readonly tracker = new ResponseTracker();
  private readonly prepared = new PreparedStatements();
  /** Portals bound through Sluice, by name: every Bind of the name not known to be gone (see PortalInfo). */
  private readonly portals = new Map<string, PortalInfo[]>();
  /**
   * After a statement that may change how SQL is read: 'until-sync' refuses further extended-protocol
   * messages until Sync; 'until-answered' holds the next statement until every answer is in.
   */
  private syntaxBarrier: 'none' | 'until-sync' | 'until-answered' = 'none';
  private answerWaiters: (() => void)[] = [];
  /** Masker of the result set being streamed; undefined = forward DataRows untouched. */
  private currentMasker: ResultMasker | undefined;
  /** The first rows of the result set being streamed, as sent, for the recording. */
  private currentPreview: ResultPreview | undefined;
  private scrubber: MaskMatcher | undefined;
  /** The latest mask decided for this session: asynchronous NotificationResponses are scanned with it. */
  private sessionMask: CompiledMask | undefined;
  private readonly poisonNonce = randomBytes(8).toString('hex');
  /** The approval this session is waiting for, if any (cancelled when the session ends). */
  private heldApproval: { cancel(reason: string): void } | undefined;
  private poisonCounter = 0;

  constructor(
    socket: Socket,
    private readonly services: PostgresSessionServices,
  ) {
    this.client = socket;
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.logger = services.logger.child({ connection: services.connectionName, peer: this.peer });
    this.decoder = new FrontendDecoder({ maxMessageLength: services.maxMessageBytes });
    this.sqlFacts = new SqlSessionFacts(this.prepared, (name) => (this.portals.get(name) ?? []).flatMap((bind) => bind.decided.facts));
    socket.setNoDelay(true);
    this.attachClient(socket);
    this.authTimer = setTimeout(
      () => this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'authentication timed out' }),
      AUTHENTICATION_TIMEOUT_MS,
    );
  }

  // ── LiveSession ────────────────────────────────────────────────────────────────────────────────

  get sessionId(): string {
    return this.opened?.sessionId ?? '';
  }

  get principalId(): string {
    return this.opened?.principal.id ?? '';
  }

  get connection(): string {
    return this.services.connectionName;
  }

  get busy(): boolean {
    return this.tracker.length > 0 || this.inbox.length > 0 || this.heldApproval !== undefined;
  }

  terminate(reason: string, code: 'revoked' | 'terminated' | 'token_expired' | 'agent_shutdown'): void {
    const message =
      code === 'revoked'
        ? `terminated: this principal's access was revoked (${reason})`
        : code === 'token_expired'
          ? 'terminated: the access token expired; reconnect with a new token'
          : `terminated: ${reason}`;
    // PostgreSQL notices a closed connection only when it next writes to it: cancel what is running
    // first, so a revoked principal's long statement does not go on (or commit) after the session ends.
    const backend = this.backend;
    if (backend && this.tracker.length > 0 && code !== 'agent_shutdown') {
      const { host, port } = this.services.target;
      sendCancel({ host, port, processId: backend.processId, secretKey: backend.secretKey }, this.logger);
    }
    this.close(code, { severity: 'FATAL', code: SqlState.AdminShutdown, message });
  }

  // ── client side ────────────────────────────────────────────────────────────────────────────────

  private attachClient(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('error', (error) => this.logger.debug({ err: error }, 'client socket error'));
    socket.on('close', () => this.close('client_closed'));
    socket.on('drain', () => this.backend?.socket.resume());
  }

  private onClientData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    let messages: DecodedFrontendMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      const what = error instanceof DecodeError ? error.code : 'malformed data';
      this.logger.info({ problem: what }, 'client sent an invalid message');
      this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: `invalid message from the client (${what})` });
      return;
    }
    if (messages.length === 0) return;
    this.inbox.push(...messages);
    if (this.inbox.length > INBOX_HIGH_WATER) this.client.pause();
    void this.drainInbox();
  }

  private async drainInbox(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let message = this.inbox.shift(); message; message = this.inbox.shift()) {
        await this.handleClientMessage(message);
        if (this.phase === 'closed') return;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'internal error while handling a client message');
      this.fatal({
        severity: 'FATAL',
        code: SqlState.InternalError,
        message: 'internal error in the Sluice agent; the session was closed',
      });
    } finally {
      this.draining = false;
      this.flushBackend();
      // Only when paused: resume() on a flowing socket still schedules a tick of stream bookkeeping.
      if (this.phase !== 'closed' && this.inbox.length <= INBOX_HIGH_WATER && this.client.isPaused()) this.client.resume();
    }
  }

  private async handleClientMessage(message: DecodedFrontendMessage): Promise<void> {
    switch (this.phase) {
      case 'startup':
        this.handleStartupPacket(message);
        return;
      case 'password':
        await this.handlePassword(message);
        return;
      case 'opening':
        // Authentication is in flight; nothing else may arrive (the decoder would have queued it).
        this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'message received before authentication finished' });
        return;
      case 'relaying':
        await this.relay(message);
        return;
      case 'closed':
        return;
    }
  }

  private handleStartupPacket(message: DecodedFrontendMessage): void {
    switch (message.kind) {
      case 'SSLRequest':
        if (this.services.tls && !(this.client instanceof TLSSocket)) {
          this.client.write(encodeSSLResponse(true));
          this.upgradeToTls(undefined);
        } else this.client.write(encodeSSLResponse(false));
        return;
      case 'GSSENCRequest':
        this.client.write(encodeGSSENCResponse(false));
        return;
      case 'DirectTLS':
        if (!this.services.tls || this.client instanceof TLSSocket) {
          this.close('protocol_error');
          return;
        }
        this.upgradeToTls(message.raw);
        return;
      case 'CancelRequest': {
        const target = this.services.cancels.resolve(message.processId, message.secretKey);
        if (target) sendCancel(target, this.logger);
        this.close('cancel_request');
        return;
      }
      case 'StartupMessage':
        this.handleStartupMessage(message);
        return;
      default:
        this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: `expected a startup packet, got ${message.kind}` });
    }
  }

  private upgradeToTls(alreadyRead: Buffer | undefined): void {
    const tls = this.services.tls;
    if (!tls) return;
    const plain = this.client;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('drain');
    if (alreadyRead) plain.unshift(alreadyRead);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: tls, ALPNProtocols: ['postgresql'] });
    secure.once('secure', () => {
      // Direct TLS (PostgreSQL 17) must negotiate ALPN "postgresql" (protocol-flow "SSL Session Encryption").
      if (alreadyRead && secure.alpnProtocol !== 'postgresql') this.close('protocol_error');
    });
    this.client = secure;
    this.decoder = new FrontendDecoder({ maxMessageLength: this.services.maxMessageBytes });
    this.attachClient(secure);
  }

  private handleStartupMessage(startup: StartupMessage): void {
    const secure = this.client instanceof TLSSocket;
    if (!secure && !(this.services.allowPlaintextOnLoopback && isLoopbackPeer(this.client.remoteAddress))) {
      this.fatal({
        severity: 'FATAL',
        code: SqlState.InvalidAuthorizationSpecification,
        message: 'TLS is required: the access token is sent as a password',
        hint: 'Connect with sslmode=require.',
      });
      return;
    }
    const checked = checkStartup(startup, { name: this.services.connectionName, database: this.services.target.database });
    if (!checked.ok) {
      this.fatal(checked.error);
      return;
    }
    this.protocolMinor = checked.protocolMinor;
    this.clientUser = checked.clientUser;
    this.applicationName = checked.applicationName;
    this.backendParameters = checked.backendParameters;
    const negotiate = requiresProtocolNegotiation(startup, NEWEST_PROTOCOL_MINOR);
    if (negotiate) this.client.write(encodeBackendMessage(negotiate));
    this.decoder.setPhase('messages');
    this.phase = 'password';
    this.client.write(encodeBackendMessage({ kind: 'AuthenticationCleartextPassword' }));
  }

  private async handlePassword(message: DecodedFrontendMessage): Promise<void> {
    if (message.kind !== 'AuthenticationResponse') {
      this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'expected a password message' });
      return;
    }
    let token: string;
    try {
      token = readPasswordMessage(message);
    } catch {
      this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'malformed password message' });
      return;
    }
    this.phase = 'opening';
    let result;
    try {
      result = await this.services.controlPlane.openSession({
        connection: this.services.connectionName,
        token,
        clientAddress: this.peer,
        clientApplication: this.applicationName,
        clientUser: this.clientUser,
      });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'session not opened: no answer from the control plane');
      this.fatal({
        severity: 'FATAL',
        code: SqlState.CannotConnectNow,
        message: 'Sluice cannot reach its control plane right now; try again shortly',
      });
      return;
    }
    if (this.isClosed()) return;
    if (!result.opened) {
      this.logger.info({ code: result.code }, 'session refused');
      const code = result.code === 'invalid_token' ? SqlState.InvalidPassword : SqlState.InvalidAuthorizationSpecification;
      this.fatal({ severity: 'FATAL', code, message: result.message });
      return;
    }

    const { sessionId, principal, tokenExpiresAt } = result;
    const recorder = this.services.recorder.forSession(sessionId);
    this.opened = { sessionId, principal, principalKey: DecisionCache.principalKey(principal), recorder };
    recorder.record('session.opened', {
      protocol: 'postgres',
      connection: this.services.connectionName,
      clientAddress: this.peer,
      clientApplication: this.applicationName,
      clientUser: this.clientUser,
      principal: {
        id: principal.id,
        kind: principal.kind,
        displayName: principal.displayName,
        groups: principal.groups,
        roles: principal.roles,
        appId: principal.appId,
      },
    });

    let backend: BackendSession;
    try {
      backend = await connectBackend(this.services.target, this.backendParameters);
    } catch (error) {
      const detail = error instanceof BackendConnectError ? error.message : 'unexpected error';
      this.logger.warn({ problem: detail }, 'could not connect to the target database');
      this.close('backend_unavailable', {
        severity: 'FATAL',
        code: SqlState.ConnectionFailure,
        message: 'the target database is unavailable',
      });
      return;
    }
    if (this.isClosed()) {
      backend.socket.destroy();
      return;
    }
    const unsafe = backend.parameterFrames
      .map((raw) => decodeBackendMessage({ type: raw[0] ?? 0, raw }))
      .find((m) => m.kind === 'ParameterStatus' && unsafeSetting(m.name, m.value));
    if (unsafe?.kind === 'ParameterStatus') {
      // e.g. ALTER ROLE … SET standard_conforming_strings = off on the target.
      backend.socket.destroy();
      this.logger.warn({ parameter: unsafe.name, value: unsafe.value }, 'the target database starts sessions with an unsafe setting');
      this.close('unsafe_setting', {
        severity: 'FATAL',
        code: SqlState.InsufficientPrivilege,
        message: `the target database reports ${unsafe.name} = ${unsafe.value}; Sluice cannot classify statements safely under it`,
      });
      return;
    }
    clearTimeout(this.authTimer);
    this.backend = backend;
    const key = this.services.cancels.issue(
      { host: this.services.target.host, port: this.services.target.port, processId: backend.processId, secretKey: backend.secretKey },
      this.protocolMinor >= 2 ? 32 : 4,
    );
    this.cancelKey = { processId: key.processId };
    this.services.sessions.add(this);
    this.scheduleExpiry(tokenExpiresAt);

    this.client.cork();
    this.client.write(encodeBackendMessage({ kind: 'AuthenticationOk' }));
    for (const frame of backend.parameterFrames) this.client.write(frame);
    this.client.write(encodeBackendMessage({ kind: 'BackendKeyData', processId: key.processId, secretKey: key.secretKey }));
    this.client.write(encodeBackendMessage({ kind: 'ReadyForQuery', status: 'I' }));
    this.client.uncork();

    this.phase = 'relaying';
    this.logger.info({ sessionId, principalId: principal.id }, 'postgres session started');
    this.attachBackend(backend);
  }

  private scheduleExpiry(expiresAt: Date): void {
    const delay = expiresAt.getTime() - Date.now();
    // setTimeout holds at most ~24.8 days; tokens never live that long.
    this.expiryTimer = setTimeout(() => this.terminate('token expired', 'token_expired'), Math.max(0, Math.min(delay, 2 ** 31 - 1)));
  }

  // ── relaying: client → backend ───────────────────────────────────────────────────────────────────

  private async relay(message: DecodedFrontendMessage): Promise<void> {
    if (this.syntaxBarrier !== 'none' && WAITS_BEHIND_SYNTAX_CHANGE.has(message.kind)) {
      if (this.syntaxBarrier === 'until-sync') {
        this.refuseBeforeSync(message);
        return;
      }
      await this.allAnswered();
      if (this.isClosed()) return;
      this.syntaxBarrier = 'none';
    }
    switch (message.kind) {
      case 'Query':
        await this.relayQuery(message.sql, message.raw);
        return;
      case 'Parse':
        await this.relayParse(message.name, message.sql, message.raw);
        return;
      case 'Bind':
        await this.relayBind(message.portal, message.statement, message.resultFormats, message.raw);
        return;
      case 'Describe':
        this.toBackend(message.raw);
        this.tracker.expect({
          kind: 'describe',
          masked:
            message.target === 'S'
              ? (this.prepared.get(message.name)?.masked ?? false)
              : (this.portals.get(message.name) ?? []).some((bind) => bind.decided.mask !== undefined),
          internal: undefined,
        });
        return;
      case 'Execute':
        await this.relayExecute(message.portal, message.raw);
        return;
      case 'Close': {
        let onSuccess: (() => void) | undefined;
        if (message.target === 'S') {
          const seq = this.prepared.next();
          onSuccess = () => this.prepared.forget(message.name, seq);
        } else this.portals.delete(message.name);
        this.toBackend(message.raw);
        this.tracker.expect({ kind: 'close', onSuccess });
        return;
      }
      case 'Sync':
        this.toBackend(message.raw);
        this.tracker.expect({ kind: 'sync', seq: this.prepared.next() });
        this.portals.delete('');
        if (this.syntaxBarrier === 'until-sync') this.syntaxBarrier = 'until-answered';
        return;
      case 'Flush':
      case 'CopyData':
      case 'CopyDone':
      case 'CopyFail':
        this.toBackend(message.raw);
        return;
      case 'FunctionCall':
        // The fast-path function call interface bypasses SQL entirely: always refused.
        this.poisonQuery(
          this.refusal({
            severity: 'ERROR',
            code: SqlState.FeatureNotSupported,
            message: 'the function-call protocol message is not supported',
          }),
        );
        return;
      case 'Terminate':
        this.toBackend(message.raw);
        this.flushBackend();
        this.close('client_closed');
        return;
      case 'AuthenticationResponse':
      case 'SSLRequest':
      case 'GSSENCRequest':
      case 'CancelRequest':
      case 'StartupMessage':
      case 'DirectTLS':
        this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: `unexpected ${message.kind} after startup` });
        return;
    }
  }

  private async relayQuery(sql: string, raw: Buffer): Promise<void> {
    const classified = this.classify(sql);
    if ('refusal' in classified) {
      this.poisonQuery(this.refusal(classified.refusal));
      return;
    }
    const facts = classified.statements.map((s) => s.facts);
    const verdict = await this.decideAll(facts, 'query');
    if (!verdict.allowed) {
      this.poisonQuery(this.refusal(verdict.error), facts);
      return;
    }
    const commands = classified.statements.map((statement) => this.commandRecord(statement));
    this.toBackend(raw);
    this.tracker.expect({
      kind: 'query',
      mask: verdict.mask,
      tables: verdict.mask ? tablesOf(facts) : [],
      commands,
      refusal: undefined,
      completed: 0,
      seq: this.prepared.next(),
    });
    if (facts.some((f) => f.classes.some((c) => MAY_CHANGE_SYNTAX.has(c)))) this.syntaxBarrier = 'until-answered';
  }

  /**
   * Classifies SQL text for the session, or says why it must be refused whatever policy says: too
   * large to classify (a catch-all allow must not run what nobody read), or an EXECUTE of a name
   * Sluice never saw prepared.
   */
  private classify(sql: string): { statements: SessionStatement[] } | { refusal: SluiceError } {
    const bytes = Buffer.byteLength(sql, 'utf8');
    if (bytes > this.services.maxStatementBytes) {
      return {
        refusal: {
          severity: 'ERROR',
          code: SqlState.ProgramLimitExceeded,
          message: `the statement is ${bytes} bytes; Sluice classifies statements of up to ${this.services.maxStatementBytes} bytes`,
          hint: 'Split it, or pass large values as parameters (extended protocol).',
        },
      };
    }
    const statements = this.sqlFacts.statements(sql);
    const refused = statements.find((s) => s.refusal !== undefined)?.refusal;
    if (refused) {
      const code =
        refused.code === 'unknown-name'
          ? SqlState.InvalidSqlStatementName
          : refused.code === 'unknown-cursor'
            ? SqlState.InvalidCursorName
            : SqlState.ProgramLimitExceeded;
      return { refusal: { severity: 'ERROR', code, message: refused.message } };
    }
    return { statements };
  }

  /** A command of a forwarded Query; what it does to the session's names happens as the server does it. */
  private commandRecord({ facts, effect }: SessionStatement): CommandRecord {
    const record = { text: facts.text, startedAt: Date.now() };
    const onSuccess = effect && this.applyEffect(effect);
    return onSuccess ? { ...record, onSuccess } : record;
  }

  /**
   * What a forwarded statement does to the session's names: applied now where that is the safe side
   * (a portal of a name now used by a cursor is no longer ours), or returned to run once the server
   * confirms it (forgetting a cursor or prepared statement).
   */
  private applyEffect(effect: SessionEffect): (() => void) | undefined {
    switch (effect.kind) {
      case 'declare':
        this.portals.delete(effect.name);
        return undefined;
      case 'close':
        if (effect.name === null) this.portals.clear();
        else this.portals.delete(effect.name);
        return () => this.sqlFacts.closeCursor(effect.name, effect.seq);
      case 'deallocate':
        return () => this.prepared.forget(effect.name, effect.seq);
    }
  }

  private async relayParse(name: string, sql: string, raw: Buffer): Promise<void> {
    const command = { text: sql, startedAt: Date.now() };
    const refuse = (error: SluiceError): void => {
      // The poison is an unnamed Parse: the server drops its unnamed statement, and keeps an earlier
      // statement of this name — so do we (forgetting it would let a later Parse of the name stand in
      // for the statement the server still runs).
      this.prepared.drop('');
      const refusal = this.refusal(error);
      this.toBackend(encodeFrontendMessage({ kind: 'Parse', name: '', sql: poisonSql(refusal), parameterTypes: [] }));
      this.tracker.expect({ kind: 'parse', refusal, command });
    };
    const classified = this.classify(sql);
    if ('refusal' in classified) {
      refuse(classified.refusal);
      return;
    }
    const facts = classified.statements.map((s) => s.facts);
    const epoch = this.services.gate.epoch;
    const verdict = await this.decideAll(facts, 'parse');
    if (!verdict.allowed) {
      refuse(verdict.error);
      return;
    }
    const parsed: ParsedStatement = {
      facts,
      mask: verdict.mask,
      epoch,
      sql,
      dependsOnNames: classified.statements.some((statement) => statement.dependsOnNames === true),
      effects: classified.statements.flatMap((statement) => (statement.effect ? [statement.effect] : [])),
    };
    if (!this.prepared.addParsed(name, parsed)) {
      refuse({ severity: 'ERROR', code: SqlState.ProgramLimitExceeded, message: PreparedStatements.LIMIT_MESSAGE });
      return;
    }
    this.toBackend(raw);
    this.tracker.expect({ kind: 'parse', refusal: undefined, command });
  }

  private async relayBind(portal: string, statementName: string, resultFormats: readonly number[], raw: Buffer): Promise<void> {
    const refuse = (code: SqlState, message: string, hint?: string): void =>
      this.poisonBind(this.refusal({ severity: 'ERROR', code, message, ...(hint ? { hint } : {}) }));
    // Only statements Parsed through us are known (with their decision and mask). SQL PREPARE shares
    // the name space; binding those at the protocol level would skip their decision: refused.
    const entry = this.prepared.get(statementName);
    if (!entry) {
      refuse(SqlState.InsufficientPrivilege, `prepared statement "${statementName}" was not decided by Sluice`);
      return;
    }
    const parsed: ParsedStatement[] = [];
    for (const candidate of entry.candidates) {
      if (candidate.source === 'sql') {
        refuse(SqlState.InsufficientPrivilege, `prepared statement "${statementName}" was made with SQL PREPARE; run it with EXECUTE`);
        return;
      }
      parsed.push(candidate.statement);
    }
    const binds = portal === '' ? [] : (this.portals.get(portal) ?? []);
    if (binds.length >= MAX_BINDS_PER_PORTAL) {
      refuse(SqlState.ProgramLimitExceeded, `too many Binds of portal "${portal}" in this transaction`);
      return;
    }
    const decided = await this.currentDecision(parsed);
    if ('error' in decided) {
      this.poisonBind(this.refusal(decided.error));
      return;
    }
    if (decided.mask && resultFormats.some((format) => format !== 0)) {
      refuse(
        SqlState.FeatureNotSupported,
        'this result is masked and must be requested in text format',
        'Ask your driver for text results (e.g. no binary transfer for this query).',
      );
      return;
    }
    // The unnamed portal is replaced by every Bind; a second Bind of a named one fails on the server
    // (42P03), which keeps the first — so both are kept until the transaction ends.
    this.portals.set(portal, [...binds, { decided, seq: this.prepared.next() }]);
    this.toBackend(raw);
    this.tracker.expect({ kind: 'bind', refusal: undefined });
  }

  /**
   * The decision a Bind or Execute runs under: the one made at Parse while no policy change,
   * revocation or grant came in since and its meaning does not depend on session names; otherwise —
   * or when the name may stand for several statements — classified and decided again now, as all of
   * them together.
   */
  private async currentDecision(statements: readonly ParsedStatement[]): Promise<ParsedStatement | { error: SluiceError }> {
    const epoch = this.services.gate.epoch;
    const only = statements.length === 1 ? statements[0] : undefined;
    if (only && only.epoch === epoch && !only.dependsOnNames) return only;
    const facts: CommandFacts[] = [];
    for (const statement of statements) {
      if (!statement.dependsOnNames) {
        facts.push(...statement.facts);
        continue;
      }
      // FETCH c / EXECUTE p: what c or p means now (a DECLARE or PREPARE may have come since the Parse).
      const again = this.classify(statement.sql);
      if ('refusal' in again) return { error: again.refusal };
      facts.push(...again.statements.map((s) => s.facts));
    }
    const verdict = await this.decideAll(facts, 'bind');
    if (!verdict.allowed) return { error: verdict.error };
    return {
      facts,
      mask: verdict.mask,
      epoch,
      sql: statements.map((s) => s.sql).join(';\n'),
      dependsOnNames: statements.some((s) => s.dependsOnNames),
      effects: statements.flatMap((s) => s.effects),
    };
  }

  private async relayExecute(portalName: string, raw: Buffer): Promise<void> {
    const binds = this.portals.get(portalName);
    if (!binds || binds.length === 0) {
      this.poisonBind(
        this.refusal({
          severity: 'ERROR',
          code: SqlState.InsufficientPrivilege,
          message: `portal "${portalName}" was not bound through Sluice`,
        }),
      );
      return;
    }
    const decided = await this.currentDecision(binds.map((bind) => bind.decided));
    if ('error' in decided) {
      this.poisonBind(this.refusal(decided.error));
      return;
    }
    const [only] = binds;
    if (binds.length === 1 && only && decided !== only.decided && !decided.dependsOnNames) {
      // Decided again after a policy change: later Executes of this portal reuse it.
      this.portals.set(portalName, [{ ...only, decided }]);
    }
    const columns: ExecuteColumns = { columns: undefined };
    if (decided.mask) {
      // The rows are masked by the portal's columns: ask the server for them right before this
      // Execute (the answer is ours alone), so they describe what it really runs, now.
      this.toBackend(encodeFrontendMessage({ kind: 'Describe', target: 'P', name: portalName }));
      this.tracker.expect({ kind: 'describe', masked: true, internal: columns });
    }
    this.toBackend(raw);
    this.tracker.expect({
      kind: 'execute',
      mask: decided.mask,
      tables: decided.mask ? tablesOf(decided.facts) : [],
      columns,
      command: this.effectsOnExecute(decided, { text: decided.facts.map((f) => f.text).join('; '), startedAt: Date.now() }),
      rows: 0,
    });
    if (decided.facts.some((f) => f.classes.some((c) => MAY_CHANGE_SYNTAX.has(c)))) this.syntaxBarrier = 'until-sync';
  }

  /** DECLARE, CLOSE and DEALLOCATE run through the extended protocol act on the session's names as in a Query. */
  private effectsOnExecute(decided: ParsedStatement, record: CommandRecord): CommandRecord {
    const onSuccess = decided.effects.flatMap((effect) => this.applyEffect(effect) ?? []);
    return onSuccess.length === 0 ? record : { ...record, onSuccess: () => onSuccess.forEach((run) => run()) };
  }

  /**
   * After a statement that may change how SQL is read, nothing more may join its pipeline before
   * Sync: the server would read it under settings the classifier did not assume.
   */
  private refuseBeforeSync(message: DecodedFrontendMessage): void {
    const refusal = this.refusal({
      severity: 'ERROR',
      code: SqlState.InsufficientPrivilege,
      message: 'a statement that may change how SQL is read must be followed by Sync before anything else is sent',
    });
    if (message.kind === 'Query') this.poisonQuery(refusal);
    else if (message.kind === 'Parse') {
      this.toBackend(encodeFrontendMessage({ kind: 'Parse', name: '', sql: poisonSql(refusal), parameterTypes: [] }));
      this.tracker.expect({ kind: 'parse', refusal, command: { text: message.sql, startedAt: Date.now() } });
    } else this.poisonBind(refusal);
  }

  /** Resolves once the server has answered everything forwarded so far (or the session ended). */
  private allAnswered(): Promise<void> {
    this.flushBackend();
    if (this.tracker.length === 0 || this.isClosed()) return Promise.resolve();
    return new Promise((resolve) => this.answerWaiters.push(resolve));
  }

  private wakeAnswerWaiters(): void {
    const waiters = this.answerWaiters;
    this.answerWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Decides every statement of a message; any refusal refuses the whole message (nothing of it runs). */
  private async decideAll(
    facts: readonly CommandFacts[],
    via: 'query' | 'parse' | 'bind',
  ): Promise<{ allowed: true; mask: CompiledMask | undefined } | { allowed: false; error: SluiceError }> {
    const opened = this.opened;
    if (!opened) return { allowed: false, error: { severity: 'ERROR', code: SqlState.InternalError, message: 'no session' } };
    const masked: AgentDecision[] = [];
    for (const command of facts) {
      opened.recorder.record('command.received', {
        via,
        text: command.text,
        classes: command.classes,
        tables: command.tables,
        tablesWritten: command.tablesWritten,
        functions: command.functions,
        hasWhere: command.hasWhere,
      });
      const context = {
        sessionId: opened.sessionId,
        principal: opened.principal,
        principalKey: opened.principalKey,
        connection: this.services.connectionName,
      };
      let verdict: GateVerdict = await this.services.gate.decide(context, command);
      if (!verdict.allowed && verdict.decision?.effect === 'review' && verdict.decision.approvalId) {
        verdict = await this.holdForApproval(verdict.decision, () => this.services.gate.decide(context, command));
      }
      const decision = verdict.decision;
      opened.recorder.record('command.decided', {
        effect: verdict.allowed ? decision?.effect : (decision?.effect ?? 'refused'),
        ruleIds: decision?.ruleIds ?? [],
        reason: verdict.allowed ? decision?.reason : verdict.error.message,
        policyVersion: decision?.policyVersion ?? '',
        cached: verdict.cached,
      });
      if (!verdict.allowed) return { allowed: false, error: verdict.error };
      if (verdict.decision.effect === 'mask' && verdict.decision.maskPlan) {
        if (command.classes.some((c) => c === 'sql.copy.out' || c === 'sql.copy.file' || c === 'sql.copy.program')) {
          return {
            allowed: false,
            error: {
              severity: 'ERROR',
              code: SqlState.FeatureNotSupported,
              message: 'COPY of data that must be masked is not supported; use SELECT',
            },
          };
        }
        masked.push(verdict.decision);
        this.sessionMask = this.compiled(verdict.decision);
      }
    }
    return { allowed: true, mask: this.compiledAll(masked) };
  }

  /**
   * Review: tell the client right away (NOTICE), then hold this session's statement — and only this
   * session's — until an approver decides, the deadline passes, or the client goes away. On approval
   * we ask for the decision again: the control plane consumes the approval and answers allow/mask.
   */
  private async holdForApproval(review: AgentDecision, decideAgain: () => Promise<GateVerdict>): Promise<GateVerdict> {
    const opened = this.opened;
    const deadline = review.reviewDeadline ?? new Date(Date.now() + 60_000);
    const waitSeconds = Math.max(0, Math.round((deadline.getTime() - Date.now()) / 1000));
    this.writeClient([
      noticeFrame(
        `approval ${review.approvalId} required: ${review.reason}; waiting up to ${waitSeconds} s`,
        `An approver acts at /api/v1/approvals/${review.approvalId}.`,
      ),
    ]);
    opened?.recorder.record('approval.requested', {
      approvalId: review.approvalId,
      reason: review.reason,
      ruleIds: review.ruleIds,
      deadline: deadline.toISOString(),
    });
    const waiting = this.services.approvals.wait(review.approvalId, deadline);
    this.heldApproval = waiting;
    const result = await waiting.outcome;
    this.heldApproval = undefined;
    opened?.recorder.record('approval.resolved', { approvalId: review.approvalId, ...result });
    const refused = (message: string): GateVerdict => ({
      allowed: false,
      decision: review,
      cached: false,
      error: { severity: 'ERROR', code: SqlState.InsufficientPrivilege, message, detail: `approval ${review.approvalId}` },
    });
    switch (result.outcome) {
      case 'approved': {
        const again = await decideAgain();
        if (again.allowed) return again;
        return again.decision?.effect === 'review' ? refused(`approval ${review.approvalId} was already used`) : again;
      }
      case 'denied':
        return refused(`approval ${review.approvalId} denied${result.comment ? `: ${result.comment}` : ''}`);
      case 'expired':
      case 'timed-out':
        return refused(`approval ${review.approvalId} timed out; the statement was not run`);
      case 'cancelled':
        return refused(`approval ${review.approvalId} abandoned: ${result.reason}`);
    }
  }

  private compiled(decision: AgentDecision): CompiledMask {
    let mask = compiledMasks.get(decision);
    if (!mask) {
      if (!decision.maskPlan) throw new Error('mask decision without a plan');
      mask = compileMask(decision.maskPlan, this.services.hashKey);
      compiledMasks.set(decision, mask);
    }
    return mask;
  }

  /**
   * One mask for the results of several masked statements of one Query: their plans merged (the
   * strictest strategy wins where two name the same column), applied to every result set of it.
   */
  private compiledAll(decisions: readonly AgentDecision[]): CompiledMask | undefined {
    const [first, ...rest] = decisions;
    if (!first) return undefined;
    if (rest.length === 0) return this.compiled(first);
    return compileMask(mergeMaskPlans(decisions.map((d) => d.maskPlan)), this.services.hashKey);
  }

  private refusal(error: SluiceError): Refusal {
    this.poisonCounter += 1;
    return { token: `sluice_refused_${this.poisonNonce}_${this.poisonCounter}`, error };
  }

  /** Replace a simple-protocol message by a Query the server must fail. */
  private poisonQuery(refusal: Refusal, facts: readonly CommandFacts[] = []): void {
    this.toBackend(encodeFrontendMessage({ kind: 'Query', sql: poisonSql(refusal) }));
    this.tracker.expect({
      kind: 'query',
      mask: undefined,
      tables: [],
      commands: facts.map((f) => ({ text: f.text, startedAt: Date.now() })),
      refusal,
      completed: 0,
      seq: this.prepared.next(),
    });
  }

  /** Replace an extended-protocol Bind/Execute by a Bind of a statement that cannot exist. */
  private poisonBind(refusal: Refusal): void {
    this.toBackend(
      encodeFrontendMessage({
        kind: 'Bind',
        portal: '',
        statement: refusal.token,
        parameterFormats: [],
        parameters: [],
        resultFormats: [],
      }),
    );
    this.tracker.expect({ kind: 'bind', refusal });
  }

  private toBackend(frame: Buffer): void {
    this.backendOut.push(frame);
  }

  private flushBackend(): void {
    const backend = this.backend;
    if (!backend || this.backendOut.length === 0) return;
    const out = Buffer.concat(this.backendOut);
    this.backendOut = [];
    if (!backend.socket.write(out)) {
      this.client.pause();
      backend.socket.once('drain', () => this.client.resume());
    }
  }

  // ── relaying: backend → client ──────────────────────────────────────────────────────────────────

  private attachBackend(backend: BackendSession): void {
    const { socket } = backend;
    socket.on('data', (chunk: Buffer) => this.onBackendData(chunk));
    socket.on('error', (error) => this.logger.debug({ err: error }, 'backend socket error'));
    socket.on('close', () => this.close('backend_closed'));
    socket.on('drain', () => this.client.resume());
    if (backend.pending.length > 0) this.backendInbox.push(...backend.pending);
    socket.resume();
    void this.drainBackendInbox();
  }

  private onBackendData(chunk: Buffer): void {
    if (this.phase === 'closed' || !this.backend) return;
    try {
      this.backendInbox.push(...this.backend.decoder.push(chunk));
    } catch (error) {
      this.logger.warn({ problem: (error as Error).message }, 'malformed data from the target database');
      this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'the target database sent malformed data' });
      return;
    }
    void this.drainBackendInbox();
  }

  private async drainBackendInbox(): Promise<void> {
    if (this.backendDraining) return;
    this.backendDraining = true;
    const out: Buffer[] = [];
    try {
      for (let frame = this.backendInbox.shift(); frame; frame = this.backendInbox.shift()) {
        if (frame.type === BackendMessageCode.RowDescription && this.needsCatalog(frame)) {
          // Column origins must be resolved before any row of this result is forwarded.
          this.writeClient(out);
          out.length = 0;
          this.backend?.socket.pause();
          await this.loadCatalog(frame);
          this.backend?.socket.resume();
        }
        const written = this.handleBackendFrame(frame);
        if (written) out.push(written);
        if (this.phase === 'closed') return;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'internal error while relaying results');
      this.fatal({
        severity: 'FATAL',
        code: SqlState.InternalError,
        message: 'internal error in the Sluice agent; the session was closed',
      });
    } finally {
      this.backendDraining = false;
      this.writeClient(out);
      if (this.tracker.length === 0) this.wakeAnswerWaiters();
    }
  }

  private writeClient(out: readonly Buffer[]): void {
    if (out.length === 0 || this.phase === 'closed') return;
    const data = Buffer.concat(out);
    if (!this.client.write(data)) this.backend?.socket.pause();
  }

  /** One backend frame → what the client gets (undefined: swallowed). */
  private handleBackendFrame(frame: BackendFrame): Buffer | undefined {
    const head = this.tracker.head;
    switch (frame.type) {
      case BackendMessageCode.DataRow:
        if (head?.kind === 'execute') {
          head.rows += 1;
          if (head.mask && !this.currentMasker) this.currentMasker = this.executeMasker(head.columns, head.mask, head.tables);
        }
        {
          const sent = this.currentMasker ? this.currentMasker.rewrite(frame) : frame.raw;
          this.currentPreview?.add(sent);
          return sent;
        }
      case BackendMessageCode.RowDescription:
        return this.onRowDescription(frame, head);
      case BackendMessageCode.NoData:
        if (head?.kind === 'describe') {
          this.tracker.shift();
          if (head.internal) head.internal.columns = [];
          return head.internal ? undefined : frame.raw;
        }
        return frame.raw;
      case BackendMessageCode.ParameterDescription:
        return frame.raw;
      case BackendMessageCode.ParseComplete:
      case BackendMessageCode.BindComplete:
        this.tracker.shift();
        return frame.raw;
      case BackendMessageCode.CloseComplete:
        if (head?.kind === 'close') head.onSuccess?.();
        this.tracker.shift();
        return frame.raw;
      case BackendMessageCode.CommandComplete:
      case BackendMessageCode.EmptyQueryResponse:
      case BackendMessageCode.PortalSuspended:
        this.onCommandComplete(frame, head);
        return frame.raw;
      case BackendMessageCode.ErrorResponse:
        return this.onErrorResponse(frame, head);
      case BackendMessageCode.ReadyForQuery:
        this.currentMasker = undefined;
        if (head?.kind === 'query' || head?.kind === 'sync') {
          this.tracker.shift();
          // Idle: the transaction ended, and with it every portal bound before this point.
          if (frame.raw[5] === 0x49) {
            this.dropPortalsBefore(head.seq);
            this.sqlFacts.endTransaction(head.seq);
          }
        }
        return frame.raw;
      case BackendMessageCode.ParameterStatus:
        this.checkParameterStatus(frame);
        return frame.raw;
      case BackendMessageCode.BackendKeyData:
      case BackendMessageCode.Authentication:
        this.fatal({ severity: 'FATAL', code: SqlState.ProtocolViolation, message: 'the target database sent an unexpected message' });
        return undefined;
      case BackendMessageCode.NoticeResponse:
        return this.onNotice(frame, head);
      case BackendMessageCode.NotificationResponse:
        return this.onNotification(frame);
      default:
        // Copy*, FunctionCallResponse, NegotiateProtocolVersion: forwarded as they are.
        return frame.raw;
    }
  }

  private onRowDescription(frame: BackendFrame, head: Expectation | undefined): Buffer | undefined {
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'RowDescription') return frame.raw;
    if (head?.kind === 'describe') {
      this.tracker.shift();
      if (head.internal) head.internal.columns = message.columns;
      return head.internal ? undefined : frame.raw;
    }
    const mask = this.headMask(head);
    const tables = head?.kind === 'query' || head?.kind === 'execute' ? head.tables : [];
    this.currentMasker = mask ? this.maskerFor(message.columns, mask, tables) : undefined;
    this.currentPreview = this.previewFor(message.columns, mask !== undefined);
    return frame.raw;
  }

  private previewFor(columns: readonly ColumnDescription[], masked: boolean): ResultPreview | undefined {
    const limits = this.services.preview;
    if (limits.rows <= 0) return undefined;
    return new ResultPreview(columns, limits, masked ? undefined : (this.scrubber ??= previewScrubber(this.services.hashKey)));
  }

  private dropPortalsBefore(seq: number): void {
    for (const [name, binds] of this.portals) {
      const kept = binds.filter((bind) => bind.seq > seq);
      if (kept.length === 0) this.portals.delete(name);
      else this.portals.set(name, kept);
    }
  }

  /**
   * Execute sends no RowDescription: its rows are masked with the portal's described columns. We
   * made sure they are known (an internal Describe) before forwarding the Execute; if they are not,
   * every value is redacted rather than guessed at.
   */
  private executeMasker(portal: ExecuteColumns, mask: CompiledMask, tables: readonly string[]): ResultMasker {
    const columns = portal.columns;
    if (columns) return this.maskerFor(columns, mask, tables);
    this.logger.error('masked rows without a known row description; redacting every value');
    return ResultMasker.redactAll();
  }

  private maskerFor(columns: readonly ColumnDescription[], mask: CompiledMask, tables: readonly string[]): ResultMasker {
    const refs = columns.map((c) => (c.tableOid === 0 ? undefined : this.services.catalog.cached(c.tableOid, c.columnAttr)));
    return ResultMasker.forColumns(columns, refs, mask, tables);
  }

  private needsCatalog(frame: BackendFrame): boolean {
    const head = this.tracker.head;
    const masked = head?.kind === 'describe' ? head.masked : this.headMask(head) !== undefined;
    if (!masked) return false;
    const message = decodeBackendMessage(frame);
    return (
      message.kind === 'RowDescription' && message.columns.some((c) => c.tableOid !== 0 && !this.services.catalog.isCached(c.tableOid))
    );
  }

  private async loadCatalog(frame: BackendFrame): Promise<void> {
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'RowDescription') return;
    try {
      await this.services.catalog.load(message.columns.map((c) => c.tableOid));
    } catch (error) {
      // Table columns whose origin is unresolved are sent as NULL (fail closed); computed ones as before.
      this.logger.warn({ problem: (error as Error).message }, 'catalog lookup failed; unresolved table columns are sent as NULL');
    }
  }

  private onCommandComplete(frame: BackendFrame, head: Expectation | undefined): void {
    this.currentMasker = undefined;
    const preview = this.currentPreview?.isEmpty === false ? { preview: this.currentPreview.toEvent() } : {};
    this.currentPreview = undefined;
    const tag =
      frame.type === BackendMessageCode.CommandComplete
        ? readTag(frame)
        : frame.type === BackendMessageCode.EmptyQueryResponse
          ? 'EMPTY'
          : 'SUSPENDED';
    if (head?.kind === 'query') {
      const command = head.commands[head.completed];
      head.completed += 1;
      if (command) {
        if (frame.type === BackendMessageCode.CommandComplete) command.onSuccess?.();
        this.recordCompletion(command, { tag, ...preview });
      }
    } else if (head?.kind === 'execute') {
      this.tracker.shift();
      if (frame.type === BackendMessageCode.CommandComplete) head.command.onSuccess?.();
      this.recordCompletion(head.command, { tag, rows: head.rows, ...preview });
    }
  }

  private onErrorResponse(frame: BackendFrame, head: Expectation | undefined): Buffer | undefined {
    const message = decodeBackendMessage(frame) as ErrorResponseMessage;
    this.currentMasker = undefined;
    this.currentPreview = undefined;
    const refusal = this.tracker.pendingRefusals().find((r) => message.message.includes(r.token));
    let out = frame.raw;
    if (refusal) out = errorFrame(refusal.error);
    else if (this.headMask(head)) {
      // Errors can quote row values ("invalid input syntax for type integer: \"alice@…\""): when the
      // result is masked, keep only the SQLSTATE.
      out = errorFrame({
        severity: 'ERROR',
        code: message.code as SqlState,
        message: `the statement failed (SQLSTATE ${message.code}); details are hidden because its results are masked`,
      });
    }
    if (message.severity === 'FATAL' || message.severity === 'PANIC') {
      this.writeClient([out]);
      this.close('backend_closed');
      return undefined;
    }
    const code = refusal ? refusal.error.code : message.code;
    if (head?.kind === 'query') {
      const command = head.commands[head.completed];
      head.completed += 1;
      if (command) this.recordCompletion(command, { error: code, refused: refusal !== undefined });
    } else if (head) {
      // Extended protocol: the failing message and everything after it up to Sync are skipped.
      const failed = this.tracker.shift();
      const skipped = this.tracker.skipToSync();
      for (const e of [failed, ...skipped]) {
        if (e?.kind === 'execute' || e?.kind === 'parse') this.recordCompletion(e.command, { error: code, refused: refusal !== undefined });
      }
    }
    return out;
  }

  /**
   * Notices quote values as errors do (`RAISE NOTICE '%', email`): while a masked statement runs,
   * keep only the SQLSTATE, as for its errors.
   */
  private onNotice(frame: BackendFrame, head: Expectation | undefined): Buffer {
    if (!this.headMask(head)) return frame.raw;
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'NoticeResponse') return frame.raw;
    return encodeBackendMessage({
      kind: 'NoticeResponse',
      severity: message.severity,
      severityNonLocalized: message.severityNonLocalized ?? message.severity,
      code: message.code,
      message: `sluice: a notice (SQLSTATE ${message.code}) was hidden because the results are masked`,
    });
  }

  /**
   * A notification payload is a computed value (`pg_notify('c', email)`) that arrives outside any
   * result: for a masked session it gets every detector, like a column of unknown origin.
   */
  private onNotification(frame: BackendFrame): Buffer {
    const mask = this.sessionMask;
    if (!mask) return frame.raw;
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'NotificationResponse') return frame.raw;
    const payload = mask.unknownProvenance.scanText(message.payload);
    return payload === message.payload ? frame.raw : encodeBackendMessage({ ...message, payload });
  }

  private headMask(head: Expectation | undefined): CompiledMask | undefined {
    return head?.kind === 'query' ? head.mask : head?.kind === 'execute' ? head.mask : undefined;
  }

  /**
   * The classifier reads SQL as UTF-8 with standard_conforming_strings on; if either changes (e.g.
   * through set_config()), a statement could hide another one from it. End the session (fail closed).
   */
  private checkParameterStatus(frame: BackendFrame): void {
    const message = decodeBackendMessage(frame);
    if (message.kind !== 'ParameterStatus') return;
    if (unsafeSetting(message.name, message.value)) {
      this.logger.warn(
        { parameter: message.name, value: message.value },
        'session changed a setting the classifier depends on; closing it',
      );
      this.close('unsafe_setting', {
        severity: 'FATAL',
        code: SqlState.InsufficientPrivilege,
        message: `${message.name} = ${message.value} is not allowed through Sluice (statements could no longer be classified safely)`,
      });
    }
  }

  /** `command.completed`, with the result's preview when rows were sent (one event per statement's outcome). */
  private recordCompletion(
    command: CommandRecord,
    outcome: { tag?: string; rows?: number; error?: string; refused?: boolean; preview?: Record<string, unknown> },
  ): void {
    this.opened?.recorder.record('command.completed', { text: command.text, durationMs: Date.now() - command.startedAt, ...outcome });
  }

  // ── teardown ─────────────────────────────────────────────────────────────────────────────────────

  /** Reads the phase through a call so TypeScript does not narrow it across awaits. */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private fatal(error: SluiceError): void {
    this.close('error', error);
  }

  private close(reason: string, error?: SluiceError): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    // The approval request stays pending on the control plane: once approved, the same statement
    // may be re-run by the same principal within the retry window.
    this.heldApproval?.cancel(`the client connection ended (${reason})`);
    this.wakeAnswerWaiters();
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    if (error) {
      this.client.end(errorFrame(error));
    } else this.client.end();
    setTimeout(() => this.client.destroy(), 1_000).unref();
    this.backend?.socket.end(encodeFrontendMessage({ kind: 'Terminate' }));
    this.backend?.socket.destroy();
    if (this.cancelKey) this.services.cancels.release(this.cancelKey.processId);
    const opened = this.opened;
    if (opened) {
      this.services.sessions.remove(opened.sessionId);
      opened.recorder.record('session.closed', { reason, ...(error ? { code: error.code } : {}) });
      this.services.controlPlane.closeSession(opened.sessionId, reason).catch((e: unknown) => {
        this.logger.debug({ err: (e as Error).message }, 'could not report the session closed');
      });
      this.logger.info({ sessionId: opened.sessionId, reason }, 'postgres session ended');
    }
  }
}

function poisonSql(refusal: Refusal): string {
  return refusal.token;
}

/** A setting under which the classifier would read SQL differently from the server. */
function unsafeSetting(name: string, value: string): boolean {
  return (name === 'standard_conforming_strings' && value !== 'on') || (name === 'client_encoding' && value.toUpperCase() !== 'UTF8');
}

/** Every table the statements read or write (only masked results need them: computed columns' rules). */
function tablesOf(facts: readonly CommandFacts[]): string[] {
  return [...new Set(facts.flatMap((f) => f.tables))];
}

function readTag(frame: BackendFrame): string {
  const message = decodeBackendMessage(frame);
  return message.kind === 'CommandComplete' ? message.tag : '';
}

function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Sends a CancelRequest with the real backend key on a fresh connection (PostgreSQL sends no reply). */
function sendCancel(target: { host: string; port: number; processId: number; secretKey: Buffer }, logger: Logger): void {
  void import('node:net').then(({ connect }) => {
    const socket = connect({ host: target.host, port: target.port }, () => {
      socket.end(encodeFrontendMessage({ kind: 'CancelRequest', processId: target.processId, secretKey: target.secretKey }));
    });
    socket.on('error', (error) => logger.debug({ err: error }, 'cancel request to the database failed'));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}
