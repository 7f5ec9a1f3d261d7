// deno-lint-ignore-file require-await -- methods stay async so they behave like the Postgres adapter
/**
 * The in-memory NotificationStore (USE_MOCK_DB=true, tests). Posts are read from the PostStore it is
 * given (the memory store in the same process); without one, every post counts as gone. Results are
 * copies, so callers cannot change the store by mutating them. Signing secrets are sealed with the
 * cipher as the Postgres adapter seals them, so both take and refuse the same inputs.
 */
import type { PostStore } from './post-store.ts';
import type {
  CreateEndpointOptions,
  DeliveryAttempt,
  DeliveryRecord,
  EndpointChanges,
  EndpointPage,
  EndpointQuery,
  NewEndpoint,
  NewNotification,
  Notification,
  NotificationEndpoint,
  NotificationPage,
  NotificationQuery,
  NotificationStore,
  PostSnapshot,
  SecretRotation,
} from './notification-store.ts';
import { MAX_DELIVERY_ERROR_CHARS, pageSize } from './notification-store.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';
import { decideTestSend } from '../domain/test-send-limit.ts';
import type { TestSendLimit } from '../domain/test-send-limit.ts';
import {
  checkEndpointChanges,
  checkNewEndpoint,
  checkSecret,
  endpointLimitReached,
} from './endpoint-rules.ts';
import { encodeEndpointCursor, normalizeEndpointQuery } from './endpoint-page.ts';
import { compareIds } from './input-checks.ts';
import { checkNewNotification } from './notification-rules.ts';
import { openSigningSecret, sealSigningSecret } from './signing-secret-cipher.ts';
import { toStorableText } from '../domain/storable-text.ts';
import { createTokenCipher, randomKey } from './token-cipher.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface MemoryNotificationStoreOptions {
  /** Where posts live. (Default: none — every post counts as deleted) */
  posts?: Pick<PostStore, 'getPost'>;
  /** Clock for createdAt / updatedAt. (Default: () => new Date()) */
  now?: () => Date;
  /** Seals the signing secrets. (Default: a cipher with a random key, which lives as long as the store) */
  cipher?: TokenCipher;
}

interface StoredEndpoint extends NotificationEndpoint {
  sealedSecret: string;
  sealedPreviousSecret: string | null;
}

