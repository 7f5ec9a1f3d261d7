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
    : [process.execPath, [...cpuProfileFlags(args), '--import', 'tsx', SCRIPT, ...args]];
}

/**
 * BENCH_CPU_PROF_DIR: each burst10k worker process under Node writes a V8 CPU profile there (files
 * named by time and pid, in the order of the runs: worker and minimum alternate), which
 * `npm run bench -- api --profile-summary <file>` summarises. Node refuses --cpu-prof in NODE_OPTIONS.
 */
function cpuProfileFlags(args: string[]): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir || !args.includes('--worker-process')) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}
