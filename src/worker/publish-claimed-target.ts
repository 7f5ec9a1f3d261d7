/**
 * Step 6 of a target run (publish-job.ts), for a target this run holds: refuse what cannot be sent
 * (send-refusal.ts), hand the target back unsent when the claim took too long, else send by a deadline
 * counted from before the claim was asked for, aborted if shutdown overruns. An auth rejection gets
 * one token refresh and one more try when a token provider is present. A success is recorded here and
 * the post rolled up; a failure goes to step 7 (apply-failure-decision.ts).
 */
import type { Post, PostTarget, SocialAccount } from '../domain/post.ts';
import type { Logger } from '../observability/logger.ts';
import { isPublishError } from '../platforms/publish-error.ts';
import type { Published, PublishRequest } from '../platforms/publisher.ts';
import { applyFailureDecision } from './apply-failure-decision.ts';
import { rateLimitDelayMs } from './attempt-history.ts';
import { budgetLeft } from './budget-left.ts';
import { decideFailure } from './failure-policy.ts';
import type { PublishJobDeps } from './publish-job-deps.ts';
import { retryBackoffMs } from './publish-job-deps.ts';
import { rollUpAfterSettle } from './roll-up-post.ts';
import { refuseBeforeSending } from './send-refusal.ts';
import { createSendSignal } from './send-signal.ts';
import { recordPart, settleHeld } from './target-recovery.ts';
import { nextPartIndex, sendContent } from '../domain/post-content.ts';
import type { PublishJobResult, TargetRunControl } from './target-run-control.ts';

/**
 * A claim that came back with less than this share of PUBLISH_TIMEOUT_MS left (a slow database, a
 * pool wait) is handed back unsent: the send would be cut short, or would outlive the claim's bound.
 */
const MIN_SEND_BUDGET_SHARE = 0.5;

