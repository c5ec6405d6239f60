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
    // pino serializes Error objects only under `err`; the SDK logs failures as `error` (JSON.stringify gives {}).
    serializers: { error: serializeError },
  };
  if (destination) return pino(options, destination);
  if (format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  // Written at once, in order with what the process prints itself (`npm start`'s banner comes after its log lines).
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

/**
 * An error as a log line shows it: `{type, message, cause?}` — type being an ApplicationFailure's type, else the
 * error's name (ActivityFailure, ...) — with the cause chain; no stack frames, and none of the
 * error's other fields or failure details, which may carry request data. A workflow's error reaches the logger
 * structured-cloned from the workflow thread: a plain `Error` whose stack still starts with the original class
 * name (ApplicationFailure, ...), which is used then.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const e = value as { message?: unknown; name?: unknown; type?: unknown; stack?: unknown; cause?: unknown };
  if (typeof e.message !== 'string') return value;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const stackName =
    typeof e.stack === 'string' ? /^([A-Za-z_$][\w$]*)(?::|\n|$)/.exec(e.stack)?.[1] : undefined;
  const type =
    typeof e.type === 'string' && e.type ? e.type : name === 'Error' && stackName ? stackName : name;
  const cause = depth < 10 && e.cause != null ? serializeError(e.cause, depth + 1) : undefined;
  return { type, message: e.message, ...(cause !== undefined ? { cause } : {}) };
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
