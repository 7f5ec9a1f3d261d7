/**
 * Child processes of the soak. Each runs in its own process group (`detached: true`) so a signal
 * reaches everything it started (`sh scripts/deno.sh` execs deno, tsx may fork), and its stdout and
 * stderr go to `<logDir>/<name>.log` (appended across restarts, with a marker line per start).
 *
 * Every process started is registered; `killAllProcesses()` SIGKILLs the groups still alive, which
 * the soak calls from `finally` and from its signal and exit handlers, so nothing outlives it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { withTimeout } from './waiting.ts';

export interface ProcessSpec {
  /** Also the log file's name. */
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  logDir: string;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ProcessExit>;
  running(): boolean;
  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group; SIGKILL once `graceMs` passed. Resolves when it exited. */
  stop(graceMs: number): Promise<ProcessExit>;
  /** The last few KB of its stdout and stderr (for reports on a process that died). */
  outputTail(): string;
  /**
   * Its latest error lines: JSON log lines at level error/fatal (reduced to level, msg and the
   * error's type and message, still JSON), or plain lines naming an Error.
   */
  errorLines(): readonly string[];
  /** Resolves once stdout or stderr contained `marker`; rejects if it exits or `timeoutMs` passes first. */
  waitForOutput(marker: string, timeoutMs: number): Promise<void>;
}

const live = new Set<ManagedProcess>();
let closed = false;

/**
 * SIGKILLs every process group the soak started and that is still alive (synchronous). With
 * `final`, no process may be started afterwards: a fault that is still restarting a worker when
 * the soak is interrupted must not leave a new one behind.
 */
export function killAllProcesses(options: { final?: boolean } = {}): void {
  if (options.final) closed = true;
  for (const child of live) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone: nothing to do.
    }
  }
  live.clear();
}

/** Log streams stay open per file across restarts of the same name. */
const logStreams = new Map<string, WriteStream>();

function logStream(file: string): WriteStream {
  let stream = logStreams.get(file);
  if (!stream) {
    stream = createWriteStream(file, { flags: 'a' });
    logStreams.set(file, stream);
  }
  return stream;
}

/** Flushes and closes the log files (after every process stopped). */
export async function closeLogStreams(): Promise<void> {
  const streams = [...logStreams.values()];
  logStreams.clear();
  await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
}

export function startProcess(spec: ProcessSpec): ManagedProcess {
  if (closed) throw new Error(`not starting ${spec.name}: the soak is shutting down`);
  const logFile = join(spec.logDir, `${spec.name}.log`);
  const log = logStream(logFile);
  log.write(
    `\n===== chaos: start ${spec.name} at ${new Date().toISOString()}: ${spec.command} ${
      spec.args.join(' ')
    }\n`,
  );
  const child: ChildProcess = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  const pid = child.pid;

  let done = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (err) => {
      log.write(`===== chaos: ${spec.name} failed to start: ${err.message}\n`);
      done = true;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      done = true;
      log.write(
        `===== chaos: ${spec.name} exited (code ${code}, signal ${signal}) at ${new Date().toISOString()}\n`,
      );
      resolve({ code, signal });
    });
  });

  // Start-up markers are looked for in a bounded tail, so a chatty process costs no memory.
  let tail = '';
  // Error lines are kept apart from the tail: a graceful shutdown after the error that caused it
  // can print more than the tail holds.
  const errors: string[] = [];
  let partial = '';
  const watchers: { marker: string; resolve(): void }[] = [];
  const onOutput = (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-8192);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(-4096);
    for (const line of lines) {
      if (/"level":(50|60)\b/.test(line) || (!line.startsWith('{') && /\w*Error\b/.test(line))) {
        errors.push(compactLogLine(line));
        if (errors.length > 200) errors.shift();
      }
    }
    for (const w of [...watchers]) {
      if (tail.includes(w.marker)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  };

  const managed: ManagedProcess = {
    name: spec.name,
    pid,
    logFile,
    exited,
    running: () => !done,
    outputTail: () => tail,
    errorLines: () => errors,
    signal(signal) {
      if (!done) killGroup(signal);
    },
    async stop(graceMs) {
      if (done) return exited;
      managed.signal('SIGTERM');
      const timer = setTimeout(() => managed.signal('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      // Whatever the leader left behind in its group goes too.
      killGroup('SIGKILL');
      return result;
    },
    waitForOutput(marker, timeoutMs) {
      if (tail.includes(marker)) return Promise.resolve();
      const seen = new Promise<void>((resolve) => watchers.push({ marker, resolve }));
      const died = exited.then((exit) => {
        throw new Error(
          `${spec.name} exited (code ${exit.code}, signal ${exit.signal}) before it printed "${marker}"; see ${logFile}`,
        );
      });
      return withTimeout(
        Promise.race([seen, died]),
        timeoutMs,
        `${spec.name} did not print "${marker}" within ${timeoutMs} ms; see ${logFile}`,
      );
    },
  };
  live.add(managed);
  void exited.then(() => live.delete(managed));
  return managed;
}

/** A pino line without its stack and context, so it stays small and still parses. */
function compactLogLine(line: string): string {
  try {
    const parsed = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
    const err = parsed.err as { type?: string; message?: string } | string | undefined;
    return JSON.stringify({
      level: parsed.level,
      msg: parsed.msg,
      err: typeof err === 'object' && err !== null ? { type: err.type, message: err.message } : err,
    });
  } catch {
    return line.slice(0, 500);
  }
}
