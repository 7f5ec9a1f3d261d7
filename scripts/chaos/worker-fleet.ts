/**
 * The publishing workers: two on Node (`src/entry/node-worker.ts` via tsx) and one on Deno
 * (`src/entry/deno-worker.ts`, with the permissions of deno.json's `worker` task). Each reaches
 * Postgres through the soak's TCP proxy, under an application_name of its own (`chaos-worker-<n>`),
 * so the fault injector can find its sessions. Slots keep their name across restarts; each process
 * logs to `<logDir>/worker-<n>-<runtime>.log`.
 */
import process from 'node:process';
import type { ManagedProcess } from './managed-process.ts';
import { startProcess } from './managed-process.ts';

export type WorkerRuntime = 'node' | 'deno';

export interface WorkerSlot {
  index: number;
  runtime: WorkerRuntime;
  name: string;
  current: ManagedProcess;
  starts: number;
  /** Starts that exited before the worker was ready (e.g. Redis was down at the time). */
  startFailures: number;
}

export interface WorkerFleet {
  slots: readonly WorkerSlot[];
  /** Starts the slot's worker again (after it exited) and waits until it is ready. */
  restart(slot: WorkerSlot): Promise<void>;
  stopAll(graceMs: number): Promise<void>;
}

const READY_MARKER = '"worker ready"';
const READY_TIMEOUT_MS = 60_000;
const START_TRIES = 5;

export async function startWorkerFleet(options: {
  env: Record<string, string>;
  /** The database URL through the TCP proxy (no query string). */
  proxiedDatabaseUrl: string;
  cwd: string;
  logDir: string;
  runtimes: readonly WorkerRuntime[];
}): Promise<WorkerFleet> {
  const launch = (index: number, runtime: WorkerRuntime): ManagedProcess => {
    const url = new URL(options.proxiedDatabaseUrl);
    url.searchParams.set('application_name', `chaos-worker-${index}`);
    const args = runtime === 'node' ? ['--import', 'tsx', 'src/entry/node-worker.ts'] : [
      'scripts/deno.sh',
      'run',
      '--allow-env',
      '--allow-net',
      '--allow-read',
      '--allow-sys',
      'src/entry/deno-worker.ts',
    ];
    return startProcess({
      name: `worker-${index}-${runtime}`,
      command: runtime === 'node' ? process.execPath : 'sh',
      args,
      env: { ...options.env, DATABASE_URL: url.toString() },
      cwd: options.cwd,
      logDir: options.logDir,
    });
  };
  const slots: WorkerSlot[] = options.runtimes.map((runtime, i) => {
    const index = i + 1;
    return {
      index,
      runtime,
      name: `worker-${index}-${runtime}`,
      current: launch(index, runtime),
      starts: 1,
      startFailures: 0,
    };
  });
  await Promise.all(slots.map((s) => s.current.waitForOutput(READY_MARKER, READY_TIMEOUT_MS)));
  return {
    slots,
    async restart(slot) {
      if (slot.current.running()) throw new Error(`${slot.name} is still running; stop it before a restart`);
      // A worker refuses to start while Redis or Postgres is down (exit 1), as it should; a
      // supervisor would start it again, and so does this, a few times.
      for (let attempt = 1;; attempt++) {
        slot.current = launch(slot.index, slot.runtime);
        slot.starts++;
        try {
          await slot.current.waitForOutput(READY_MARKER, READY_TIMEOUT_MS);
          return;
        } catch (err) {
          if (attempt >= START_TRIES || slot.current.running()) throw err;
          slot.startFailures++;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    },
    async stopAll(graceMs) {
      await Promise.all(slots.map((s) => s.current.stop(graceMs)));
    },
  };
}
