import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { DATABASE_URL } from '../database/database.module.js';
import { APP_LOGGER, type AppLogger } from '../logging/app-logger.js';
import { POLICY_ACTIVATED_CHANNEL } from './policy-versions.service.js';

const RECONNECT_DELAY_MS = 1_000;

/**
 * Tells this replica when any replica activated a policy version (PostgreSQL LISTEN on the channel
 * the activation transaction NOTIFYs). After a lost connection it reconnects and calls `onChange`
 * once more, since notifications sent while it was away are gone: the callback reloads the active
 * version from the table, so nothing is missed.
 */
@Injectable()
export class PolicyChangeListener implements BeforeApplicationShutdown {
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private onChange: (() => void) | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    @Inject(APP_LOGGER) logger: AppLogger,
  ) {
    this.logger = logger.child({ component: 'policy-change-listener' });
  }

  /** Starts listening; resolves once LISTEN is in place, so no activation after this is missed. */
  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.listen();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'sluice-control-plane-policy-listen',
      // A silently dead connection would mean silently stale policy; keepalives surface it as an error.
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel === POLICY_ACTIVATED_CHANNEL) this.onChange?.();
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'policy listener connection failed; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${POLICY_ACTIVATED_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private reconnect(client: pg.Client): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.retry(), RECONNECT_DELAY_MS);
  }

  private async retry(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.listen();
      this.logger.info('policy listener reconnected; reloading the active policy');
      this.onChange?.();
    } catch (error) {
      this.logger.warn({ err: error }, 'policy listener could not reconnect; retrying');
      this.reconnectTimer = setTimeout(() => void this.retry(), RECONNECT_DELAY_MS);
    }
  }
}
