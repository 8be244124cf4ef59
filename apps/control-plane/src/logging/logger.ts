import { pino, type Logger } from 'pino';

/**
 * The process's root logger: JSON lines on stdout. Never pass tokens, passwords, query parameters or
 * row data to it; the redact list is a second line of defence for the field names we know about.
 */
export function createRootLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sluice-control-plane' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.password', '*.token', '*.agentKey', 'req.headers', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
