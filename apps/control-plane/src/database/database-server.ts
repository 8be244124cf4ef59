import { join } from 'node:path';
import { EmbeddedPostgres } from '@sluice/embedded-db';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from '../config/config.js';

export interface DatabaseServer {
  readonly url: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'sluice';

/** The configured PostgreSQL, or an embedded one in the state directory when none is configured. */
export async function openDatabaseServer(config: ControlPlaneConfig, logger: Logger): Promise<DatabaseServer> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: () => Promise.resolve() };
  const log = logger.child({ component: 'embedded-postgres' });
  const dataDir = join(config.stateDir, 'postgres');
  log.info({ dataDir, port: config.database.embeddedPort }, 'starting embedded PostgreSQL (SLUICE_DATABASE_URL is not set)');
  const server = await EmbeddedPostgres.start({ dataDir, port: config.database.embeddedPort, onLog: (line) => log.debug(line) });
  await server.ensureDatabase(EMBEDDED_DATABASE);
  return {
    url: server.url(EMBEDDED_DATABASE),
    embedded: true,
    stop: async () => {
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