/** Steps 6 and 7, for a target this run holds. */
export async function publishClaimedTarget(
  deps: PublishJobDeps,
  control: TargetRunControl,
  post: Post,
  target: PostTarget,
  account: SocialAccount | null,
  log: Logger,
  askedAt: number,
  /**
   * Gives the send slot back (idempotent; the caller also releases it when the run ends). Called as
   * soon as a send succeeded: recording it is database work, and the next send need not wait for it.
   */
  sendDone: () => void = () => {},
): Promise<PublishJobResult> {
  const { store, settings } = deps;
  const startedAt = deps.now();
  const attempt = target.attempts;
  const publisher = deps.publishers[target.platform];

  // A thread's later part is sent under the claim its previous part renewed: each is one more send
  // for the account's rate limit and WORKER_RATE_MAX, so a limit hands the target back, resumable.
  const continuation = target.thread !== null && nextPartIndex(target) > 0;
  const resume = (next: PostTarget) =>
    publishClaimedTarget(deps, control, post, next, account, log, performance.now(), sendDone);
  const refusal = refuseBeforeSending(post, target, account, publisher);
  if (refusal) {
    return await applyFailureDecision(
      deps,
      control,
      post,
      target,
      refusal,
      startedAt,
      null,
      log,
      askedAt,
      resume,
    );
  }
  if (continuation) {
    const deferred = await deferNextPart(deps, control, target, startedAt, log);
    if (deferred !== null) return deferred;
  }

  // The send's deadline counts from before the claim was asked for, not from its answer.
  const sendMs = budgetLeft(askedAt, settings.publishTimeoutMs);
  if (sendMs < settings.publishTimeoutMs * MIN_SEND_BUDGET_SHARE) {
    const until = new Date(deps.now().getTime() + settings.backoffMs);
    const settled = await settleHeld(deps, target, {
      status: 'pending',
      errorCode: 'database_slow',
      errorMessage: `the claim took ${
        settings.publishTimeoutMs - sendMs
      } ms, too long to send within PUBLISH_TIMEOUT_MS; nothing was sent, it is tried again`,
      nextAttemptAt: until,
      deferred: true,
    }, startedAt);
    if (!settled) return 'claimed_elsewhere';
    deps.metrics.publishOutcome(target.platform, 'deferred', 'database_slow');
    log.warn(
      { claimMs: settings.publishTimeoutMs - sendMs },
      'claim was too slow to send; target deferred',
    );
    return await control.defer(until);
  }
  const send = createSendSignal(sendMs, deps.shutdownSignal);
  const signal = send.signal;
  let mayHaveSent = false;
  log.info({ maxAttempts: settings.publishAttempts, run: control.run }, 'publish attempt');
  const sendStartedAt = performance.now();
  const sendEnded = () =>
    deps.metrics.publishDuration(target.platform, (performance.now() - sendStartedAt) / 1000);
  let published: Published;
  try {
    let tokens = await deps.tokens.tokensFor(account!, signal);
    const request = (tokens: PublishRequest['account']['tokens']): PublishRequest => ({
      postId: post.id,
      targetId: target.id,
      content: sendContent(post, target),
      account: { id: account!.id, externalId: account!.externalId, tokens },
      attempt,
      signal,
    });
    try {
      mayHaveSent = true;
      published = await publisher!.publish(request(tokens));
    } catch (err) {
      if (!(isPublishError(err) && err.kind === 'auth' && deps.tokens.refreshAfterRejection)) throw err;
      // A 401 means the platform refused the request, so nothing went out: safe to try once more.
      mayHaveSent = false;
      log.warn({ code: err.code }, 'access token rejected; refreshing it and trying once more');
      tokens = await deps.tokens.refreshAfterRejection(account!, tokens, signal);
      mayHaveSent = true;
      published = await publisher!.publish(request(tokens));
    }
  } catch (err) {
    send.dispose();
    sendEnded();
    const unsure = isPublishError(err) && err.kind === 'rate_limited' && !err.retryAt;
    const decision = decideFailure(err, {
      attempt,
      maxAttempts: settings.publishAttempts,
      now: deps.now(),
      backoffMs: (n) => retryBackoffMs(deps, n),
      mayHaveSent,
      aborted: signal.aborted,
      rateLimitDelayMs: unsure
        ? rateLimitDelayMs(await store.listAttempts(target.id), settings.backoffMs)
        : undefined,
    });
    const platformStatus = isPublishError(err) ? err.platformStatus : null;
    return await applyFailureDecision(
      deps,
      control,
      post,
      target,
      decision,
      startedAt,
      platformStatus,
      log,
      askedAt,
      resume,
    );
  }
  send.dispose();
  sendEnded();

  let head: Published = published;
  if (target.thread) {
    // Recorded before the next part is sent (never part n+1 before part n is confirmed); recording
    // renews the claim for the next part, whose send budget counts from before this write.
    const nextAskedAt = performance.now();
    const recorded = await recordPart(deps, target, published, startedAt, true, 'published');
    if (!recorded) {
      log.error({ externalId: published.externalId }, 'thread part published, but the claim was lost');
      return 'claimed_elsewhere';
    }
    const next = nextPartIndex(recorded);
    log.info(
      { part: next, parts: recorded.thread!.length, externalId: published.externalId },
      'thread part published',
    );
    if (next < recorded.thread!.length) {
      return await publishClaimedTarget(deps, control, post, recorded, account, log, nextAskedAt, sendDone);
    }
    target = recorded;
    const first = recorded.thread![0]!;
    head = { externalId: first.externalId!, url: first.url };
  }
  sendDone();

  const settled = await settleHeld(deps, target, {
    status: 'published',
    externalId: head.externalId,
    externalUrl: head.url,
  }, startedAt);
  if (!settled) {
    // The reconciler took the claim (the send outlived STUCK_AFTER_MS); it recorded its own verdict.
    log.error(
      { externalId: published.externalId },
      'published, but the claim was lost before recording it',
    );
    return 'claimed_elsewhere';
  }
  deps.metrics.publishOutcome(target.platform, 'published');
  log.info(
    {
      externalId: head.externalId,
      url: head.url,
      durationMs: deps.now().getTime() - startedAt.getTime(),
    },
    'target published',
  );
  // Only the post's last settle rolls it up (the others would find targets still to send).
  await rollUpAfterSettle(store, settled, log);
  return 'published';
}

/**
 * Before a thread's later part: the account's known rate limit or WORKER_RATE_MAX hands the target
 * back `pending` (deferred, no attempt used; the retry resumes at this part). Null: send it now.
 */
async function deferNextPart(
  deps: PublishJobDeps,
  control: TargetRunControl,
  target: PostTarget,
  startedAt: Date,
  log: Logger,
): Promise<PublishJobResult | null> {
  let until: number | null = target.accountId
    ? deps.accountLimits.blockedUntil(target.accountId, deps.now().getTime())
    : null;
  if (until === null && deps.sendRate) {
    const waitMs = await deps.sendRate.take();
    if (waitMs > 0) until = deps.now().getTime() + waitMs + Math.floor(deps.random() * waitMs);
  }
  if (until === null) return null;
  const at = new Date(until);
  const settled = await settleHeld(deps, target, {
    status: 'pending',
    errorCode: 'rate_limited',
    errorMessage: `the next part of the thread waits for the rate limit until ${at.toISOString()}`,
    nextAttemptAt: at,
    deferred: true,
  }, startedAt);
  if (!settled) return 'claimed_elsewhere';
  deps.metrics.publishOutcome(target.platform, 'deferred', 'rate_limited');
  log.info({ retryAt: at.toISOString() }, 'rate limit reached mid-thread; the rest of the thread deferred');
  return await control.defer(at);
}
