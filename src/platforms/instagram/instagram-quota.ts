/**
 * Instagram's rolling publish quota (docs/platform-apis.md §2.5): `content_publishing_limit` is read before
 * media_publish, and a refusal over the quota (9/2207042) gets a `retryAt` when the oldest post of the
 * window leaves it. Without a post of the window to go by, `retryAt` stays null and the worker
 * chooses the wait; no reset time is invented.
 */
import { isPublishError, PublishError } from '../publish-error.ts';
import type { ContainerContext } from './instagram-containers.ts';

/** Throws quota_exceeded when the quota is used up; else the quota's window in seconds, if known. */
export async function checkPublishingQuota(ctx: ContainerContext): Promise<number | null> {
  const limit = await ctx.api.publishingLimit(ctx.userId, ctx.token, ctx.signal);
  if (limit && limit.quotaUsage >= limit.quotaTotal) {
    throw new PublishError(
      'quota_exceeded',
      `The Instagram account used its ${limit.quotaTotal} API posts of the last 24 hours; it will be sent when the quota frees up`,
      {
        platform: 'instagram',
        platformCode: 'content_publishing_limit',
        retryAt: await estimateQuotaReset(ctx, limit.quotaDurationSeconds),
      },
    );
  }
  return limit?.quotaDurationSeconds ?? null;
}

/** Instagram's own quota refusal, with the estimated reset added. */
export async function withQuotaReset(
  ctx: ContainerContext,
  err: PublishError,
  durationSeconds: number | null,
): Promise<PublishError> {
  return new PublishError(err.code, err.message, {
    platform: 'instagram',
    platformStatus: err.platformStatus,
    platformCode: err.platformCode,
    platformMessage: err.platformMessage,
    retryAt: await estimateQuotaReset(ctx, durationSeconds ?? 86_400),
    cause: err,
  });
}

/**
 * When the oldest post of the quota window leaves it (the window is rolling); null when no post of
 * the window is listed or the listing fails.
 */
export async function estimateQuotaReset(
  ctx: ContainerContext,
  durationSeconds: number,
): Promise<Date | null> {
  const at = ctx.now().getTime();
  const windowMs = durationSeconds * 1000;
  try {
    const { media } = await ctx.api.recentMedia(ctx.userId, ctx.token, ctx.signal);
    const inWindow = media.map((m) => m.timestamp?.getTime() ?? NaN).filter((t) => t > at - windowMs);
    if (inWindow.length > 0) {
      return new Date(Math.max(at + 60_000, Math.min(...inWindow) + windowMs));
    }
  } catch (err) {
    // Best effort: the quota error is what matters; without an estimate the worker picks the wait.
    if (!isPublishError(err)) throw err;
  }
  return null;
}
