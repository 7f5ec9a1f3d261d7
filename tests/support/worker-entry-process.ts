/**
 * The real worker entry as a child process, under the runtime running the test: src/entry/node-worker.ts
 * with tsx under Node, src/entry/deno-worker.ts under Deno — so what each runtime does itself (its
 * HTTP server, its signals) is what the test sees. Reads the JSON log lines from stdout.
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerEntryProcess {
  pid: number;
  lines: Record<string, unknown>[];
  stderr(): string;
  kill(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): void;
  running(): boolean;
  /** The first log line with this msg (already seen or yet to come). */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string>;
}

interface DenoChild {
  pid: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  status: Promise<{ code: number; signal: string | null }>;
  kill(signal: string): void;
}
interface DenoLike {
  execPath(): string;
  Command: new (cmd: string, options: Record<string, unknown>) => { spawn(): DenoChild };
}

export function spawnWorkerEntry(env: Record<string, string>): WorkerEntryProcess {
  const fullEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<{ msg: string; resolve(line: Record<string, unknown>): void }>();
  let stderr = '';
  let buffer = '';
  let done = false;

  const onStdout = (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (process.env.TEST_LOG === '1') console.log(`[worker] ${text}`);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      lines.push(line);
      for (const waiter of [...waiters].filter((w) => w.msg === line.msg)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };

  let pid: number;
  let kill: WorkerEntryProcess['kill'];
  let exited: Promise<number | string>;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const child = new deno.Command(deno.execPath(), {
      args: ['run', '--allow-all', 'src/entry/deno-worker.ts'],
      cwd: ROOT,
      env: fullEnv,
      clearEnv: true,
      stdin: 'null',
      stdout: 'piped',
      stderr: 'piped',
    }).spawn();
    pid = child.pid;
    kill = (signal) => child.kill(signal);
    const pump = async (stream: ReadableStream<Uint8Array>, sink: (text: string) => void) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    };
    const pumps = Promise.all([pump(child.stdout, onStdout), pump(child.stderr, (t) => (stderr += t))]);
    // Deno's node:child_process reports the signal it sent instead of the exit code the child chose.
    exited = Promise.all([child.status, pumps]).then(([status]) => status.signal ?? status.code);
  } else {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entry/node-worker.ts'], {
      cwd: ROOT,
      env: fullEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pid = child.pid!;
    kill = (signal) => void child.kill(signal);
    child.stdout!.setEncoding('utf8').on('data', onStdout);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  }
  exited = exited.finally(() => (done = true));

  return {
    pid,
    lines,
    stderr: () => stderr,
    kill,
    running: () => !done,
    exited,
    waitForLog(msg, timeoutMs = 30_000) {
      const seen = lines.find((line) => line.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          msg,
          resolve(line: Record<string, unknown>) {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no "${msg}" log line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(waiter);
        exited.then(() => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`the worker exited before "${msg}"; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
  };
}
