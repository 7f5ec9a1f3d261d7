/** The HTTP API on Node (`src/entry/node-api.ts`), on a free port, against the soak's database and Redis. */
import process from 'node:process';
import { freePort } from '../../src/dev/free-port.ts';
import type { ManagedProcess } from './managed-process.ts';
import { startProcess } from './managed-process.ts';

export interface ApiProcess {
  url: string;
  process: ManagedProcess;
}

export async function startApiProcess(options: {
  env: Record<string, string>;
  cwd: string;
  logDir: string;
}): Promise<ApiProcess> {
  const port = await freePort();
  const child = startProcess({
    name: 'api',
    command: process.execPath,
    args: ['--import', 'tsx', 'src/entry/node-api.ts'],
    env: { ...options.env, PORT: String(port) },
    cwd: options.cwd,
    logDir: options.logDir,
  });
  await child.waitForOutput('"api listening"', 40_000);
  return { url: `http://127.0.0.1:${port}`, process: child };
}
