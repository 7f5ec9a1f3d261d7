/**
 * A redis-server of the test's own, on a free loopback port, that the test may stop and start again
 * on the same port — for tests that take Redis away, which must never touch the shared one.
 * No persistence, `noeviction` as BullMQ needs. `skipReason` says why a test cannot have one.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../src/dev/free-port.ts';
import { probeRedis } from '../../src/dev/private-redis.ts';

export const ownRedisSkip: string | false = spawnSync('redis-server', ['--version']).status === 0
  ? false
  : 'redis-server is not installed (apt-get install redis-server)';

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM; it is empty when it comes back). */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers. */
  start(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const server = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ], { stdio: 'ignore' });
    child = server;
    const deadline = Date.now() + 10_000;
    while (!(await probeRedis(url, 500))) {
      if (server.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server did not come up on port ${port}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function stop(): Promise<void> {
    const server = child;
    child = null;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }

  await start();
  return { url, port, stop, start };
}