export function createMemoryNotificationStore(
  options: MemoryNotificationStoreOptions = {},
): NotificationStore {
  const now = options.now ?? (() => new Date());
  const cipher = options.cipher ? Promise.resolve(options.cipher) : createTokenCipher(randomKey());
  const notifications: Notification[] = [];
  const endpoints = new Map<string, StoredEndpoint>();
  const deliveries: DeliveryRecord[] = [];
  const testSends: { userId: string; at: Date }[] = [];

  const copyNotification = (n: Notification): Notification => ({ ...n });
  const copyEndpoint = (e: StoredEndpoint): NotificationEndpoint => ({
    id: e.id,
    userId: e.userId,
    url: e.url,
    description: e.description,
    events: [...e.events],
    enabled: e.enabled,
    previousSecretExpiresAt: e.previousSecretExpiresAt,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  });
  // Newest first; ties (same millisecond) by id, descending, as the Postgres index orders them.
  const newestFirst = (a: Notification, b: Notification) =>
    b.createdAt.getTime() - a.createdAt.getTime() || compareIds(b.id, a.id);
  // Oldest first, ties by id, as `order by created_at, id`.
  const oldestFirst = (a: NotificationEndpoint, b: NotificationEndpoint) =>
    a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id);
  const ownedEndpoints = (userId: string) =>
    [...endpoints.values()].filter((e) => e.userId === userId).sort(oldestFirst);

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
      const checked = checkNewNotification(input);
      const existing = notifications.find((n) => n.eventKey === checked.eventKey);
      if (existing) return { notification: copyNotification(existing), created: false };
      const notification: Notification = {
        ...checked,
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
      if (query.cursor !== undefined) {
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

    async createEndpoint(input: NewEndpoint, create: CreateEndpointOptions = {}) {
      const checked = checkNewEndpoint(input);
      if (create.maxPerUser !== undefined && ownedEndpoints(checked.userId).length >= create.maxPerUser) {
        throw endpointLimitReached(create.maxPerUser);
      }
      const id = crypto.randomUUID();
      const sealedSecret = await sealSigningSecret(await cipher, checked.secret, id);
      // Counted again after the await: two creations may have passed the check above together.
      if (create.maxPerUser !== undefined && ownedEndpoints(checked.userId).length >= create.maxPerUser) {
        throw endpointLimitReached(create.maxPerUser);
      }
      const at = now();
      const endpoint: StoredEndpoint = {
        id,
        userId: checked.userId,
        url: checked.url,
        description: checked.description,
        events: checked.events,
        enabled: checked.enabled,
        previousSecretExpiresAt: null,
        createdAt: at,
        updatedAt: at,
        sealedSecret,
        sealedPreviousSecret: null,
      };
      endpoints.set(id, endpoint);
      return copyEndpoint(endpoint);
    },

    async getEndpoint(id: string, userId?: string) {
      const found = endpoints.get(id);
      return found && (userId === undefined || found.userId === userId) ? copyEndpoint(found) : null;
    },

    async listEndpoints(userId: string, query?: EndpointQuery): Promise<EndpointPage> {
      const { limit, after } = normalizeEndpointQuery(query);
      const afterMs = after ? Date.parse(after.createdAt) : null;
      const rows = ownedEndpoints(userId).filter((e) =>
        after === null || e.createdAt.getTime() > afterMs! ||
        (e.createdAt.getTime() === afterMs && compareIds(e.id, after.id) > 0)
      );
      const items = rows.slice(0, limit).map(copyEndpoint);
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: rows.length > limit && last
          ? encodeEndpointCursor({ createdAt: last.createdAt.toISOString(), id: last.id })
          : null,
      };
    },

    async listSubscribedEndpoints(userId: string, kind: NotificationKind) {
      return ownedEndpoints(userId).filter((e) => e.enabled && e.events.includes(kind)).map(copyEndpoint);
    },

    async updateEndpoint(id: string, userId: string, changes: EndpointChanges) {
      const checked = checkEndpointChanges(changes);
      const found = endpoints.get(id);
      if (!found || found.userId !== userId) return null;
      if (checked.url !== undefined) found.url = checked.url;
      if (checked.description !== undefined) found.description = checked.description;
      if (checked.events !== undefined) found.events = [...checked.events];
      if (checked.enabled !== undefined) found.enabled = checked.enabled;
      found.updatedAt = now();
      return copyEndpoint(found);
    },

    async rotateEndpointSecret(id: string, userId: string, rotation: SecretRotation, at: Date) {
      checkSecret(rotation.secret);
      const found = endpoints.get(id);
      if (!found || found.userId !== userId) return null;
      const sealed = await sealSigningSecret(await cipher, rotation.secret, id);
      const keepPrevious = rotation.previousExpiresAt !== null &&
        rotation.previousExpiresAt.getTime() > at.getTime();
      // The current secret's ciphertext is bound to the endpoint, not the column: it moves as it is.
      found.sealedPreviousSecret = keepPrevious ? found.sealedSecret : null;
      found.previousSecretExpiresAt = keepPrevious ? rotation.previousExpiresAt : null;
      found.sealedSecret = sealed;
      found.updatedAt = now();
      return copyEndpoint(found);
    },

    async getSigningSecrets(id: string, at: Date) {
      const found = endpoints.get(id);
      if (!found) return null;
      const open = await cipher;
      const secrets = [await openSigningSecret(open, found.sealedSecret, id)];
      if (found.sealedPreviousSecret !== null && found.previousSecretExpiresAt !== null) {
        if (found.previousSecretExpiresAt.getTime() > at.getTime()) {
          secrets.push(await openSigningSecret(open, found.sealedPreviousSecret, id));
        } else {
          found.sealedPreviousSecret = null;
          found.previousSecretExpiresAt = null;
        }
      }
      return secrets;
    },

    async deleteEndpoint(id: string, userId: string) {
      const found = endpoints.get(id);
      if (!found || found.userId !== userId) return false;
      endpoints.delete(id);
      // Its delivery log goes with it, as `on delete cascade` takes it in Postgres.
      for (let i = deliveries.length - 1; i >= 0; i--) {
        if (deliveries[i]!.endpointId === id) deliveries.splice(i, 1);
      }
      return true;
    },

    async takeTestSendSlot(userId: string, _endpointId: string, at: Date, limit: TestSendLimit) {
      // Forget what no window can count any more, as the Postgres adapter deletes it.
      for (let i = testSends.length - 1; i >= 0; i--) {
        if (testSends[i]!.at.getTime() <= at.getTime() - limit.windowMs) testSends.splice(i, 1);
      }
      const decision = decideTestSend(
        testSends.filter((s) => s.userId === userId).map((s) => s.at),
        at,
        limit,
      );
      if (decision.allowed) testSends.push({ userId, at });
      return decision;
    },

    async sealPlaintextSecrets() {
      return 0; // nothing here was ever stored in clear
    },

    async recordDelivery(attempt: DeliveryAttempt) {
      deliveries.push({
        ...attempt,
        error: attempt.error === null ? null : toStorableText(attempt.error, MAX_DELIVERY_ERROR_CHARS),
        durationMs: Math.max(0, Math.round(attempt.durationMs)),
        createdAt: now(),
      });
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
