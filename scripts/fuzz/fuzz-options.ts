/**
 * Command line of `npm run fuzz`:
 *
 *   npm run fuzz [-- --requests N] [--seed S] [--short] [--json]
 *
 * --short is the CI form: 1,000 requests from a fixed seed, so a CI failure replays exactly. Without
 * --seed a run draws a random seed and prints it first. The PostgreSQL server is TEST_DATABASE_URL
 * (required, e.g. postgres://postgres@127.0.0.1:5432/postgres), Redis is REDIS_URL (Default:
 * redis://127.0.0.1:6379); both must be on this machine, since the fuzz only talks to loopback.
 */
import { parseArgs } from 'node:util';
import { randomSeed } from '../chaos/seeded-random.ts';

export const DEFAULT_REQUESTS = 10_000;
export const SHORT_REQUESTS = 1_000;
/** The seed of `--short`: any constant; changing it changes what CI sends. */
export const SHORT_SEED = 20261202;
const MAX_REQUESTS = 1_000_000;

export interface FuzzOptions {
  requests: number;
  seed: number;
  short: boolean;
  /** Print the JSON summary instead of the table. */
  json: boolean;
  adminDatabaseUrl: string;
  redisUrl: string;
}

export const USAGE = 'usage: npm run fuzz [-- --requests N] [--seed S] [--short] [--json]\n' +
  `  --requests N  how many requests to send, 1 to ${MAX_REQUESTS} (default ${DEFAULT_REQUESTS})\n` +
  '  --seed S      a whole number from 0 to 4294967295 (default: random, printed at the start)\n' +
  `  --short       the CI form: ${SHORT_REQUESTS} requests, seed ${SHORT_SEED}\n` +
  '  --json        print the JSON summary instead of the table\n' +
  '  env: TEST_DATABASE_URL (required, a PostgreSQL server on 127.0.0.1), REDIS_URL';

export class UsageError extends Error {}

export function parseFuzzOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): FuzzOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        requests: { type: 'string' },
        seed: { type: 'string' },
        short: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const short = values.short ?? false;
  let requests = short ? SHORT_REQUESTS : DEFAULT_REQUESTS;
  if (values.requests !== undefined) {
    requests = wholeNumber('--requests', values.requests, 1, MAX_REQUESTS);
  }
  let seed = short ? SHORT_SEED : randomSeed();
  if (values.seed !== undefined) seed = wholeNumber('--seed', values.seed, 0, 0xffffffff);

  const adminDatabaseUrl = env.TEST_DATABASE_URL;
  if (!adminDatabaseUrl) {
    throw new UsageError(
      'TEST_DATABASE_URL is unset: the fuzz creates its own database on that server, e.g. ' +
        'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
    );
  }
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  for (const [name, url] of [['TEST_DATABASE_URL', adminDatabaseUrl], ['REDIS_URL', redisUrl]]) {
    if (!isLoopback(url!)) {
      throw new UsageError(
        `${name} must point at 127.0.0.1 (the fuzz only talks to this machine), got ${url}`,
      );
    }
  }
  return { requests, seed, short, json: values.json ?? false, adminDatabaseUrl, redisUrl };
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** How to send exactly the same requests again. */
export function replayCommand(options: Pick<FuzzOptions, 'requests' | 'seed'>): string {
  return `npm run fuzz -- --requests ${options.requests} --seed ${options.seed}`;
}
