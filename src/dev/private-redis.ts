/**
 * Redis for the dev stack: `probeRedis` tells whether a server answers at a URL, and
 * `startPrivateRedis` runs a throw-away `redis-server` on a free local port — no persistence
 * (`--save "" --appendonly no`), `noeviction` as BullMQ needs — that `stop()` ends. Dev-only.
 */
import { spawn } from 'node:child_process';
import { freePort } from './free-port.ts';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../queue/redis-options.ts';

/** How to get a Redis, for messages. */
export const REDIS_INSTALL_HINT =
  'install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis && brew services start redis) or set REDIS_URL';

/** True when a Redis server answers PING at `url` within `timeoutMs`. Never throws. */
export async function probeRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  let client: Redis;
  try {
    client = new Redis({
      ...redisOptionsFromUrl(url, 'producer'),
      lazyConnect: true,
      connectTimeout: timeoutMs,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
  } catch {
    return false;
  }
  client.on('error', () => {}); // the outcome is the return value
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ping = client.connect().then(() => client.ping()).then((answer) => answer === 'PONG', () => false);
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** True for redis URLs on this machine (only those may get a private server instead). */
export function isLocalRedisUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === '127.0.0.1' || host === 'localhost' || host === '::1';
  } catch {
    return false;
  }
}

export interface PrivateRedis {
  /** e.g. redis://127.0.0.1:40123 */
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
  /** Sends SIGKILL at once, synchronously (for a process `exit` handler). */
  kill(): void;
}

export class RedisServerMissingError extends Error {
  constructor(binary: string, options?: { cause?: unknown }) {
    super(`${binary} is not installed; ${REDIS_INSTALL_HINT}`, options);
    this.name = 'RedisServerMissingError';
  }
}

export interface StartPrivateRedisOptions {
  /** (Default: 'redis-server' on PATH) */
  binary?: string;
  /** How long to wait for the first PONG. (Default: 5000 ms) */
  startTimeoutMs?: number;
}

/** Throws RedisServerMissingError when the binary is absent, Error when it does not come up. */
export async function startPrivateRedis(options: StartPrivateRedisOptions = {}): Promise<PrivateRedis> {
  const binary = options.binary ?? 'redis-server';
  const port = await freePort();
  const child = spawn(
    binary,
    [
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
    ],
    // Its own process group: Ctrl-C in the terminal reaches the dev stack only, which still needs
    // Redis to shut the worker down and stops this server last.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Uint8Array) => {
    if (stderr.length < 2000) stderr += new TextDecoder().decode(chunk);
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('exit', (code) => resolve({ code }));
    child.once('error', (error) => resolve({ code: null, error }));
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  let up = false;
  while (!up && Date.now() < deadline) {
    const early = await Promise.race([exited, delay(50).then(() => null)]);
    if (early) {
      if ((early.error as { code?: string } | undefined)?.code === 'ENOENT') {
        throw new RedisServerMissingError(binary, { cause: early.error });
      }
      throw new Error(
        `${binary} exited at start-up (${early.error?.message ?? `code ${early.code}`}): ${stderr.trim()}`,
      );
    }
    up = await probeRedis(url, 500);
  }
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    })();
    return stopped;
  };
  if (!up) {
    await stop();
    throw new Error(`${binary} did not answer on port ${port} within ${options.startTimeoutMs ?? 5000} ms`);
  }
  return {
    url,
    port,
    stop,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
