/**
 * The soak's private redis-server, on a free loopback port, with its data in its own temp folder
 * (`--appendonly yes`, so a restart can keep the data) and `noeviction` as BullMQ requires. The soak
 * crashes it (SIGKILL) and starts it again on the same port, with its data or after deleting it.
 * Acknowledged writes survive a SIGKILL: Redis hands the AOF to the kernel before it replies.
 *
 * `deleteKeys` SCANs and DELs keys under one prefix only; it never flushes.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { Redis } from 'ioredis';
import { freePort } from '../../src/dev/free-port.ts';
import type { ManagedProcess } from './managed-process.ts';
import { startProcess } from './managed-process.ts';
import { pollUntil } from './waiting.ts';

export interface ChaosRedis {
  url: string;
  port: number;
  /** Crashes the server and starts it again on the same port, with or without its data. */
  restart(options: { keepData: boolean; downMs: number }): Promise<void>;
  /** Deletes the keys matching `pattern` (SCAN + DEL). Returns how many. */
  deleteKeys(pattern: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startChaosRedis(options: { workDir: string; logDir: string; cwd: string }): Promise<
  ChaosRedis
> {
  const port = await freePort();
  const dataDir = join(options.workDir, 'redis-data');
  await mkdir(dataDir, { recursive: true });
  const url = `redis://127.0.0.1:${port}`;
  let server: ManagedProcess = await launch();

  async function launch(): Promise<ManagedProcess> {
    const child = startProcess({
      name: 'redis',
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dataDir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      env: { PATH: process.env.PATH ?? '' },
      cwd: options.cwd,
      logDir: options.logDir,
    });
    const up = await pollUntil(() => ping(url), { timeoutMs: 10_000, intervalMs: 50 });
    if (!up) {
      await child.stop(1000);
      throw new Error(`redis-server did not answer on port ${port} within 10 s; see ${child.logFile}`);
    }
    return child;
  }

  return {
    url,
    port,
    async restart({ keepData, downMs }) {
      server.signal('SIGKILL');
      await server.exited;
      if (!keepData) {
        await rm(join(dataDir, 'appendonlydir'), { recursive: true, force: true });
        await rm(join(dataDir, 'dump.rdb'), { force: true });
      }
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await launch();
    },
    async deleteKeys(pattern) {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
      client.on('error', () => {}); // the call's own rejection reports it
      try {
        await client.connect();
        let cursor = '0';
        let deleted = 0;
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (keys.length > 0) deleted += await client.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        return deleted;
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await server.stop(3000);
    },
  };
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {}); // false is the answer
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
