import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentHello, ControlPush__Output } from '@sluice/contract';
import { loadSqlParser } from '@sluice/sql';
import type { Logger } from 'pino';
import type { AgentConfig } from './config/agent-config.js';
import { AdminServer } from './admin/admin-server.js';
import { AgentMetrics } from './admin/agent-metrics.js';
import { ApprovalWaiters } from './decisions/approval-waiters.js';
import { DecisionCache } from './decisions/decision-cache.js';
import { ControlPlaneClient } from './link/control-plane-client.js';
import { ControlPlaneLink } from './link/control-plane-link.js';
import { HttpListener } from './http/http-listener.js';
import { KubernetesListener } from './kubernetes/k8s-listener.js';
import { RequestGate } from './http/request-gate.js';
import type { RequestServices } from './http/request-services.js';
import { CancelRegistry } from './postgres/cancel-registry.js';
import { PostgresListener } from './postgres/postgres-listener.js';
import { StatementGate } from './postgres/statement-gate.js';
import { EventSpool } from './recording/event-spool.js';
import { DEFAULT_RECORDER_OPTIONS, Recorder } from './recording/recorder.js';
import { SessionRegistry } from './sessions/session-registry.js';
import { AGENT_VERSION } from './version.js';

const OPEN_SESSION_TIMEOUT_MS = 10_000;

/** The agent's composition root: the link, the shared services, and one listener per connection. */
export class Agent {
  private readonly sessions = new SessionRegistry();
  private readonly decisions = new DecisionCache();
  private readonly approvals = new ApprovalWaiters();
  private readonly link: ControlPlaneLink;
  private readonly recorder: Recorder;
  private readonly listeners: ProtocolListener[] = [];
  private admin: AdminServer | undefined;
  private metrics: AgentMetrics | undefined;
  private draining = false;

  constructor(
    private readonly config: AgentConfig,
    private readonly logger: Logger,
  ) {
    this.link = new ControlPlaneLink({
      target: config.controlPlane,
      agentKey: config.agentKey,
      hello: helloFor(config),
      logger,
      onPush: (push) => this.onPush(push),
      onStateChange: (state) => logger.debug({ state }, 'link state'),
      onEventAck: (acked) => this.recorder.acknowledge(acked),
      onReady: () => {
        // Pushes sent while we were away (revocations, policy changes) never reached us: decide afresh.
        this.decisions.invalidate();
        this.recorder.resendUnacknowledged();
      },
      openSessions: () => this.sessions.size,
    });
    const spool = new EventSpool(join(config.stateDir, 'spool', 'events.jsonl'), config.spoolMaxBytes);
    this.recorder = new Recorder(this.link, logger.child({ component: 'recorder' }), spool, {
      ...DEFAULT_RECORDER_OPTIONS,
      memoryLimit: config.recordingMemoryEvents,
    });
  }

  async start(): Promise<void> {
    await this.startAdmin();
    const postgres = this.config.connections.filter((c) => c.protocol === 'postgres');
    if (postgres.length > 0) await loadSqlParser();
    const controlPlane = new ControlPlaneClient(this.link, {
      openSessionMs: OPEN_SESSION_TIMEOUT_MS,
      decisionMs: this.config.decisionTimeoutMs,
    });
    const gate = new StatementGate(
      controlPlane,
      this.decisions,
      () => this.link.state,
      () => this.recorder.saturated,
      (effect, source, seconds) => {
        this.metrics?.statements.inc({ effect });
        if (source !== 'none') this.metrics?.decisionSeconds.observe({ source }, seconds);
      },
    );
    const shared = {
      controlPlane,
      gate,
      recorder: this.recorder,
      sessions: this.sessions,
      cancels: new CancelRegistry(),
      hashKey: await this.maskKey(),
      approvals: this.approvals,
      preview: { rows: this.config.previewRows, bytes: 4_096 },
      logger: this.logger.child({ component: 'postgres' }),
      maxStatementBytes: this.config.maxStatementBytes,
    };
    const requests: RequestServices = {
      controlPlane,
      gate: new RequestGate(
        controlPlane,
        this.decisions,
        () => this.link.state,
        () => this.recorder.saturated,
        this.approvals,
      ),
      recorder: this.recorder,
      sessions: this.sessions,
      hashKey: shared.hashKey,
    };
    const where = { stateDir: this.config.stateDir, agentId: this.config.agentId };
    for (const connection of this.config.connections) {
      if (connection.protocol === 'http' || connection.protocol === 'kubernetes') {
        const listener =
          connection.protocol === 'http'
            ? new HttpListener(connection, requests, where, this.logger)
            : new KubernetesListener(connection, requests, where, this.logger);
        await listener.start();
        this.listeners.push(listener);
        continue;
      }
      if (connection.protocol !== 'postgres') {
        this.logger.warn(
          { connection: connection.name, protocol: connection.protocol },
          'protocol not served by this agent version; connection skipped',
        );
        continue;
      }
      const listener = new PostgresListener(
        connection,
        shared,
        { stateDir: this.config.stateDir, agentId: this.config.agentId },
        this.logger,
      );
      await listener.start();
      this.listeners.push(listener);
    }
    this.link.start();
  }

