import { pino, type Logger } from 'pino';

/** JSON lines on stdout. Credentials are Secret objects and print as [redacted] even by mistake. */
export function createAgentLogger(level: string, agentId: string | undefined): Logger {
  return pino({
    level,
    base: { service: 'sluice-agent', agentId },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.password', '*.agentKey', '*.token', '*.authorization'], censor: '[redacted]' },
  });
}
