/**
 * Shared set-up for worker tests: a config with short timings and a unique queue prefix, a logger whose
 * lines the test can read, a store with one connected account per platform, helpers to schedule posts,
 * and cleanup that deletes only this test's Redis keys.
 */
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/load-config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import type { Post, SocialAccount } from '../../src/domain/post.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { createMemoryPostStore } from '../../src/store/memory-post-store.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import { createTokenCipher, randomKey } from '../../src/store/token-cipher.ts';
import { createBullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import type { BullPostScheduler } from '../../src/queue/bull-post-scheduler.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from './test-redis.ts';

/** Short timings so retries, timeouts and recovery happen within a test. */
export const FAST_WORKER_ENV: Readonly<Record<string, string>> = {
  WORKER_CONCURRENCY: '10',
  PUBLISH_ATTEMPTS: '4',
  PUBLISH_BACKOFF_MS: '100',
  PUBLISH_BACKOFF_MAX_MS: '2000',
  PUBLISH_TIMEOUT_MS: '500',
  STUCK_AFTER_MS: '3000',
  RECONCILE_INTERVAL_MS: '60000',
  MISSED_AFTER_MS: '3600000',
  SHUTDOWN_TIMEOUT_MS: '5000',
};

export function testConfig(queuePrefix: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    USE_MOCK_DB: 'true',
    LOG_LEVEL: 'info',
    ...FAST_WORKER_ENV,
    ...env,
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger that keeps its lines; TEST_LOG=1 also prints them. */
export function createMemoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const echo = typeof process !== 'undefined' && process.env.TEST_LOG === '1';
  const logger = createLogger({
    level: 'debug',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
        if (echo) console.log(line.trimEnd());
      },
    },
  });
  return { logger, lines };
}

/** A memory store; with `now`, on that clock (e.g. one a test moves to age claims). */
export async function createTestMemoryStore(now?: () => Date): Promise<PostStore> {
  return createMemoryPostStore({ cipher: await createTokenCipher(randomKey()), ...(now ? { now } : {}) });
}

export interface Creator {
  userId: string;
  accounts: Record<Platform, SocialAccount>;
}

/** A creator with one connected account per platform (tokens `token-<platform>`). */
export async function createCreator(
  store: PostStore,
  userId: string = crypto.randomUUID(),
): Promise<Creator> {
  const accounts = {} as Record<Platform, SocialAccount>;
  for (const platform of PLATFORMS) {
    accounts[platform] = await store.createAccount({
      userId,
      platform,
      externalId: `${platform}-user-${userId.slice(0, 8)}`,
      displayName: `${platform} test account`,
      scopes: [],
      tokens: { accessToken: `token-${platform}`, refreshToken: null, expiresAt: null },
    });
  }
  return { userId, accounts };
}

/** Creates a post due in `inMs` on the given platforms (default all) and schedules its job. */
export async function schedulePost(
  store: PostStore,
  queue: BullPostScheduler,
  creator: Creator,
  options: { inMs?: number; platforms?: Platform[]; text?: string; accountIds?: string[] } = {},
): Promise<Post> {
  const post = await store.createPost({
    userId: creator.userId,
    text: options.text ?? `hello from a worker test ${crypto.randomUUID().slice(0, 8)}`,
    media: [],
    scheduledAt: new Date(Date.now() + (options.inMs ?? 0)),
    accountIds: options.accountIds ??
      (options.platforms ?? [...PLATFORMS]).map((p) => creator.accounts[p].id),
  });
  await queue.schedule(post);
  return post;
}

/** A producer-side queue for a test prefix, with its own connection. */
export function createTestProducer(
  queuePrefix: string,
): { queue: BullPostScheduler; close(): Promise<void> } {
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createBullPostScheduler({ connection, queuePrefix });
  return {
    queue,
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}

/** Deletes every Redis key of this prefix — and only those. */
export async function deletePrefixKeys(queuePrefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${queuePrefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit();
  }
}

export { uniqueQueuePrefix };

/** Final status of the post once it left `scheduled`/`publishing`, polling the store. */
export async function waitForPostSettled(
  store: PostStore,
  postId: string,
  timeoutMs = 15_000,
): Promise<Post> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const post = await store.getPost(postId);
    if (post && post.status !== 'scheduled' && post.status !== 'publishing') return post;
    if (Date.now() > deadline) {
      throw new Error(
        `post ${postId} did not settle within ${timeoutMs} ms: ${post?.status} / ` +
          post?.targets.map((t) => `${t.platform}=${t.status}`).join(','),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
