/**
 * Endpoint deliveries (src/notify/notification-delivery.ts) on the shared Redis with a unique
 * QUEUE_PREFIX: a local endpoint answers as each test says; every request it gets must verify with an
 * independent Standard Webhooks verifier, and failures must be retried with backoff.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { createDeliveryQueue, DELIVERY_QUEUE, deliveryJobId } from '../../src/notify/delivery-queue.ts';
import { bullPrefix } from '../../src/queue/queue-names.ts';
import type { DeliveryQueue } from '../../src/notify/delivery-queue.ts';
import { createMemoryNotificationStore } from '../../src/store/memory-notification-store.ts';
import { startNotificationDelivery } from '../../src/notify/notification-delivery.ts';
import type { RunningNotificationDelivery } from '../../src/notify/notification-delivery.ts';
import type { NotificationStore } from '../../src/store/notification-store.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '../support/test-redis.ts';
import { deletePrefixKeys } from '../support/worker-fixtures.ts';
import { captureLogger, startWebhookReceiver, verifyStandardWebhook } from '../support/notify-fixtures.ts';
import type { WebhookReceiver } from '../support/notify-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

const BACKOFF_MS = 100;
// Long enough that a loaded machine still answers in time; the slow endpoint below takes 3 s.
const TIMEOUT_MS = 1000;

describe('notification delivery to creator endpoints', () => {
  let queuePrefix: string;
  let store: NotificationStore;
  let connection: Redis;
  let queue: DeliveryQueue;
  let delivery: RunningNotificationDelivery | null = null;
  let receiver: WebhookReceiver | null = null;
  let log: ReturnType<typeof captureLogger>;

  before(() => {
    queuePrefix = uniqueQueuePrefix('notify');
    connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = createDeliveryQueue({ connection, queuePrefix, attempts: 4, backoffMs: BACKOFF_MS });
  });
  beforeEach(async () => {
    store = createMemoryNotificationStore();
    log = captureLogger();
    delivery = await startNotificationDelivery({
      redisUrl: TEST_REDIS_URL,
      queuePrefix,
      store,
      logger: log.logger,
      timeoutMs: TIMEOUT_MS,
      allowPrivateHosts: true,
      idlePollSeconds: 1,
    });
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
    if (queuePrefix) await deletePrefixKeys(queuePrefix);
  });

  async function notificationFor(userId: string, url: string) {
    const secret = generateWebhookSecret();
    const created = await store.createEndpoint({ userId, url, secret, events: ['target.failed'] });
    const endpoint = { ...created, secret };
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

  it('delivers a signed notification and retries it with backoff after the endpoint answers 500', async () => {
    receiver = await startWebhookReceiver((n) => ({ status: n === 0 ? 500 : 200 }));
    const user = crypto.randomUUID();
    const { endpoint, notification } = await notificationFor(user, receiver.url);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);

    await receiver.waitForRequests(2);
    const log200 = await waitFor(async () => {
      const rows = await store.listDeliveries(endpoint.id);
      return rows.find((r) => r.statusCode === 200) ? rows : null;
    }, { what: 'a logged 200' });
    assert.deepEqual(log200.map((r) => [r.attempt, r.statusCode]), [[2, 200], [1, 500]]);
    assert.equal(log200[1]!.error, 'the endpoint answered HTTP 500');

    const [first, second] = receiver.received;
    for (const request of [first!, second!]) {
      const headers = {
        id: request.headers['webhook-id']!,
        timestamp: request.headers['webhook-timestamp']!,
        signature: request.headers['webhook-signature']!,
      };
      assert.equal(await verifyStandardWebhook(endpoint.secret, headers, request.body), true);
      assert.equal(await verifyStandardWebhook(endpoint.secret, headers, `${request.body} `), false);
      assert.equal(await verifyStandardWebhook(generateWebhookSecret(), headers, request.body), false);
      assert.equal(request.headers['content-type'], 'application/json');
    }
    assert.equal(first!.headers['webhook-id'], `msg_${notification.id}`);
    assert.equal(
      second!.headers['webhook-id'],
      first!.headers['webhook-id'],
      'one message id across retries',
    );
    assert.equal(second!.body, first!.body);
    assert.ok(second!.at - first!.at >= BACKOFF_MS * 0.8, 'the retry waited for the backoff');
    assert.deepEqual(JSON.parse(first!.body), {
      type: 'target.failed',
      timestamp: notification.createdAt.toISOString(),
      data: {
        notificationId: notification.id,
        postId: notification.postId,
        targetId: notification.targetId,
        title: notification.title,
        body: notification.body,
        link: null,
      },
    });
  });

  it('retries an endpoint that does not answer within the timeout', async () => {
    receiver = await startWebhookReceiver((
      n,
    ) => (n === 0 ? { status: 200, delayMs: 3000 } : { status: 204 }));
    const { endpoint, notification } = await notificationFor(crypto.randomUUID(), receiver.url);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    const rows = await waitFor(async () => {
      const list = await store.listDeliveries(endpoint.id);
      return list.length >= 2 ? list : null;
    }, { what: 'two delivery attempts' });
    assert.deepEqual(rows.map((r) => [r.attempt, r.statusCode]), [[2, 204], [1, null]]);
    assert.equal(rows[1]!.error, `no answer within ${TIMEOUT_MS} ms`);
  });

  it('queues a delivery once however often the same event asks for it', async () => {
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    const { endpoint, notification } = await notificationFor(crypto.randomUUID(), receiver.url);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await receiver.waitForRequests(1);
    await waitFor(async () => (await store.listDeliveries(endpoint.id)).length === 1, {
      what: 'the log row',
    });
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    // A second delivery would be the next request; a later, unrelated one shows the queue moved on.
    const other = await notificationFor(crypto.randomUUID(), receiver.url);
    await queue.enqueueAll([{ endpointId: other.endpoint.id, notificationId: other.notification.id }]);
    await receiver.waitForRequests(2);
    assert.deepEqual(
      receiver.received.map((r) => r.headers['webhook-id']),
      [`msg_${notification.id}`, `msg_${other.notification.id}`],
    );
  });

  it('gives up on an endpoint whose host may not be reached, without retrying', async () => {
    await delivery!.close();
    delivery = await startNotificationDelivery({
      redisUrl: TEST_REDIS_URL,
      queuePrefix,
      store,
      logger: log.logger,
      timeoutMs: TIMEOUT_MS,
      allowPrivateHosts: false,
      idlePollSeconds: 1,
      resolveHost: () => Promise.resolve(['169.254.169.254']),
    });
    const { endpoint, notification } = await notificationFor(
      crypto.randomUUID(),
      'https://metadata.example.com/hook',
    );
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await waitFor(() => log.parsed().some((l) => l.msg === 'delivery given up'), { what: 'the give-up log' });
    const rows = await store.listDeliveries(endpoint.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.statusCode, null);
    assert.match(rows[0]!.error!, /resolves to a private address \(169\.254\.169\.254\)/);
  });
  it('queues an event’s deliveries to several endpoints in one batch, and a repeat adds none', async () => {
    // Nothing delivers here: the worker of this test is stopped, so the jobs stay to be counted.
    await delivery!.close();
    delivery = null;
    const user = crypto.randomUUID();
    const { notification } = await notificationFor(user, 'https://a.example.com/');
    const endpoints = [];
    for (let n = 0; n < 3; n++) {
      endpoints.push(
        await store.createEndpoint({
          userId: user,
          url: `https://hooks${n}.example.com/`,
          secret: generateWebhookSecret(),
        }),
      );
    }
    const jobs = endpoints.map((e) => ({ endpointId: e.id, notificationId: notification.id }));
    const inspect = new Queue(DELIVERY_QUEUE, { connection, prefix: bullPrefix(queuePrefix) });
    try {
      const before = await inspect.getJobCountByTypes('waiting');
      await queue.enqueueAll(jobs);
      await queue.enqueueAll(jobs);
      assert.equal(await inspect.getJobCountByTypes('waiting'), before + 3);
      for (const job of jobs) {
        const queued = await inspect.getJob(deliveryJobId(job.notificationId, job.endpointId));
        assert.deepEqual(queued?.data, job);
        assert.equal(queued?.opts.attempts, 4);
      }
      await queue.enqueueAll([]);
    } finally {
      await inspect.obliterate({ force: true });
      await inspect.close();
    }
  });

  it('signs with both secrets during a rotation, so a receiver on either one verifies it', async () => {
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    const { endpoint, notification } = await notificationFor(crypto.randomUUID(), receiver.url);
    const next = generateWebhookSecret();
    const at = new Date();
    await store.rotateEndpointSecret(endpoint.id, endpoint.userId, {
      secret: next,
      previousExpiresAt: new Date(at.getTime() + 3_600_000),
    }, at);
    await queue.enqueueAll([{ endpointId: endpoint.id, notificationId: notification.id }]);
    await receiver.waitForRequests(1);
    const [request] = receiver.received;
    const headers = {
      'webhook-id': request!.headers['webhook-id']!,
      'webhook-timestamp': request!.headers['webhook-timestamp']!,
      'webhook-signature': request!.headers['webhook-signature']!,
    };
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [endpoint.secret, next]) {
      assert.doesNotThrow(() => new Webhook(secret).verify(request!.body, headers));
    }
    assert.throws(
      () => new Webhook(generateWebhookSecret()).verify(request!.body, headers),
      /No matching signature/,
    );
  });
});
