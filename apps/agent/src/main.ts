import { Agent } from './agent.js';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config/agent-config.js';
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

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createAgentLogger(config.logLevel, config.agentId);
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
  const agent = new Agent(config, logger);
  try {
    await agent.start();
  } catch (error) {
    logger.fatal({ err: error }, 'agent failed to start');
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    agent
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

void main();
