/**
 * A Publisher that talks to tests/fakes/fake-platform-server.ts over HTTP, for worker processes under
 * test. Like a real adapter it passes the request's signal to fetch, so a timeout or shutdown abort
 * surfaces as the fetch's abort error (an unknown outcome for the worker).
 */
import type { AccountTokens } from '../../src/domain/post.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { PublishError } from '../../src/platforms/publish-error.ts';
import type { Published, Publisher, PublishRequest, ReconcileResult } from '../../src/platforms/publisher.ts';
import type { PublisherRegistry } from '../../src/platforms/registry.ts';

export function createHttpFakePublisher(
  baseUrl: string,
  platform: Platform,
  canReconcile: boolean,
): Publisher {
  const publisher: Publisher = {
    platform,
    maxTextLength: 3000,
    textLength: (text) => [...text].length,
    validate: () => [],
    validateComment: () => [],
    comment: () => Promise.reject(new Error('the HTTP fake posts no first comments')),
    async publish(request: PublishRequest): Promise<Published> {
      const res = await fetch(`${baseUrl}/${platform}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          postId: request.postId,
          targetId: request.targetId,
          attempt: request.attempt,
        }),
        signal: request.signal,
      });
      if (!res.ok) {
        throw new PublishError('platform_unavailable', `fake ${platform} answered ${res.status}`, {
          platform,
          platformStatus: res.status,
        });
      }
      return await res.json() as Published;
    },
    needsRefresh: () => false,
    refresh(): Promise<AccountTokens> {
      return Promise.reject(new PublishError('auth_expired', 'the fake cannot refresh tokens', { platform }));
    },
    authorizationUrl: (start) => `${baseUrl}/${platform}/oauth?state=${start.state}`,
    exchangeCode() {
      return Promise.reject(new PublishError('auth_expired', 'the fake cannot exchange codes', { platform }));
    },
  };
  if (canReconcile) {
    publisher.reconcile = async (request: PublishRequest): Promise<ReconcileResult> => {
      const res = await fetch(`${baseUrl}/${platform}/lookup?targetId=${request.targetId}`, {
        signal: request.signal,
      });
      const { externalId } = await res.json() as { externalId: string | null };
      return externalId
        ? {
          status: 'published',
          published: { externalId, url: `https://${platform}.example.test/${externalId}` },
        }
        : { status: 'not_published' };
    };
  }
  return publisher;
}

/** `reconcilable`: platforms whose fake offers reconcile. */
export function createHttpFakeRegistry(baseUrl: string, reconcilable: readonly string[]): PublisherRegistry {
  return Object.fromEntries(
    PLATFORMS.map((p) => [p, createHttpFakePublisher(baseUrl, p, reconcilable.includes(p))]),
  ) as Record<Platform, Publisher>;
}
