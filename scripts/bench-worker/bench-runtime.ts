/**
 * How the worker bench starts more copies of itself (the platform, the burst10k worker processes) under
 * the runtime it is running on, and where it lives.
 */
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export type Runtime = 'node' | 'deno';

/** The bench's entry, which every child runs with a mode flag. */
export const SCRIPT = fileURLToPath(new URL('../bench-worker.ts', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `[command, args]` running SCRIPT with `args` under this process's runtime (one OS process). */
export function runtimeCommand(args: string[]): [string, string[]] {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return deno
    ? [deno.execPath(), ['run', '--allow-all', SCRIPT, ...args]]
    : [process.execPath, ['--import', 'tsx', SCRIPT, ...args]];
}
