/**
 * The in-memory store's stand-in for the status trigger of the database
 * (supabase/migrations/…_post_status_notifications.sql): a PostStore that, after every call that may
 * have changed a post, hands each status change the creator must hear about to `emit`, as the compact
 * payload pg_notify carries. Without it the dev stack (USE_MOCK_DB) would never notify anyone.
 *
 * Like the trigger, it fires after the change is stored and never fails the caller: emission runs
 * in order on a chain of its own, and its errors are logged.
 */
import { postKindOf, targetKindOf } from '../domain/notification-kinds.ts';
import type { Post } from '../domain/post.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostStore } from '../store/post-store.ts';

/** Calls that only read: they change nothing the trigger would see. */
const READS = /^(get|list|find|ping$)/;

export interface StatusFeedStore extends PostStore {
  /** Resolves once every change seen so far has been emitted. */
  drain(): Promise<void>;
}

export function withStatusFeed(
  store: PostStore,
  emit: (payload: unknown) => Promise<unknown>,
  logger: Logger,
): StatusFeedStore {
  /** The last statuses seen, per post and per target: what `old_record` carries. */
  const seen = new Map<string, { status: string; targets: Map<string, string> }>();
  const postOfTarget = new Map<string, string>();
  let chain: Promise<void> = Promise.resolve();

  async function diff(postId: string): Promise<void> {
    const post = await store.getPost(postId);
    if (!post) return;
    const before = seen.get(post.id);
    remember(post);
    if (!before) return; // first sight (createPost): nothing changed yet
    for (const target of post.targets) {
      const old = before.targets.get(target.id);
      if (old === undefined || old === target.status || !targetKindOf(target.status)) continue;
      await send({
        type: 'UPDATE',
        table: 'post_targets',
        schema: 'public',
        record: {
          id: target.id,
          post_id: post.id,
          user_id: post.userId,
          platform: target.platform,
          status: target.status,
          attempts: target.attempts,
          updated_at: target.updatedAt.toISOString(),
        },
        old_record: { id: target.id, status: old },
      });
    }
    if (before.status !== post.status && postKindOf(post.status)) {
      await send({
        type: 'UPDATE',
        table: 'posts',
        schema: 'public',
        record: {
          id: post.id,
          user_id: post.userId,
          status: post.status,
          version: post.version,
          updated_at: post.updatedAt.toISOString(),
        },
        old_record: { id: post.id, status: before.status },
      });
    }
  }

  function remember(post: Post): void {
    seen.set(post.id, {
      status: post.status,
      targets: new Map(post.targets.map((t) => [t.id, t.status])),
    });
    for (const target of post.targets) postOfTarget.set(target.id, post.id);
  }

  async function send(payload: unknown): Promise<void> {
    await emit(payload).catch((err) => logger.error({ err }, 'in-memory status feed: handling failed'));
  }

  /** Post ids a call may have touched: its string arguments and the ids in its result. */
  function touched(args: unknown[], result: unknown): Set<string> {
    const ids = new Set<string>();
    const add = (value: unknown) => {
      if (typeof value === 'string') ids.add(postOfTarget.get(value) ?? value);
    };
    for (const arg of args) add(arg);
    if (result && typeof result === 'object') {
      const r = result as Record<string, { id?: unknown; postId?: unknown } | unknown>;
      add(r.postId);
      if (Array.isArray(r.targets)) add(r.id);
      for (const inner of [r.post, r.target]) {
        if (inner && typeof inner === 'object') {
          add((inner as { id?: unknown }).id);
          add((inner as { postId?: unknown }).postId);
        }
      }
    }
    return ids;
  }

  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'drain') return () => chain;
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function' || READS.test(property)) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      if (property === 'close') {
        return async () => {
          await chain;
          await target.close();
        };
      }
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        const ids = touched(args, result);
        chain = chain.then(async () => {
          for (const id of ids) {
            await diff(id).catch((err) => logger.error({ err }, 'in-memory status feed: reading failed'));
          }
        });
        return result;
      };
    },
  });
  return wrapped as StatusFeedStore;
}
