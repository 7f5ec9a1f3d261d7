/**
 * Small numeric and Redis helpers the worker bench's scenarios share: percentiles and medians, waiting
 * with a deadline, unique key prefixes and their clean-up.
 */
import process from 'node:process';
import type { Redis } from 'ioredis';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Like waitUntil, for a check that asks another process (polled every `everyMs`). */
export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * The run's tag (set by the parent for its children): every Redis prefix of one `npm run bench -- worker`
 * starts with `bench-<tag>-`, so the parent can delete whatever a child killed by Ctrl-C left behind.
 */
export const RUN_TAG_ENV = 'BENCH_WORKER_RUN';

export function runTag(): string {
  return process.env[RUN_TAG_ENV] ?? 'solo';
}

export function uniquePrefix(label: string): string {
  return `bench-${runTag()}-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Deletes every key matching `pattern*` (a braced prefix such as `{bench-…}:`). */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${pattern}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export function deletePrefix(redis: Redis, braced: string): Promise<void> {
  return deleteMatching(redis, `${braced}:`);
}

export async function prefixBytes(redis: Redis, braced: string): Promise<number> {
  let cursor = '0';
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${braced}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) total += Number(await redis.memory('USAGE', key, 'SAMPLES', 0)) || 0;
  } while (cursor !== '0');
  return total;
}

/**
 * CPU time (ms, user + system) this process spends from `fromMs` until `work` resolves: what one side
 * costs per target, which wall-clock rates on a shared machine hide. `onStart` runs at that moment (the
 * Postgres rigs reset their round-trip counters there, so the set-up's statements are not counted).
 */
export async function cpuWhile(
  fromMs: number,
  work: () => Promise<void>,
  onStart: () => void = () => {},
): Promise<number> {
  await sleep(fromMs - 20 - Date.now());
  onStart();
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
