import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

// Any field with one of these names is masked wherever it appears in a log object.
const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'secret',
  '*.secret',
];

export interface LoggerConfig {
  name: string;
  level?: string;
  /** `pretty` for a terminal, `json` for machines; defaults to pretty on a TTY outside production. */
  format?: 'json' | 'pretty';
}

export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const format =
    config.format ??
    (process.env.LOG_FORMAT as 'json' | 'pretty' | undefined) ??
    (process.stdout.isTTY && process.env.NODE_ENV !== 'production' ? 'pretty' : 'json');
  const options: LoggerOptions = {
    name: config.name,
    level: config.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
