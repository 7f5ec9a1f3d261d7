/**
 * The behaviour every platform adapter shares, run against the sandbox platforms. Each platform's
 * test file calls `publisherContract(name, setup)` with a setup that starts a sandbox (port 0), builds
 * the publisher pointed at it, and knows how to connect an account and what content is valid there.
 *
 *   publisherContract('X', async () => {
 *     const running = await startSandbox({ port: 0 });
 *     return { platform: 'x', knobs: running.sandbox.knobs, publisher: createXPublisher({...}),
 *              connectAccount: …, validContent: …, invalidContent: …, publishPath: '/2/tweets',
 *              close: () => running.close() };
 *   });
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Platform } from '../../src/domain/platform.ts';
import type { SocialAccount } from '../../src/domain/post.ts';
import { isPublishError } from '../../src/platforms/publish-error.ts';
import type { PublishError } from '../../src/platforms/publish-error.ts';
import type {
  PublishAccount,
  PublishContent,
  Publisher,
  PublishRequest,
} from '../../src/platforms/publisher.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';
import { createTokenProvider } from '../../src/platforms/token-provider.ts';
import type { SandboxKnobs } from '../../src/sandbox/sandbox-knobs.ts';
import { createAccountStore } from '../support/account-store.ts';
import { waitFor } from '../support/wait-for.ts';

export interface PublisherContractEnv {
  platform: Platform;
  knobs: SandboxKnobs;
  publisher: Publisher;
  /** A newly connected account whose tokens the sandbox accepts. */
  connectAccount(): Promise<PublishAccount>;
  /**
   * Makes the account's access token expired at the sandbox while a refresh stays possible. Absent
   * when the platform cannot refresh an expired token (the test is skipped with `noRefreshReason`).
   */
  expireAccessToken?(account: PublishAccount): void;
  noRefreshReason?: string;
  /** Content the platform accepts; a different text on every call (platforms refuse duplicates). */
  validContent(): PublishContent;
  /** Content breaking several rules, and the `rule` of every violation validate must report. */
  invalidContent: { content: PublishContent; rules: string[] };
  /** Platform-relative path (and method) of the call that makes a post live: faults are injected there. */
  publishPath: string;
  publishMethod?: string;
  close(): Promise<void>;
}

