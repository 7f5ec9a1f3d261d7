/**
 * Spawns tests/fakes/fake-worker-process.ts as a child process under the runtime running the test
 * (Node with tsx, or Deno), and reads its JSON log lines. Under Deno it uses Deno.Command: Deno's
 * node:child_process reports the signal it sent instead of the exit code the child chose.
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../fakes/fake-worker-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Signal = 'SIGTERM' | 'SIGKILL' | 'SIGINT';

export interface WorkerProcess {
  pid: number;
  lines: Record<string, unknown>[];
  stderr(): string;
  kill(signal: Signal): void;
  /** True until the process exited. */
  running(): boolean;
  /** Resolves once a log line with this msg appeared. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code, or the signal name when a signal ended it. */
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

export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  const fullEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve(line: Record<string, unknown>): void }[] = [];
  let stderr = '';
  let buffer = '';
  let done = false;

  function onStdout(chunk: string, pid: number) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (process.env.TEST_LOG === '1') console.log(`[child ${pid}] ${text}`);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.filter((w) => w.msg === line.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  let pid: number;
  let kill: (signal: Signal) => void;
  let exited: Promise<number | string>;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const child = new deno.Command(deno.execPath(), {
      args: ['run', '--allow-all', ENTRY],
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
      const reader = stream.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        sink(decoder.decode(value, { stream: true }));
      }
    };
    const pumps = Promise.all([
      pump(child.stdout, (t) => onStdout(t, pid)),
      pump(child.stderr, (t) => (stderr += t)),
    ]);
    exited = Promise.all([child.status, pumps]).then(([status]) => status.signal ?? status.code);
  } else {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: ROOT,
      env: fullEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pid = child.pid!;
    kill = (signal) => void child.kill(signal);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => onStdout(chunk, pid));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
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
      const found = lines.find((l) => l.msg === msg);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no "${msg}" log line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)),
          timeoutMs,
        );
        const waiter = {
          msg,
          resolve: (line: Record<string, unknown>) => (clearTimeout(timer), resolve(line)),
        };
        waiters.push(waiter);
        exited.then(() => {
          if (waiters.includes(waiter)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            clearTimeout(timer);
            reject(new Error(`worker exited before "${msg}"; stderr: ${stderr.slice(-2000)}`));
          }
        });
      });
    },
  };
}
