/**
 * The worker bench's fake platform: one HTTP server in its own process (a real platform is remote: in the
 * bench's process its timers would be delayed by whichever side keeps the event loop busier) that answers
 * every publish after PLATFORM_LATENCY_MS. It also records, per target, when the request arrived and
 * when it answered, and serves those records (`GET /records`, `GET /count`, `POST /reset`): the
 * burst10k scenario's workers are other processes, so only the platform sees all their sends.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { PLATFORMS } from '../../src/domain/platform.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { PublishError } from '../../src/platforms/publish-error.ts';
import type { Published, Publisher, PublishRequest } from '../../src/platforms/publisher.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';
import { ROOT, runtimeCommand } from './bench-runtime.ts';

export const PLATFORM_LATENCY_MS = 50;

/** One publish the platform saw: target (or job) id, arrival and answer times (epoch ms). */
export interface PlatformRecord {
  id: string;
  startMs: number;
  endMs: number;
}

export interface PlatformHandle {
  /** The publish endpoint; `?t=<id>` names the target in the records. */
  url: string;
  pid: number;
  reset(): Promise<void>;
  count(): Promise<number>;
  records(): Promise<PlatformRecord[]>;
  close(): Promise<void>;
}

export async function startPlatform(): Promise<PlatformHandle> {
  const [cmd, args] = runtimeCommand(['--platform']);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the bench platform exited with ${code}`)));
  });
  const at = (path: string) => new URL(path, url).toString();
  return {
    url,
    pid: child.pid!,
    async reset() {
      await (await fetch(at('/reset'), { method: 'POST' })).arrayBuffer();
    },
    async count() {
      return Number(await (await fetch(at('/count'))).text());
    },
    async records() {
      const rows = await (await fetch(at('/records'))).json() as [string, number, number][];
      return rows.map(([id, startMs, endMs]) => ({ id, startMs, endMs }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The `--platform` process. */
export async function servePlatform(): Promise<void> {
  let seq = 0;
  let records: [string, number, number][] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/count') return void res.end(String(records.length));
    if (req.method === 'GET' && path === '/records') return void res.end(JSON.stringify(records));
    if (req.method === 'POST' && path === '/reset') {
      records = [];
      return void res.end('ok');
    }
    req.resume();
    req.on('end', () => {
      const startMs = Date.now();
      const id = new URL(path, 'http://platform').searchParams.get('t');
      setTimeout(() => {
        const externalId = `p-${++seq}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ externalId, url: null }),
        );
        if (id !== null) records.push([id, startMs, Date.now()]);
      }, PLATFORM_LATENCY_MS);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://127.0.0.1:${port}/publish`);
  process.on('SIGTERM', () => process.exit(0));
}

export async function callPlatform(url: string, id: string, signal?: AbortSignal): Promise<Published> {
  const res = await fetch(`${url}?t=${encodeURIComponent(id)}`, {
    method: 'POST',
    body: JSON.stringify({ t: id }),
    headers: { 'content-type': 'application/json' },
    signal,
  });
  return await res.json() as Published;
}

/** Records when each target's publish started and when the platform answered. */
export function benchPublishers(
  url: string,
  starts: Map<string, number>,
  ends: Map<string, number>,
): PublisherRegistry {
  const make = (platform: Platform): Publisher => ({
    platform,
    maxTextLength: 3000,
    textLength: (t) => t.length,
    validate: () => [],
    validateComment: () => [],
    comment: () => Promise.reject(new Error('the bench posts no first comments')),
    async publish(request: PublishRequest) {
      starts.set(request.targetId, Date.now());
      const published = await callPlatform(url, request.targetId, request.signal);
      ends.set(request.targetId, Date.now());
      return published;
    },
    needsRefresh: () => false,
    refresh: () => Promise.reject(new PublishError('auth_expired', 'no refresh in the bench', { platform })),
    authorizationUrl: () => '',
    exchangeCode: () =>
      Promise.reject(new PublishError('auth_expired', 'no oauth in the bench', { platform })),
  });
  return Object.fromEntries(PLATFORMS.map((p) => [p, make(p)])) as Record<Platform, Publisher>;
}
