import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ControlPush } from '@sluice/contract';
import pg from 'pg';
import type { Logger } from 'pino';
import { DATABASE_URL } from '../database/database.module.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { AgentLinkServer } from './agent-link.server.js';

const CHANNEL = 'sluice_agent_push';
const RECONNECT_DELAY_MS = 1_000;
const RECONNECT_MAX_DELAY_MS = 10_000;

/** Who a push is for: one agent, or every agent connected anywhere. */
export type PushTarget = { readonly agentId: string } | 'all-agents';

interface Envelope {
  readonly target: PushTarget;
  readonly push: ControlPush;
}

/**
 * Delivers control-plane pushes (terminate a session, revoke a principal, invalidate decisions) to
 * agents whichever replica holds their stream: every publish goes through PostgreSQL NOTIFY, and
 * every replica LISTENs and forwards to the agents connected to it. The only shared state between
 * replicas is the database.
 */
@Injectable()
export class AgentPushBus implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private listener: pg.Client | undefined;
  private listening = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    @Inject(APP_LOGGER) logger: AppLogger,
    private readonly link: AgentLinkServer,
  ) {
    this.logger = logger.child({ component: 'agent-push-bus' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** True while this replica receives pushes (part of readiness). */
  get isListening(): boolean {
    return this.listening;
  }

  async publish(target: PushTarget, push: ControlPush): Promise<void> {
    const payload = JSON.stringify({ target, push } satisfies Envelope);
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    } finally {
      await client.end();
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'sluice-control-plane-listen' });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) this.deliver(message.payload);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'push listener connection failed; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.listener = client;
    this.listening = true;
  }

  /**
   * Reconnects for as long as the replica runs (backing off up to RECONNECT_MAX_DELAY_MS). Pushes
   * published while the listener was down are not replayed, so once it is back every agent connected
   * here is told to drop its cached decisions (a missed revocation or policy change then takes
   * effect at the next statement).
   */
  private reconnect(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listening = false;
    this.listener = undefined;
    const attempt = (delay: number): void => {
      if (this.stopped) return;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => {
        this.listen().then(
          () => {
            this.logger.info('push listener reconnected; agents here drop their cached decisions');
            for (const agentId of this.link.connectedAgentIds()) {
              this.link.push(agentId, { invalidateDecisions: { policyVersion: '', principalId: '' } });
            }
          },
          (error: unknown) => {
            this.logger.warn({ err: (error as Error).message, retryInMs: delay }, 'push listener could not reconnect; retrying');
            attempt(Math.min(delay * 2, RECONNECT_MAX_DELAY_MS));
          },
        );
      }, delay);
    };
    attempt(RECONNECT_DELAY_MS);
  }

  private deliver(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.logger.error('unreadable push notification ignored');
      return;
    }
    const { target, push } = envelope;
    const agentIds = target === 'all-agents' ? this.link.connectedAgentIds() : [target.agentId];
    for (const agentId of agentIds) this.link.push(agentId, push);
  }
}
