/**
 * Watches the worker fleet for processes that exit without a fault hitting them (a crash is a
 * finding even when nothing was lost), notes the error each printed last, and starts it again.
 * Slots in `busy` are being hit or restarted by the fault injector and are left alone.
 */
import { sleep } from './waiting.ts';
import type { WorkerFleet, WorkerSlot } from './worker-fleet.ts';

/** A worker that exited without a fault hitting it. */
export interface WorkerExit {
  worker: string;
  code: number | null;
  signal: string | null;
  /** Epoch ms when the soak noticed. */
  at: number;
  /** The uncaught error it printed last, in short. */
  cause: string;
}

export interface WorkerWatchdog {
  exits: WorkerExit[];
  close(): Promise<void>;
}

export function startWorkerWatchdog(
  fleet: WorkerFleet,
  busy: Set<WorkerSlot>,
  log: (line: string) => void,
): WorkerWatchdog {
  const exits: WorkerExit[] = [];
  let watching = true;
  const loop = (async () => {
    while (watching) {
      for (const slot of fleet.slots) {
        if (busy.has(slot) || slot.current.running()) continue;
        const exit = await slot.current.exited;
        exits.push({
          worker: slot.name,
          code: exit.code,
          signal: exit.signal,
          at: Date.now(),
          cause: exitCause(slot.current.errorLines(), slot.current.outputTail()),
        });
        log(`${slot.name} exited on its own; starting it again`);
        busy.add(slot);
        await fleet.restart(slot).catch((err) => log(`could not restart ${slot.name}: ${err}`));
        busy.delete(slot);
      }
      await sleep(500);
    }
  })();
  return {
    exits,
    async close() {
      watching = false;
      await loop;
    },
  };
}

/**
 * What made a worker exit, in short: its fatal or "uncaught" log line (the worker turns an uncaught
 * error into a graceful shutdown and logs why), else the uncaught error a crash printed, else its
 * last error line.
 */
export function exitCause(errorLines: readonly string[], tail: string): string {
  const parsed = errorLines.map((line) => {
    try {
      return JSON.parse(line) as {
        level?: number;
        msg?: string;
        err?: { type?: string; message?: string } | string;
      };
    } catch {
      return null;
    }
  });
  const fatal = [...parsed].reverse().find((l) =>
    l && (l.level === 60 || /uncaught|shutting down so|failed to start/i.test(l.msg ?? ''))
  );
  if (fatal) {
    const hung = parsed.slice(parsed.lastIndexOf(fatal)).some((l) => /shutdown hung/.test(l?.msg ?? ''));
    return `${short(fatal)}${hung ? '; then its shutdown hung until the watchdog ended it' : ''}`.slice(
      0,
      400,
    );
  }
  const crash = uncaughtError(tail);
  if (crash) return crash;
  const last = [...parsed].reverse().find((l) => l !== null);
  return last ? short(last) : (errorLines.at(-1) ?? '(no error printed)').slice(0, 300);
}

function short(line: { msg?: string; err?: { type?: string; message?: string } | string }): string {
  const err = typeof line.err === 'string'
    ? line.err
    : line.err
    ? `${line.err.type}: ${line.err.message}`
    : '';
  return `${line.msg ?? ''}${err ? ` (${err})` : ''}`.slice(0, 300);
}

/** The uncaught error a crashed process printed last (Node's or Deno's format), with its first frame. */
function uncaughtError(tail: string): string | null {
  // deno colours its output; the report is plain text.
  // deno-lint-ignore no-control-regex
  const lines = tail.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const error = [...lines].reverse().find((l) => /^(error: )?(Uncaught )?\w*Error\b/.test(l));
  if (!error) return null;
  const at = lines.slice(lines.lastIndexOf(error) + 1).find((l) => l.startsWith('at '));
  return `${error}${at ? ` ${at}` : ''}`.slice(0, 300);
}
