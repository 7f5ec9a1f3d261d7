/**
 * The structured JSON logger (pino). Created once in an entry file and passed down; components bind
 * context with child loggers. Paths that could carry secrets are redacted as a second line of
 * defence — code must still never log tokens, Authorization headers or full post text at info.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from '../config/load-config.ts';

export type { Logger };

const REDACT_PATHS = [
  'accessToken',
  'refreshToken',
  'tokens',
  '*.accessToken',
  '*.refreshToken',
  '*.tokens',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level: LogLevel;
  name?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'solospark',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
