import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AgentLinkServer } from './agent-link/agent-link.server.js';
import { AppModule } from './app.module.js';
import { ConfigError, loadConfig, type ControlPlaneConfig } from './config/config.js';
import { openDatabaseServer, type DatabaseServer } from './database/database-server.js';
import { configureHttp } from './http-app.js';
import { IdentityService } from './identity/identity.service.js';
import { createRootLogger } from './logging/logger.js';
import { NestPinoLogger } from './logging/nest-logger.js';
import { CONTROL_PLANE_VERSION } from './version.js';

function readConfig(): ControlPlaneConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice control plane: ${error.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createRootLogger(config.logLevel);
  let database: DatabaseServer | undefined;
  let app: NestExpressApplication | undefined;

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    force.unref();
    try {
      await app?.close();
      await database?.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    database = await openDatabaseServer(config, logger);
    app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, logger, database.url), {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    });
    configureHttp(app, logger);
    await app.listen(config.http.port, config.http.host);
    const httpAddress = app.getHttpServer().address();
    const httpPort = typeof httpAddress === 'object' && httpAddress ? httpAddress.port : config.http.port;
    await app.get(IdentityService).start(`http://${urlHost(config.http.host)}:${httpPort}`);
    const grpcPort = app.get(AgentLinkServer).listeningPort;
    logger.info(
      { version: CONTROL_PLANE_VERSION, httpPort, grpcPort, embeddedDatabase: database.embedded, env: config.env },
      `control plane ready: REST http://${config.http.host}:${httpPort}/api/v1, OpenAPI /api/docs, agent link ${config.grpc.host}:${String(grpcPort)}`,
    );
  } catch (error) {
    logger.fatal({ err: error }, 'control plane failed to start');
    await app?.close().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    process.exit(1);
  }
}

/** A bind address as a URL host: wildcard binds are reached on loopback, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

void main();
