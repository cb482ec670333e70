import { pino, type Logger, type LoggerOptions } from 'pino';

export interface LoggerConfig {
  level: string;
  colors: boolean;
}

/** Headers whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-gateway-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-gateway-signature"]',
];

/**
 * The one logger. JSON to stdout by default; `ENABLE_COLORS=true` pipes through
 * pino-pretty (a worker thread, so the hot path never formats text).
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'gateway' },
  };
  if (destination) return pino(options, destination);
  if (config.colors) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } });
  }
  return pino(options);
}
