import pino from 'pino';

export type Logger = pino.Logger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Field names that hold raw device identifiers. Device ids must never be logged:
 * log pseudonyms or counts instead. Redacting these paths is only a safety net
 * for a mistake, not permission to pass raw ids to the logger.
 */
const DEVICE_ID_FIELDS = ['deviceId', 'device_id', 'wifi', 'bluetooth', 'mobile'] as const;

export const REDACTED_LOG_PATHS: readonly string[] = DEVICE_ID_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
]);

export interface LoggerOptions {
  /** The program or component, written as `name` on every line. */
  readonly name: string;
  readonly level: LogLevel;
  /** Where JSON lines go; stdout (written synchronously, so nothing is lost on exit) by default. */
  readonly destination?: pino.DestinationStream;
}

/**
 * A pino logger writing one JSON object per line, with device-id fields redacted. The
 * level is written by name (`"level":"warn"`), which a reader of the log need not decode.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
