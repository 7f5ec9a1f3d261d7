/**
 * Start-up configuration for every entry point: a bad environment prints the list of problems and
 * exits with code 2 — never a stack trace.
 */
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/load-config.ts';

export interface ExitIo {
  error(message: string): void;
  exit(code: number): never;
}

export function loadConfigOrExit(env: Readonly<Record<string, string | undefined>>, io: ExitIo): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.error(err.message);
      return io.exit(2);
    }
    throw err;
  }
}
