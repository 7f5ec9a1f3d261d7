/**
 * Webhook deliveries and the endpoint test send through the connection guard, against local servers:
 * the POST goes to the address the one lookup checked, refused hosts are never connected to, and the
 * creator-facing test send says one generic thing about every refused endpoint. The store is a
 * stand-in for the two calls a delivery makes (sign, log); host names are `.test` names that only the
 * injected resolver answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryAttempt, NotificationEndpoint } from '../../src/store/notification-store.ts';
import { deliverMessage, type DeliverOptions, testMessage } from '../../src/notify/webhook-delivery.ts';
import { sendTestEvent } from '../../src/notify/send-test-event.ts';
import { ENDPOINT_REFUSED_MESSAGE } from '../../src/notify/webhook-post.ts';
import { generateWebhookSecret } from '../../src/net/standard-webhooks.ts';
import {
  type LoopbackServer,
  otherLoopbackAddress,
  scriptedResolver,
  startLoopbackServer,
} from '../support/loopback-server.ts';
import { TEST_CA_PEM } from '../support/test-tls.ts';

const NAME = 'hooks.solospark.test';
const SECRET = generateWebhookSecret();

let publicServer: LoopbackServer;
let privateServer: LoopbackServer;
let plainServer: LoopbackServer;
let privateAddress: string;

before(async () => {
  privateAddress = await otherLoopbackAddress();
  publicServer = await startLoopbackServer({ tls: true });
  // What a private host would answer, were it reached: nothing of it may come back to the caller.
  privateServer = await startLoopbackServer({
    tls: true,
    address: privateAddress,
    handler: (_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('internal admin panel');
    },
  });
  plainServer = await startLoopbackServer({ tls: false });
});

after(async () => {
  await Promise.all([publicServer?.close(), privateServer?.close(), plainServer?.close()]);
});

function endpoint(url: string): NotificationEndpoint {
  const at = new Date();
  return {
    id: crypto.randomUUID(),
    userId: crypto.randomUUID(),
    url,
    description: null,
    events: [],
    enabled: true,
    previousSecretExpiresAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

function store() {
  const logged: DeliveryAttempt[] = [];
  return {
    logged,
    recordDelivery(attempt: DeliveryAttempt) {
      logged.push(attempt);
      return Promise.resolve();
    },
    getSigningSecrets: () => Promise.resolve([SECRET]),
  };
}

function strict(overrides: Partial<DeliverOptions> = {}): Omit<DeliverOptions, 'store'> {
  return {
    timeoutMs: 5000,
    attempt: 1,
    allowPrivateHosts: false,
    trustedCa: [TEST_CA_PEM],
    treatAsPublic: ['127.0.0.1'],
    ...overrides,
  };
}

describe('webhook delivery through the connection guard', () => {
  it('posts to the address its resolver answered, naming the endpoint host in the Host header', async () => {
    const before = plainServer.received.length;
    const dns = scriptedResolver([['127.0.0.1']]);
    const target = endpoint(plainServer.urlFor(NAME, '/hook'));
    const outcome = await deliverMessage(target, testMessage(target, new Date()), {
      ...strict({ allowPrivateHosts: true, resolveHost: dns.resolveHost }),
      store: store(),
    });
    assert.equal(outcome.delivered, true, outcome.error ?? '');
    const [got] = plainServer.received.slice(before);
    assert.equal(got?.method, 'POST');
    assert.equal(got?.host, `${NAME}:${plainServer.port}`);
    assert.deepEqual(dns.calls, [NAME]);
  });

  it('delivers to the address it checked, though a second lookup would answer a private one', async () => {
    const before = { public: publicServer.received.length, private: privateServer.received.length };
    const dns = scriptedResolver([['127.0.0.1'], [privateAddress]]);
    const target = endpoint(publicServer.urlFor(NAME, '/hook'));
    const outcome = await deliverMessage(target, testMessage(target, new Date()), {
      ...strict({ resolveHost: dns.resolveHost }),
      store: store(),
    });
    assert.equal(outcome.delivered, true, outcome.error ?? '');
    assert.equal(dns.calls.length, 1);
    assert.equal(publicServer.received.length - before.public, 1);
    assert.equal(privateServer.received.length, before.private);
  });

  it('refuses, for good and without connecting, an endpoint whose host resolves to a private address', async () => {
    const before = privateServer.received.length;
    const log = store();
    const target = endpoint(privateServer.urlFor(NAME, '/hook'));
    const outcome = await deliverMessage(target, testMessage(target, new Date()), {
      ...strict({ resolveHost: () => Promise.resolve([privateAddress]) }),
      store: log,
    });
    assert.deepEqual(
      { delivered: outcome.delivered, statusCode: outcome.statusCode, permanent: outcome.permanent },
      { delivered: false, statusCode: null, permanent: true },
    );
    assert.equal(outcome.refused, true);
    assert.match(outcome.error ?? '', new RegExp(`${NAME} resolves to a private address`));
    assert.equal(privateServer.received.length, before);
    assert.equal(log.logged[0]?.error, outcome.error, 'the delivery log keeps the reason');
  });

  it('refuses for now (to be retried) an endpoint whose host cannot be resolved just now', async () => {
    const target = endpoint(publicServer.urlFor(NAME, '/hook'));
    const outcome = await deliverMessage(target, testMessage(target, new Date()), {
      ...strict({
        resolveHost: () => Promise.reject(Object.assign(new Error('EAI_AGAIN'), { code: 'EAI_AGAIN' })),
      }),
      store: store(),
    });
    assert.equal(outcome.refused, true);
    assert.equal(outcome.permanent, false);
  });
});

describe('the endpoint test send', () => {
  const send = (url: string, resolveHost: (host: string) => Promise<string[]>) =>
    sendTestEvent(endpoint(url), {
      store: store(),
      timeoutMs: 5000,
      allowPrivateHosts: false,
      now: () => new Date(),
      resolveHost,
      trustedCa: [TEST_CA_PEM],
      treatAsPublic: ['127.0.0.1'],
    });

  it('answers one generic refusal for every refused endpoint: no status, no body, no timing', async () => {
    const before = privateServer.received.length;
    const nxdomain = () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
    const outcomes = await Promise.all([
      send(privateServer.urlFor(NAME, '/hook'), () => Promise.resolve([privateAddress])),
      send(privateServer.urlFor(NAME, '/hook'), () => Promise.resolve(['10.0.0.5'])),
      send(privateServer.urlFor(NAME, '/hook'), () => Promise.resolve(['127.0.0.1', '169.254.169.254'])),
      send(privateServer.urlFor(NAME, '/hook'), nxdomain),
      send('https://169.254.169.254/latest/meta-data/', nxdomain),
    ]);
    for (const outcome of outcomes) {
      const { messageId, ...shown } = outcome;
      assert.match(messageId, /^msg_test_/);
      assert.deepEqual(shown, {
        delivered: false,
        statusCode: null,
        error: ENDPOINT_REFUSED_MESSAGE,
        durationMs: 0,
      });
    }
    assert.equal(privateServer.received.length, before, 'no private host was called');
  });

  it('still reports what a public endpoint answered', async () => {
    const failing = await startLoopbackServer({
      tls: true,
      handler: (_req, res) => {
        res.writeHead(503);
        res.end();
      },
    });
    try {
      const outcome = await send(failing.urlFor(NAME, '/hook'), () => Promise.resolve(['127.0.0.1']));
      assert.equal(outcome.delivered, false);
      assert.equal(outcome.statusCode, 503);
      assert.equal(outcome.error, 'the endpoint answered HTTP 503');
    } finally {
      await failing.close();
    }
  });
});
