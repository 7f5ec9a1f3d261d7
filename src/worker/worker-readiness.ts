/**
 * Whether this worker is consuming, for GET /ready: both BullMQ workers run, Redis answered on their
 * connection within the last few seconds, and the database answers. From the first shutdown signal on
 * it says no at once, so a load balancer or orchestrator stops counting on this process while its
 * active publishes finish.
 *
 * Cheap to ask often: the worker part and Redis are read from state the worker keeps (its heartbeat,
 * redis-heartbeat.ts); the database ping is shared by concurrent checks and its answer — either way —
 * reused for DATABASE_CHECK_CACHE_MS, and bounded by DATABASE_CHECK_TIMEOUT_MS.
 */

/** What the running worker reports about itself (RunningWorker.health, start-worker.ts). */
export interface WorkerHealth {
  /** Both BullMQ workers run and the worker is not closing. */
  consuming: boolean;
  /** The worker's Redis connection is up. */
  redisConnected: boolean;
  /** ms since Redis last answered on it; null when never. */
  redisSilentForMs: number | null;
}

export type ReadinessPart = 'worker' | 'redis' | 'database';

export interface ReadinessReport {
  ready: boolean;
  shuttingDown: boolean;
  /** Each part and whether it is up. */
  parts: Record<ReadinessPart, boolean>;
  /** One sentence per reason it is not ready, saying what is down. Empty when ready. */
  problems: string[];
}

export interface WorkerReadiness {
  check(): Promise<ReadinessReport>;
  /** From now on every check answers not ready. */
  beginShutdown(): void;
}

/** Redis counts as down when it has not answered for this long. (Default: 5000 ms) */
export const REDIS_MAX_SILENCE_MS = 5000;
/** A database answer, good or bad, is reused this long. (Default: 2000 ms) */
export const DATABASE_CHECK_CACHE_MS = 2000;
/** A database ping slower than this counts as down. (Default: 2000 ms) */
export const DATABASE_CHECK_TIMEOUT_MS = 2000;

export interface WorkerReadinessDeps {
  /** Null while the worker is still starting (connecting to Redis and the database). */
  health(): WorkerHealth | null;
  /** Resolves when the database answers (PostStore.ping); asked only once the worker runs. */
  pingDatabase(): Promise<void>;
  /** Monotonic clock in ms. (Default: performance.now) */
  now?: () => number;
  redisMaxSilenceMs?: number;
  databaseCacheMs?: number;
  databaseTimeoutMs?: number;
}

interface DatabaseAnswer {
  at: number;
  /** null when it answered, else why not. */
  error: string | null;
}

export function createWorkerReadiness(deps: WorkerReadinessDeps): WorkerReadiness {
  const now = deps.now ?? (() => performance.now());
  const maxSilenceMs = deps.redisMaxSilenceMs ?? REDIS_MAX_SILENCE_MS;
  const cacheMs = deps.databaseCacheMs ?? DATABASE_CHECK_CACHE_MS;
  const timeoutMs = deps.databaseTimeoutMs ?? DATABASE_CHECK_TIMEOUT_MS;
  let shuttingDown = false;
  let lastAnswer: DatabaseAnswer | null = null;
  let asking: Promise<DatabaseAnswer> | null = null;

  function askDatabase(): Promise<DatabaseAnswer> {
    if (lastAnswer && now() - lastAnswer.at < cacheMs) return Promise.resolve(lastAnswer);
    asking ??= withTimeout(deps.pingDatabase(), timeoutMs).then(
      () => null,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    ).then((error) => {
      lastAnswer = { at: now(), error };
      asking = null;
      return lastAnswer;
    });
    return asking;
  }

  return {
    beginShutdown() {
      shuttingDown = true;
    },
    async check() {
      const health = deps.health();
      if (health === null) {
        return {
          ready: false,
          shuttingDown,
          parts: { worker: false, redis: false, database: false },
          problems: [
            shuttingDown
              ? 'the worker is shutting down and takes no new jobs'
              : 'the worker is starting: it connects to Redis and the database first',
          ],
        };
      }
      const problems: string[] = [];
      if (shuttingDown) problems.push('the worker is shutting down and takes no new jobs');
      if (!health.consuming && !shuttingDown) problems.push('the queue workers are not running');
      const silentMs = health.redisSilentForMs;
      const redisUp = health.redisConnected && silentMs !== null && silentMs < maxSilenceMs;
      if (!health.redisConnected) {
        problems.push(
          'Redis is unreachable: the connection is down and reconnecting (check REDIS_URL and Redis)',
        );
      } else if (!redisUp) {
        problems.push(
          `Redis has not answered for ${silentMs === null ? 'ever' : `${Math.round(silentMs)} ms`} ` +
            `(more than ${maxSilenceMs} ms): it may be overloaded or the network cut`,
        );
      }
      // While shutting down the store may be closing: report what it last said instead of asking.
      const database = shuttingDown ? lastAnswer : await askDatabase();
      const databaseUp = database !== null && database.error === null;
      if (database?.error) problems.push(`the database does not answer: ${database.error}`);
      const parts = { worker: health.consuming && !shuttingDown, redis: redisUp, database: databaseUp };
      return { ready: problems.length === 0, shuttingDown, parts, problems };
    },
  };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
