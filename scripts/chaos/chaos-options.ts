/**
 * Command line of `npm run chaos` and the two run profiles. Times in a profile are offsets from the
 * moment the load starts (every process is up by then).
 *
 *   npm run chaos [-- --short] [--seed N] [--json] [--strict-unconfirmed]
 *                 [--faults kind,kind | --no-faults] [--posts N]
 *
 * CHAOS_SEED works like --seed; CHAOS_PG_URL names the PostgreSQL server
 * (Default: postgres://postgres@127.0.0.1:5432/postgres), which must be on loopback.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS } from './fault-kinds.ts';
import type { FaultKind } from './fault-kinds.ts';
import { randomSeed } from './seeded-random.ts';

export interface ChaosProfile {
  name: 'short' | 'default';
  posts: number;
  creators: number;
  /** Posts are due between these offsets (most spread evenly, some in bursts). */
  dueStartMs: number;
  dueEndMs: number;
  /** Groups of posts due in the same second. */
  bursts: number;
  burstSize: number;
  /**
   * Faults start and stop at these offsets; after the stop the system is left alone. Posts are due
   * before the first and after the last fault too: the calm parts give the lateness figures.
   */
  faultStartMs: number;
  faultEndMs: number;
  /** Bound on the wait, after the last post is due and the last fault ended, for every post to settle. */
  drainTimeoutMs: number;
}

export interface ChaosOptions {
  seed: number;
  profile: ChaosProfile;
  json: boolean;
  strictUnconfirmed: boolean;
  faultKinds: readonly FaultKind[];
  adminDatabaseUrl: string;
}

export const SHORT_PROFILE: ChaosProfile = {
  name: 'short',
  posts: 450,
  creators: 6,
  dueStartMs: 6_000,
  dueEndMs: 66_000,
  bursts: 4,
  burstSize: 25,
  faultStartMs: 12_000,
  faultEndMs: 54_000,
  drainTimeoutMs: 60_000,
};

export const DEFAULT_PROFILE: ChaosProfile = {
  name: 'default',
  posts: 2100,
  creators: 10,
  dueStartMs: 10_000,
  dueEndMs: 250_000,
  bursts: 10,
  burstSize: 40,
  faultStartMs: 20_000,
  faultEndMs: 230_000,
  drainTimeoutMs: 120_000,
};

export const USAGE = 'usage: npm run chaos [-- --short] [--seed N] [--json] [--strict-unconfirmed]\n' +
  `         [--faults ${FAULT_KINDS.join(',')} | --no-faults] [--posts N]`;

export class UsageError extends Error {}

export function parseChaosOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): ChaosOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        short: { type: 'boolean' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        'strict-unconfirmed': { type: 'boolean' },
        faults: { type: 'string' },
        'no-faults': { type: 'boolean' },
        posts: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const seedText = values.seed ?? env.CHAOS_SEED;
  let seed = randomSeed();
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText.trim()) || Number(seedText) > 0xffffffff) {
      throw new UsageError(
        `--seed (or CHAOS_SEED) must be a whole number from 0 to 4294967295, got ${seedText}`,
      );
    }
    seed = Number(seedText);
  }
  let faultKinds: FaultKind[] = [...FAULT_KINDS];
  if (values['no-faults']) faultKinds = [];
  else if (values.faults !== undefined) {
    const names = values.faults.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const unknown = names.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      throw new UsageError(`unknown fault kind ${unknown.join(', ')}; use some of ${FAULT_KINDS.join(', ')}`);
    }
    faultKinds = names as FaultKind[];
  }
  const profile = { ...(values.short ? SHORT_PROFILE : DEFAULT_PROFILE) };
  if (values.posts !== undefined) {
    if (!/^\d+$/.test(values.posts) || Number(values.posts) < 1 || Number(values.posts) > 20_000) {
      throw new UsageError(`--posts must be a whole number from 1 to 20000, got ${values.posts}`);
    }
    profile.posts = Number(values.posts);
  }
  const adminDatabaseUrl = env.CHAOS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!isLoopback(adminDatabaseUrl)) {
    throw new UsageError(
      `CHAOS_PG_URL must point at 127.0.0.1 (the soak only talks to this machine), got ${adminDatabaseUrl}`,
    );
  }
  return {
    seed,
    profile,
    json: values.json ?? false,
    strictUnconfirmed: values['strict-unconfirmed'] ?? false,
    faultKinds,
    adminDatabaseUrl,
  };
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost';
  } catch {
    return false;
  }
}

/** For messages: how the run can be replayed. */
export function replayCommand(options: ChaosOptions): string {
  const parts = ['npm run chaos --'];
  if (options.profile.name === 'short') parts.push('--short');
  parts.push(`--seed ${options.seed}`);
  if (options.faultKinds.length === 0) parts.push('--no-faults');
  else if (options.faultKinds.length < FAULT_KINDS.length) {
    parts.push(`--faults ${options.faultKinds.join(',')}`);
  }
  const base = options.profile.name === 'short' ? SHORT_PROFILE : DEFAULT_PROFILE;
  if (options.profile.posts !== base.posts) parts.push(`--posts ${options.profile.posts}`);
  return parts.join(' ');
}