  /**
   * Graceful drain: stop accepting, let running statements finish (up to the drain timeout), end the
   * remaining sessions, flush recording events (what cannot be delivered stays in the spool for the
   * next start), then close the link.
   */
  async stop(): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + this.config.drainTimeoutMs;
    // Stop accepting now, but do not wait here: a listener's stop() settles only once its last
    // client connection is gone, and an idle (pooled) client never leaves by itself — waiting would
    // hang the drain until the orchestrator's SIGKILL, losing the events still in memory.
    const listenersClosed = this.listeners.map((listener) => listener.stop());
    while (this.sessions.busy > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.sessions.terminateAll('the Sluice agent is shutting down');
    await this.recorder.drain(Math.max(1_000, deadline - Date.now()));
    for (const listener of this.listeners) listener.destroyAll();
    await Promise.all(listenersClosed);
    this.recorder.stop();
    await this.admin?.stop();
    await this.link.stop();
  }

  private async startAdmin(): Promise<void> {
    if (!this.config.adminListen) return;
    const metrics = new AgentMetrics({
      sessions: () => this.sessions.size,
      spoolBytes: () => this.recorder.spoolDepthBytes,
      recordingQueue: () => this.recorder.queued,
      linkUp: () => this.link.state === 'ready',
    });
    this.metrics = metrics;
    this.admin = new AdminServer(
      metrics,
      () => ({
        link: this.link.state,
        sessions: this.sessions.size,
        recordingSaturated: this.recorder.saturated,
        spoolBytes: this.recorder.spoolDepthBytes,
        draining: this.draining,
      }),
      this.logger,
    );
    await this.admin.start(this.config.adminListen);
  }

  private onPush(push: ControlPush__Output): void {
    switch (push.push) {
      case 'invalidateDecisions':
        this.decisions.invalidate(push.invalidateDecisions?.principalId || undefined);
        this.sessions.redecide(push.invalidateDecisions?.principalId || undefined);
        this.logger.info({ policyVersion: push.invalidateDecisions?.policyVersion }, 'cached decisions invalidated');
        return;
      case 'terminateSession':
        if (push.terminateSession) this.sessions.terminate(push.terminateSession.sessionId, push.terminateSession.reason);
        return;
      case 'revokePrincipal': {
        const principalId = push.revokePrincipal?.principalId;
        if (!principalId) return;
        this.decisions.invalidate(principalId);
        const ended = this.sessions.revoke(principalId, push.revokePrincipal?.reason ?? 'revoked');
        this.logger.info({ principalId, ended }, 'principal revoked: sessions ended');
        return;
      }
      case 'approvalResolved': {
        const resolved = push.approvalResolved;
        if (!resolved?.approvalId) return;
        const outcome = resolved.outcome;
        if (outcome === 'approved' || outcome === 'denied')
          this.approvals.resolved(resolved.approvalId, { outcome, by: resolved.resolvedBy, comment: resolved.comment });
        else this.approvals.resolved(resolved.approvalId, { outcome: 'expired' });
        return;
      }
      case undefined:
        this.logger.warn('push with no known body ignored');
        return;
    }
  }

  /** The `hash` masking key: configured, or generated once into the state directory. */
  private async maskKey(): Promise<Buffer> {
    const file = this.config.maskKeyFile ?? join(this.config.stateDir, 'mask-hash.key');
    try {
      return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    } catch {
      if (this.config.maskKeyFile) throw new Error(`SLUICE_AGENT_MASK_KEY_FILE: cannot read ${file}`);
      await mkdir(this.config.stateDir, { recursive: true, mode: 0o700 });
      const key = randomBytes(32);
      await writeFile(file, key.toString('base64'), { mode: 0o600 });
      return key;
    }
  }
}

/** A served connection, whatever its protocol. */
interface ProtocolListener {
  start(): Promise<void>;
  stop(): Promise<void>;
  destroyAll(): void;
}

/** What the control plane learns about this agent: never targets or credentials. */
function helloFor(config: AgentConfig): AgentHello {
  return {
    agentId: config.agentId,
    version: AGENT_VERSION,
    segment: config.segment,
    connections: config.connections.map((c) => ({ name: c.name, protocol: c.protocol, listenAddress: c.listen, tags: { ...c.tags } })),
  };
}
