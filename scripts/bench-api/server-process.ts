/**
 * The server process of `npm run bench -- api` as the load generator sees it: started per runtime
 * (server.ts under `node --import tsx` or `deno run`), its ports read from the JSON line it prints, its
 * counters and profiler reached on its control port, stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { Runtime } from './report.ts';
import type { LoopStats, ServerInfo, ServerStats } from './server.ts';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Server {
  child: ChildProcess;
  info: ServerInfo;
  stats(): Promise<ServerStats>;
  control(path: string): Promise<void>;
  /** What the event loop went through since /loop/start (null: not measured on this runtime). */
  loopStats(): Promise<LoopStats | null>;
}

export async function startServer(runtime: Runtime, env: Record<string, string>): Promise<Server> {
  const command = runtime === 'node'
    ? [process.execPath, ['--import', 'tsx', SERVER, '--serve']] as const
    : ['sh', [`${ROOT}scripts/deno.sh`, 'run', '--allow-all', SERVER, '--serve']] as const;
  const child = spawn(command[0], [...command[1]], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await Promise.race([
    (async () => {
      for await (const line of lines) {
        if (line.startsWith('{"apiPort"')) return JSON.parse(line) as ServerInfo;
      }
      throw new Error(`the ${runtime} server exited before it listened`);
    })(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the ${runtime} server exited with ${code}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the ${runtime} server did not start`)), 60_000).unref()
    ),
  ]);
  const base = `http://127.0.0.1:${info.controlPort}`;
  return {
    child,
    info,
    async stats() {
      return await (await fetch(`${base}/stats`)).json() as ServerStats;
    },
    async loopStats() {
      return await (await fetch(`${base}/loop/stop`, { method: 'POST' })).json() as LoopStats | null;
    },
    async control(path) {
      const res = await fetch(`${base}${path}`, { method: 'POST' });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    },
  };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
