// deno-lint-ignore-file require-await -- methods stay async so they behave like the Postgres adapter
/**
 * The in-memory NotificationStore (USE_MOCK_DB=true, tests). Posts are read from the PostStore it is
 * given (the memory store in the same process); without one, every post counts as gone. Results are
 * copies, so callers cannot change the store by mutating them.
 */
import type { PostStore } from './post-store.ts';
import type {
  DeliveryAttempt,
  DeliveryRecord,
  EndpointChanges,
  NewEndpoint,
  NewNotification,
  Notification,
  NotificationEndpoint,
  NotificationPage,
  NotificationQuery,
  NotificationStore,
  PostSnapshot,
} from './notification-store.ts';
import { pageSize } from './notification-store.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';

export interface MemoryNotificationStoreOptions {
  /** Where posts live. (Default: none — every post counts as deleted) */
  posts?: Pick<PostStore, 'getPost'>;
  /** Clock for createdAt / updatedAt. (Default: () => new Date()) */
  now?: () => Date;
}

export function createMemoryNotificationStore(
  options: MemoryNotificationStoreOptions = {},
): NotificationStore {
  const now = options.now ?? (() => new Date());
  const notifications: Notification[] = [];
  const endpoints = new Map<string, NotificationEndpoint>();
  const deliveries: DeliveryRecord[] = [];

  const copyNotification = (n: Notification): Notification => ({ ...n });
  const copyEndpoint = (e: NotificationEndpoint): NotificationEndpoint => ({ ...e, events: [...e.events] });
  // Newest first; ties (same millisecond) by id, descending, as the Postgres index orders them.
  const newestFirst = (a: Notification, b: Notification) =>
    b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  return {
    async getPostSnapshot(postId: string): Promise<PostSnapshot | null> {
      const post = options.posts ? await options.posts.getPost(postId) : null;
      if (!post) return null;
      return {
        id: post.id,
        userId: post.userId,
        status: post.status,
        version: post.version,
        scheduledAt: post.scheduledAt,
        publishedAt: post.publishedAt,
        errorCode: post.errorCode,
        errorMessage: post.errorMessage,
        targets: post.targets.map((t) => ({
          id: t.id,
          platform: t.platform,
          status: t.status,
          attempts: t.attempts,
          externalUrl: t.externalUrl,
          errorCode: t.errorCode,
          errorMessage: t.errorMessage,
          nextAttemptAt: t.nextAttemptAt,
        })),
      };
    },

    async insertNotification(input: NewNotification) {
      const existing = notifications.find((n) => n.eventKey === input.eventKey);
      if (existing) return { notification: copyNotification(existing), created: false };
      const notification: Notification = {
        ...input,
        id: crypto.randomUUID(),
        readAt: null,
        createdAt: now(),
      };
      notifications.push(notification);
      return { notification: copyNotification(notification), created: true };
    },

    async getNotification(id: string, userId?: string) {
      const found = notifications.find((n) => n.id === id && (userId === undefined || n.userId === userId));
      return found ? copyNotification(found) : null;
    },

    async listNotifications(userId: string, query: NotificationQuery = {}): Promise<NotificationPage> {
      const limit = pageSize(query.limit);
      let rows = notifications
        .filter((n) => n.userId === userId && (!query.unreadOnly || n.readAt === null))
        .sort(newestFirst);
      if (query.cursor) {
        const cursor = notifications.find((n) => n.id === query.cursor && n.userId === userId);
        rows = cursor ? rows.filter((n) => newestFirst(cursor, n) < 0) : [];
      }
      const page = rows.slice(0, limit + 1);
      const more = page.length > limit;
      const items = page.slice(0, limit).map(copyNotification);
      return { items, nextCursor: more ? items[items.length - 1]!.id : null };
    },

    async markNotificationRead(id: string, userId: string, at: Date) {
      const found = notifications.find((n) => n.id === id && n.userId === userId);
      if (!found) return null;
      found.readAt ??= at;
      return copyNotification(found);
    },

    async createEndpoint(input: NewEndpoint) {
      const at = now();
      const endpoint: NotificationEndpoint = {
        id: crypto.randomUUID(),
        userId: input.userId,
        url: input.url,
        description: input.description ?? null,
        secret: input.secret,
        events: [...input.events],
        enabled: input.enabled ?? true,
        createdAt: at,
        updatedAt: at,
      };
      endpoints.set(endpoint.id, endpoint);
      return copyEndpoint(endpoint);
    },

    async getEndpoint(id: string, userId?: string) {
      const found = endpoints.get(id);
      return found && (userId === undefined || found.userId === userId) ? copyEndpoint(found) : null;
    },

    async listEndpoints(userId: string) {
      return [...endpoints.values()]
        .filter((e) => e.userId === userId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map(copyEndpoint);
    },

    async listSubscribedEndpoints(userId: string, kind: NotificationKind) {
      return [...endpoints.values()]
        .filter((e) => e.userId === userId && e.enabled && e.events.includes(kind))
        .map(copyEndpoint);
    },

    async updateEndpoint(id: string, userId: string, changes: EndpointChanges) {
      const found = endpoints.get(id);
      if (!found || found.userId !== userId) return null;
      if (changes.url !== undefined) found.url = changes.url;
      if (changes.description !== undefined) found.description = changes.description;
      if (changes.events !== undefined) found.events = [...changes.events];
      if (changes.enabled !== undefined) found.enabled = changes.enabled;
      found.updatedAt = now();
      return copyEndpoint(found);
    },

    async deleteEndpoint(id: string, userId: string) {
      const found = endpoints.get(id);
      if (!found || found.userId !== userId) return false;
      endpoints.delete(id);
      return true;
    },

    async recordDelivery(attempt: DeliveryAttempt) {
      deliveries.push({ ...attempt, createdAt: now() });
    },

    async listDeliveries(endpointId: string, limit = 50) {
      return deliveries
        .filter((d) => d.endpointId === endpointId)
        .reverse()
        .slice(0, limit)
        .map((d) => ({ ...d }));
    },

    async close() {},
  };
}
