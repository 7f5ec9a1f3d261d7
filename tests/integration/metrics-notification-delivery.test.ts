/**
 * Notification deliveries as the worker counts them (solospark_notification_deliveries_total), through
 * the delivery worker's `metrics` option: a local endpoint that fails once then answers, an endpoint
 * deleted before its delivery, and a host that may not be reached. Shared Redis, unique prefix.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import { createDeliveryQueue } from '../../src/notify/delivery-queue.ts';
import type { DeliveryQueue } from '../../src/notify/delivery-queue.ts';
import { startNotificationDelivery } from '../../src/notify/notification-delivery.ts';
import type { RunningNotificationDelivery } from '../../src/notify/notification-delivery.ts';
import { createPrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import type { PrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { captureLogger, startWebhookReceiver } from '../support/notify-fixtures.ts';
import type { WebhookReceiver } from '../support/notify-fixtures.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';

describe('notification delivery metrics', () => {
  const queuePrefix = uniqueQueuePrefix('notify-metrics');
  let connection: Redis;
  let queue: DeliveryQueue;
  let store: NotificationStore;
  let metrics: PrometheusMetrics;
  let delivery: RunningNotificationDelivery | null = null;
  let receiver: WebhookReceiver | null = null;

  before(() => {
    connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = createDeliveryQueue({ connection, queuePrefix, attempts: 3, backoffMs: 100 });
  });
  afterEach(async () => {
    await delivery?.close();
    delivery = null;
    await receiver?.close();
    receiver = null;
  });
  after(async () => {
    await queue?.close();
    await connection?.quit();
    await deletePrefixKeys(queuePrefix);
  });

  async function start(extra: { allowPrivateHosts?: boolean; resolveHost?: () => Promise<string[]> } = {}) {
    store = createMemoryNotificationStore();
    metrics = createPrometheusMetrics({ defaultMetrics: false });
    // A variable, not a literal: the option is checked where the delivery worker declares it.
    const options = {
      redisUrl: TEST_REDIS_URL,
      queuePrefix,
      store,
      logger: captureLogger().logger,
      timeoutMs: 1000,
      allowPrivateHosts: extra.allowPrivateHosts ?? true,
      idlePollSeconds: 1,
      metrics,
      ...(extra.resolveHost ? { resolveHost: extra.resolveHost } : {}),
    };
    delivery = await startNotificationDelivery(options);
  }

  async function notificationFor(url: string) {
    const userId = crypto.randomUUID();
    const endpoint = await store.createEndpoint({
      userId,
      url,
      secret: generateWebhookSecret(),
      events: ['target.failed'],
    });
    const { notification } = await store.insertNotification({
      userId,
      postId: crypto.randomUUID(),
      targetId: crypto.randomUUID(),
      kind: 'target.failed',
      title: 'Publishing to X failed',
      body: 'auth_expired. Reconnect your X account, then retry the post.',
      link: null,
      eventKey: `post_targets:${crypto.randomUUID()}:failed:2026-11-28T12:00:00.000Z`,
    });
    return { endpoint, notification };
  }

  async function counted(outcome: string): Promise<number | undefined> {
    const samples = parseSamples(await metrics.render({ queues: [], ready: true, parts: {} }));
    return sampleValue(samples, 'solospark_notification_deliveries_total', { outcome });
  }

  it('counts a failed try as retrying and the next one as delivered', async () => {
    await start();
    receiver = await startWebhookReceiver((n) => ({ status: n === 0 ? 500 : 200 }));
    const { endpoint, notification } = await notificationFor(receiver.url);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await waitFor(async () => (await counted('delivered')) === 1, { what: 'a counted delivery' });
    assert.equal(await counted('retrying'), 1);
    assert.equal(await counted('given_up'), 0);
  });

  it('counts a delivery whose endpoint was deleted as dropped', async () => {
    await start();
    const { endpoint, notification } = await notificationFor('http://127.0.0.1:9/never-called');
    await store.deleteEndpoint(endpoint.id, endpoint.userId);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await waitFor(async () => (await counted('dropped')) === 1, { what: 'a counted drop' });
    assert.equal(await counted('delivered'), 0);
  });

  it('counts an endpoint that may not be reached as refused, once, without retrying', async () => {
    await start({ allowPrivateHosts: false, resolveHost: () => Promise.resolve(['169.254.169.254']) });
    const { endpoint, notification } = await notificationFor('https://metadata.example.com/hook');
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await waitFor(async () => (await counted('refused')) === 1, { what: 'a counted refusal' });
    assert.equal(await counted('retrying'), 0);
    assert.equal(await counted('given_up'), 0);
  });
});