export function publisherContract(name: string, setup: () => Promise<PublisherContractEnv>): void {
  describe(`${name} publisher contract`, () => {
    let env: PublisherContractEnv;
    before(async () => {
      env = await setup();
    });
    after(async () => {
      await env?.close();
    });

    const request = (
      account: PublishAccount,
      content = env.validContent(),
      signal = AbortSignal.timeout(15_000),
    ) =>
      ({
        postId: crypto.randomUUID(),
        targetId: crypto.randomUUID(),
        content,
        account,
        attempt: 1,
        signal,
      }) satisfies PublishRequest;

    const fault = (input: { mode: 'status' | 'rate_limit' | 'timeout' | 'drop' } & Record<string, unknown>) =>
      env.knobs.injectFault({
        platform: env.platform,
        path: env.publishPath,
        method: env.publishMethod ?? 'POST',
        ...input,
      });

    it('publishes a valid post, and the sandbox received exactly that post', async () => {
      const account = await env.connectAccount();
      const content = env.validContent();
      const published = await env.publisher.publish(request(account, content));
      assert.ok(published.externalId.length > 0);
      const received = env.knobs.published(env.platform).filter((p) => p.id === published.externalId);
      assert.equal(received.length, 1, 'exactly one post with the returned id reached the platform');
      assert.equal(received[0]!.text.trim(), content.text.trim());
    });

    it('validate reports every broken rule at once, and accepts valid content', () => {
      assert.deepEqual(env.publisher.validate(env.validContent()), []);
      const violations = env.publisher.validate(env.invalidContent.content);
      const rules = violations.map((v) => v.rule);
      for (const rule of env.invalidContent.rules) {
        assert.ok(rules.includes(rule), `expected ${rule} in ${rules.join(', ')}`);
      }
      for (const v of violations) {
        assert.equal(v.platform, env.platform);
        assert.ok(v.message.length > 0 && v.path.length > 0);
      }
    });

    it('turns a rate-limit answer into rate_limited with the reset time as retryAt', async () => {
      const account = await env.connectAccount();
      fault({ mode: 'rate_limit', resetAfterSeconds: 600 });
      const before = env.knobs.now().getTime();
      const err = await publishError(env.publisher.publish(request(account)));
      assert.ok(
        err.code === 'rate_limited' || err.code === 'quota_exceeded',
        `got ${err.code}: ${err.message}`,
      );
      assert.equal(err.retryable, true);
      assert.ok(err.retryAt instanceof Date, 'retryAt is set');
      assert.ok(err.retryAt.getTime() > before, 'retryAt lies in the future');
      assert.ok(err.retryAt.getTime() <= before + 601_000 + 60_000, 'retryAt is not later than the reset');
      assertNoSecrets(err, account);
    });

    it('turns a 5xx answer into a retryable platform_unavailable', async () => {
      const account = await env.connectAccount();
      fault({ mode: 'status', status: 503 });
      const err = await publishError(env.publisher.publish(request(account)));
      assert.equal(err.code, 'platform_unavailable');
      assert.equal(err.retryable, true);
      assert.equal(err.platformStatus, 503);
      assertNoSecrets(err, account);
    });

    it('turns an answer it does not understand into unknown with the status and a bounded excerpt', async () => {
      const account = await env.connectAccount();
      const page = `<html><body>${'teapot gateway says no '.repeat(600)}</body></html>`;
      fault({ mode: 'status', status: 418, body: page });
      const err = await publishError(env.publisher.publish(request(account)));
      assert.equal(err.code, 'unknown');
      assert.equal(err.platformStatus, 418);
      assert.ok(
        `${err.message} ${err.platformMessage ?? ''}`.includes('teapot gateway says no'),
        'keeps an excerpt',
      );
      assert.ok(err.message.length < 2000, `message is bounded (${err.message.length} chars)`);
      assert.ok((err.platformMessage ?? '').length < 2000, 'platformMessage is bounded');
      assertNoSecrets(err, account);
    });

    it('refreshes after a 401 for an expired token and then publishes', async (t) => {
      if (!env.expireAccessToken) {
        t.skip(env.noRefreshReason ?? 'the platform cannot refresh an expired token');
        return;
      }
      const connected = await env.connectAccount();
      const { store, userId } = await createAccountStore();
      try {
        const account: SocialAccount = await store.createAccount({
          userId,
          platform: env.platform,
          externalId: connected.externalId,
          tokens: connected.tokens,
        });
        env.expireAccessToken(connected);
        const first = await publishError(env.publisher.publish(request(connected)));
        assert.equal(first.code, 'auth_expired');
        assertNoSecrets(first, connected);

        const provider = createTokenProvider({
          store,
          publishers: { [env.platform]: env.publisher } as unknown as PublisherRegistry,
        });
        const fresh = await provider.refreshAfterRejection(
          account,
          connected.tokens,
          AbortSignal.timeout(10_000),
        );
        assert.notEqual(fresh.accessToken, connected.tokens.accessToken);
        assert.deepEqual(await store.getAccountTokens(account.id), fresh, 'the new tokens are stored');
        const published = await env.publisher.publish(request({ ...connected, tokens: fresh }));
        assert.ok(env.knobs.published(env.platform).some((p) => p.id === published.externalId));
      } finally {
        await store.close();
      }
    });

    it("aborts the request when the caller's signal aborts", async () => {
      const account = await env.connectAccount();
      fault({ mode: 'timeout' });
      const controller = new AbortController();
      const seen = env.knobs.requests(env.platform).length;
      const pending = publishError(
        env.publisher.publish(request(account, env.validContent(), controller.signal)),
      );
      await waitFor(
        () =>
          env.knobs.requests(env.platform).slice(seen).some((r) =>
            r.path === env.publishPath && r.fault === 'timeout'
          ),
        { what: 'the publish request to reach the sandbox' },
      );
      const abortedAt = Date.now();
      controller.abort();
      const err = await pending;
      assert.ok(Date.now() - abortedAt < 2000, 'the publish call gave up promptly');
      assert.ok(
        err.code === 'outcome_unknown' || err.code === 'network',
        `an aborted send is outcome_unknown (or network if nothing was sent), got ${err.code}`,
      );
    });
  });
}

/** Awaits a rejection that must be a PublishError. */
export async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isPublishError(err), `expected a PublishError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** Neither the message, the platform message nor any string field of the error holds a token. */
export function assertNoSecrets(err: Error, account: PublishAccount): void {
  const secrets = [account.tokens.accessToken, account.tokens.refreshToken].filter((s): s is string => !!s);
  const text = [err.message, String(err.stack), JSON.stringify(err), describeCauses(err)].join('\n');
  for (const secret of secrets) assert.ok(!text.includes(secret), 'a token appears in the error');
}

function describeCauses(err: unknown, depth = 0): string {
  if (depth > 4 || typeof err !== 'object' || err === null) return '';
  const cause = (err as { cause?: unknown }).cause;
  if (cause === undefined) return '';
  return `${String((cause as Error)?.message ?? cause)}\n${describeCauses(cause, depth + 1)}`;
}
