import type { AgentHello } from '@sluice/contract';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config/agent-config.js';
import { ControlPlaneLink } from './link/control-plane-link.js';
import { createAgentLogger } from './logging/logger.js';
import { AGENT_VERSION } from './version.js';

function readConfig(): AgentConfig {
  try {
    return loadAgentConfig(process.env);
  } catch (error) {
    if (error instanceof AgentConfigError) {
      process.stderr.write(`sluice agent: ${error.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw error;
  }
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

function main(): void {
  const config = readConfig();
  const logger = createAgentLogger(config.logLevel, config.agentId);
  const link = new ControlPlaneLink({
    target: config.controlPlane,
    agentKey: config.agentKey,
    hello: helloFor(config),
    logger,
    onStateChange: (state) => logger.debug({ state }, 'link state'),
  });
  logger.info(
    {
      version: AGENT_VERSION,
      segment: config.segment,
      controlPlane: config.controlPlane.address,
      tls: config.controlPlane.tls.kind,
      connections: config.connections.map((c) => ({ name: c.name, protocol: c.protocol, listen: c.listen })),
    },
    'agent starting',
  );
  link.start();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    link
      .stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main();
