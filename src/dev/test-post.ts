/**
 * What `node scripts/testWorker.js` does against a running dev stack (`npm run dev`): schedules a test
 * post due in a few seconds through the typed client (supabase-js → /functions/v1/posts) as the demo
 * creator, on every platform the creator has connected, waits until the worker settles it, and
 * reports each platform's outcome next to what the sandbox recorded.
 */
import { createPublisherClient } from '../client/publisher-client.ts';
import type { Post, PostTarget } from '../client/client-types.ts';
import { PublisherApiError } from '../client/publisher-api-error.ts';
import { createDevToken } from './dev-auth.ts';
import { createDevSupabaseClient } from './dev-supabase-client.ts';

export interface TestPostOptions {
  /** The dev stack's API, e.g. http://127.0.0.1:8787 */
  apiUrl: string;
  /** The dev stack's sandbox, e.g. http://127.0.0.1:4010 */
  sandboxUrl: string;
  /** (Default: 5000) */
  dueInMs?: number;
  /** How long to wait for the post to settle after it is due. (Default: 60 000) */
  settleTimeoutMs?: number;
  /** Progress lines. */
  print(line: string): void;
}

export interface TestPostReport {
  post: Post;
  /** Platforms whose sandbox recorded a post with this text. */
  seenBySandbox: string[];
  ok: boolean;
}

/** Thrown when nothing answers at `apiUrl`: the message says what to start. */
export class DevStackUnreachableError extends Error {
  constructor(apiUrl: string, options?: { cause?: unknown }) {
    super(
      `No dev stack answers at ${apiUrl}. Start it in another terminal with \`npm run dev\` ` +
        '(set PORT / SANDBOX_PORT here too if you changed them there), then run this again.',
      options,
    );
    this.name = 'DevStackUnreachableError';
  }
}

const SETTLED = new Set(['published', 'partially_published', 'failed', 'cancelled']);

export async function runTestPost(options: TestPostOptions): Promise<TestPostReport> {
  const { apiUrl, sandboxUrl, print } = options;
  try {
    const health = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(3000) });
    await health.body?.cancel();
    if (!health.ok) throw new Error(`GET /health answered ${health.status}`);
  } catch (err) {
    throw new DevStackUnreachableError(apiUrl, { cause: err });
  }

  const publisher = createPublisherClient(createDevSupabaseClient(apiUrl, await createDevToken()));

  const accounts = await publisher.listAccounts();
  const platforms = [...new Set(accounts.filter((a) => a.status === 'active').map((a) => a.platform))];
  if (platforms.length === 0) {
    throw new PublisherApiError('account_not_found', 'the demo creator has no connected account');
  }
  const dueAt = new Date(Date.now() + (options.dueInMs ?? 5000));
  const text = `Test post from scripts/testWorker.js at ${new Date().toISOString()}`;
  const created = await publisher.schedule({
    text,
    scheduledAt: dueAt.toISOString(),
    platforms,
    media: [{ url: `${sandboxUrl}/_sandbox/media/sample.jpg`, altText: 'A sample picture' }],
  }, { idempotencyKey: crypto.randomUUID() });
  print(
    `Scheduled post ${created.id} on ${platforms.join(', ')}, due ${dueAt.toISOString()} ` +
      `(queued: ${created.queued}). Waiting for the worker…`,
  );

  const deadline = dueAt.getTime() + (options.settleTimeoutMs ?? 60_000);
  let post = created;
  while (!SETTLED.has(post.status)) {
    if (Date.now() > deadline) {
      print(`Still ${post.status} after the wait; is the worker running? Targets so far:`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    post = await publisher.get(created.id);
  }

  const seenBySandbox = await sandboxPlatformsWith(sandboxUrl, text);
  const lateMs = post.publishedAt ? Date.parse(post.publishedAt) - Date.parse(post.scheduledAt) : null;
  print(`Post ${post.status}${lateMs === null ? '' : ` (${lateMs} ms after its due time)`}:`);
  for (const target of post.targets) print(`  ${describeTarget(target, seenBySandbox)}`);
  if (seenBySandbox.length > 0) print(`See it on the sandbox page: ${sandboxUrl}/`);
  return { post, seenBySandbox, ok: post.status === 'published' };
}

function describeTarget(target: PostTarget, seen: string[]): string {
  const where = seen.includes(target.platform) ? 'the sandbox shows it' : 'not on the sandbox';
  const head = `${target.platform.padEnd(10)} ${target.status.padEnd(12)}`;
  if (target.status === 'published') return `${head} ${target.externalUrl ?? target.externalId} (${where})`;
  if (target.errorCode) {
    const retry = target.nextAttemptAt ? `; next attempt ${target.nextAttemptAt}` : '';
    return `${head} ${target.errorCode}: ${target.errorMessage ?? ''}${retry}`;
  }
  return `${head} attempts: ${target.attempts}`;
}

/** Platforms whose sandbox recorded a post with exactly this text; empty when unreachable. */
async function sandboxPlatformsWith(sandboxUrl: string, text: string): Promise<string[]> {
  try {
    const res = await fetch(`${sandboxUrl}/_sandbox/state`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) {
      await res.body?.cancel();
      return [];
    }
    const state = await res.json() as { published?: { platform: string; text: string }[] };
    return [...new Set((state.published ?? []).filter((p) => p.text === text).map((p) => p.platform))];
  } catch {
    return [];
  }
}
