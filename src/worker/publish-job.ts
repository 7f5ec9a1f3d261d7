/**
 * Publishing one target of one post. Its first attempt runs inside the post job at due time
 * (post-job.ts, `createInlineControl`); every later run — a retry, a rate-limit deferral, a target
 * found `publishing` after a crash — is a `publish` job (`target-<id>`, `createTargetJobProcessor`,
 * target-run-control.ts). Both run the same steps, each guarding the guarantees in docs/operations.md:
 *
 * 1. Validate the job data (ids only); bad data fails the job with a reason.
 * 2. Read the post and target. Gone, another version, or already settled: nothing to send.
 * 3. Found `publishing`: an earlier run claimed it and never settled (the worker died, or lost its
 *    lock). Until that claim is older than abandonAfterMs by the database's clock, the earlier run may
 *    still be sending: leave it and check again later. After that, take the claim over (one atomic
 *    store call) and reconcile with the platform (target-recovery.ts) — never a blind re-send.
 * 4. The account is rate-limited (known in this process): defer without calling the platform. Then
 *    wait for a send slot (at most WORKER_CONCURRENCY sends in flight in this process) and a place in
 *    WORKER_RATE_MAX (across processes; none: defer, no attempt used).
 * 5. Claim `pending -> publishing` in the store (compare-and-set, stamped by the store's clock; counts
 *    the attempt). Losing the claim means another worker has it: done.
 * 6. Send, by a deadline counted from before the claim was asked for (a slow claim shortens the send,
 *    or hands the target back unsent), aborted if shutdown overruns; an auth rejection gets one token
 *    refresh and one more try when a token provider is present.
 * 7. Settle with the attempt log, roll the post up, and turn failures into queue actions
 *    (failure-policy.ts). An unknown outcome, or a duplicate refusal after one, is reconciled.
 */
import type { Logger } from '../observability/logger.ts';
import type { Post, PostTarget, SocialAccount } from '../domain/post.ts';
import { isPublishError } from '../platforms/publish-error.ts';
import type { Published, PublishRequest } from '../platforms/publisher.ts';
import type { TargetSettlement } from '../store/post-store.ts';
import type { TargetJobRef } from '../queue/job-data.ts';
import type { SendRateLimit } from '../queue/send-rate-limit.ts';
import type { AccountLimits } from './account-limits.ts';
import { retryDelayMs } from './backoff.ts';
import type { FailureDecision } from './failure-policy.ts';
import { decideFailure } from './failure-policy.ts';
import { createSendSignal } from './send-signal.ts';
import type { SendSlots } from './send-slots.ts';
import { recoverUnknownOutcome, releaseUnsent, settleHeld } from './target-recovery.ts';
import { hadAmbiguousSend, rateLimitDelayMs } from './attempt-history.ts';
import { refuseBeforeSending } from './send-refusal.ts';
import type { PublishJobResult, TargetRunControl, TargetRunner } from './target-run-control.ts';
import type { HandlerDeps } from './worker-deps.ts';
import { abandonAfterMs, runBudgetMs } from './worker-deps.ts';

/**
 * A claim that came back with less than this share of PUBLISH_TIMEOUT_MS left (a slow database, a
 * pool wait) is handed back unsent: the send would be cut short, or would outlive the claim's bound.
 */
const MIN_SEND_BUDGET_SHARE = 0.5;

export interface PublishJobDeps extends HandlerDeps {
  accountLimits: AccountLimits;
  /** Caps sends in flight across post jobs and publish jobs at WORKER_CONCURRENCY. */
  sendSlots: SendSlots;
  /** WORKER_RATE_MAX per WORKER_RATE_DURATION_MS across processes; absent when the limit is off. */
  sendRate?: SendRateLimit | null;
}

export function createTargetRunner(deps: PublishJobDeps): TargetRunner {
  const { store, settings } = deps;
  const backoffMs = (attempt: number) =>
    retryDelayMs(attempt, { baseMs: settings.backoffMs, maxMs: settings.backoffMaxMs }, deps.random);

  return async function runTarget(
    data: TargetJobRef,
    control: TargetRunControl,
    claimedPost?: Post,
  ): Promise<PublishJobResult> {
    const post = claimedPost?.id === data.postId ? claimedPost : await store.getPost(data.postId);
    let target = post?.targets.find((t) => t.id === data.targetId);
    if (!post || !target || post.version !== data.version) {
      deps.logger.info(
        { jobId: control.jobId, postId: data.postId, targetId: data.targetId, run: control.run },
        'publish job is stale (post or target gone, or another version); dropped without publishing',
      );
      return 'stale';
    }
    // One child logger per run, bound once: each binding and each line is serialised on the hot path.
    // The usual run gets it at its claim (with the attempt); the other paths get it here, when needed.
    const bindings = {
      jobId: control.jobId,
      postId: data.postId,
      targetId: data.targetId,
      platform: target.platform,
      accountId: target.accountId,
    };
    let runLog: Logger | null = null;
    const log = (): Logger => (runLog ??= deps.logger.child(bindings));
    // At debug: every path below logs what it decided at info ('publish attempt' carries the run).
    if (deps.logger.isLevelEnabled('debug')) log().debug({ run: control.run }, 'publish job received');

    if (target.status === 'publishing') {
      const recovered = await recoverAbandoned(control, post, target, log());
      if (recovered !== null) return recovered;
      target = { ...target, status: 'pending' };
    } else if (target.status !== 'pending') {
      await rollUp(post.id, log());
      log().info({ status: target.status }, 'target already settled; nothing to send');
      return 'already_settled';
    }

    if (target.accountId) {
      const until = deps.accountLimits.blockedUntil(target.accountId, deps.now().getTime());
      if (until !== null) {
        log().info({ retryAt: new Date(until).toISOString() }, 'account is rate-limited; target deferred');
        return await control.defer(new Date(until));
      }
    }

    // The slot is taken before the claim, so waiting for it never counts against the claim's time.
    const release = await deps.sendSlots.acquire();
    try {
      const account = target.accountId ? await store.getAccount(target.accountId) : null;
      if (deps.sendRate) {
        const waitMs = await deps.sendRate.take();
        if (waitMs > 0) {
          // Spread the waiters over the next window rather than waking them all at once.
          const until = new Date(deps.now().getTime() + waitMs + Math.floor(deps.random() * waitMs));
          log().info({ retryAt: until.toISOString() }, 'WORKER_RATE_MAX reached; target deferred');
          return await control.defer(until);
        }
      }
      // Every platform call under this claim ends within runBudgetMs of this moment, which precedes
      // the store's stamp of the claim: what lets another run judge it abandoned by the store's clock.
      const askedAt = performance.now();
      const claimed = await store.claimTarget(target.id);
      if (!claimed) {
        log().info('target was claimed elsewhere or settled meanwhile; nothing to send');
        return 'claimed_elsewhere';
      }
      const attemptLog = deps.logger.child({ ...bindings, attempt: claimed.attempts });
      return await publishClaimed(control, post, claimed, account, attemptLog, askedAt);
    } finally {
      release();
    }
  };

  /** What is left of this run's budget for platform calls, in ms. */
  function budgetLeft(askedAt: number, budgetMs: number): number {
    return Math.floor(askedAt + budgetMs - performance.now());
  }

  /** Step 3. Null when the target went back to pending and may be sent. */
  async function recoverAbandoned(
    control: TargetRunControl,
    post: Post,
    target: PostTarget,
    log: Logger,
  ): Promise<PublishJobResult | null> {
    const askedAt = performance.now();
    const takeover = target.claimToken
      ? await store.takeOverClaim(target.id, target.claimToken, abandonAfterMs(settings.publishTimeoutMs))
      : { outcome: 'gone' as const };
    if (takeover.outcome === 'held') {
      // Judged by the store's clock: the run holding it may still be sending. Leave it alone.
      const checkAt = new Date(deps.now().getTime() + takeover.retryInMs);
      log.info(
        { checkAt: checkAt.toISOString() },
        'target is publishing under an earlier claim; checking again once that send must have ended',
      );
      return await control.defer(checkAt);
    }
    if (takeover.outcome === 'gone') {
      log.info('target was settled by the run that held it; nothing to send');
      return 'claimed_elsewhere';
    }
    log.warn(
      'target was left publishing by an earlier run (worker stopped mid-send); reconciling with the platform',
    );
    const held = takeover.target;
    const startedAt = deps.now();
    const reason = 'the worker stopped while sending this post';
    const { outcome } = await recoverUnknownOutcome(deps, post, held, reason, startedAt, {
      budgetMs: budgetLeft(askedAt, settings.publishTimeoutMs),
    });
    if (outcome === 'not_published') {
      if (!(await releaseUnsent(deps, held, reason, startedAt))) return 'claimed_elsewhere';
      log.info('platform confirms the earlier send did not go out; sending again');
      return null;
    }
    if (outcome === 'claim_lost') return 'claimed_elsewhere';
    if (outcome === 'check_later') return await checkLater(control, log, 1000);
    await rollUp(post.id, log);
    log.info(
      { outcome },
      outcome === 'published' ? 'earlier send found live; adopted' : 'target marked unconfirmed',
    );
    return outcome === 'published' ? 'reconciled' : 'unconfirmed';
  }

  /** Steps 6 and 7, for a target this run holds. */
  async function publishClaimed(
    control: TargetRunControl,
    post: Post,
    target: PostTarget,
    account: SocialAccount | null,
    log: Logger,
    askedAt: number,
  ): Promise<PublishJobResult> {
    const startedAt = deps.now();
    const attempt = target.attempts;
    const publisher = deps.publishers[target.platform];

    const refusal = refuseBeforeSending(post, target, account, publisher);
    if (refusal) return await applyDecision(control, post, target, refusal, startedAt, null, log, askedAt);

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
    let published: Published;
    try {
      let tokens = await deps.tokens.tokensFor(account!, signal);
      const request = (tokens: PublishRequest['account']['tokens']): PublishRequest => ({
        postId: post.id,
        targetId: target.id,
        content: { text: post.text, media: post.media },
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
      const unsure = isPublishError(err) && err.kind === 'rate_limited' && !err.retryAt;
      const decision = decideFailure(err, {
        attempt,
        maxAttempts: settings.publishAttempts,
        now: deps.now(),
        backoffMs,
        mayHaveSent,
        aborted: signal.aborted,
        rateLimitDelayMs: unsure
          ? rateLimitDelayMs(await store.listAttempts(target.id), settings.backoffMs)
          : undefined,
      });
      const platformStatus = isPublishError(err) ? err.platformStatus : null;
      return await applyDecision(control, post, target, decision, startedAt, platformStatus, log, askedAt);
    }
    send.dispose();

    const settled = await settleHeld(deps, target, {
      status: 'published',
      externalId: published.externalId,
      externalUrl: published.url,
    }, startedAt);
    if (!settled) {
      // The reconciler took the claim (the send outlived STUCK_AFTER_MS); it recorded its own verdict.
      log.error(
        { externalId: published.externalId },
        'published, but the claim was lost before recording it',
      );
      return 'claimed_elsewhere';
    }
    log.info(
      {
        externalId: published.externalId,
        url: published.url,
        durationMs: deps.now().getTime() - startedAt.getTime(),
      },
      'target published',
    );
    await rollUp(post.id, log);
    return 'published';
  }

  async function applyDecision(
    control: TargetRunControl,
    post: Post,
    target: PostTarget,
    decision: FailureDecision,
    startedAt: Date,
    platformStatus: number | null,
    log: Logger,
    askedAt: number,
  ): Promise<PublishJobResult> {
    const attempt = target.attempts;
    let evidenceOfCopy: string | undefined;
    if (
      decision.action === 'fail' && decision.code === 'duplicate_content' &&
      hadAmbiguousSend(target, await store.listAttempts(target.id))
    ) {
      // An earlier send of this target may have gone out unanswered: the refusal says it did.
      evidenceOfCopy =
        `${target.platform} refused a re-send as a duplicate, so the earlier send is live, but which post it is could not be found`;
      decision = { action: 'reconcile', code: 'outcome_unknown', message: `${decision.message}` };
    }
    if (decision.action === 'reconcile') {
      log.warn(
        { code: decision.code, message: decision.message, duplicate: evidenceOfCopy !== undefined },
        'publish outcome unknown; reconciling with the platform',
      );
      const { outcome } = await recoverUnknownOutcome(deps, post, target, decision.message, startedAt, {
        budgetMs: budgetLeft(askedAt, runBudgetMs(settings.publishTimeoutMs)),
        evidenceOfCopy,
      });
      if (outcome === 'claim_lost') return 'claimed_elsewhere';
      if (outcome === 'check_later') return await checkLater(control, log, 0);
      if (outcome !== 'not_published') {
        await rollUp(post.id, log);
        log.info(
          { outcome },
          outcome === 'published' ? 'send found live; adopted' : 'target marked unconfirmed',
        );
        return outcome === 'published' ? 'reconciled' : 'unconfirmed';
      }
      const message = `${decision.message}; the platform confirms it was not published`;
      decision = attempt >= settings.publishAttempts
        ? {
          action: 'fail',
          code: 'outcome_unknown',
          message: `${message} (gave up after ${attempt} attempts)`,
        }
        : { action: 'retry', code: 'outcome_unknown', message, delayMs: backoffMs(attempt) };
    }

    const settlement: TargetSettlement = decision.action === 'fail'
      ? { status: 'failed', errorCode: decision.code, errorMessage: decision.message }
      : {
        status: 'pending',
        errorCode: decision.code,
        errorMessage: decision.message,
        nextAttemptAt: decision.action === 'defer'
          ? decision.until
          : new Date(deps.now().getTime() + decision.delayMs),
        deferred: decision.action === 'defer',
      };
    // Block the account before anything else awaits, so no other send for it starts in between.
    if (decision.action === 'defer' && target.accountId) {
      deps.accountLimits.block(target.accountId, decision.until.getTime());
    }
    const settled = await settleHeld(deps, target, settlement, startedAt, platformStatus);
    if (!settled) return 'claimed_elsewhere';

    switch (decision.action) {
      case 'defer':
        log.warn(
          { code: decision.code, message: decision.message, retryAt: decision.until.toISOString() },
          'rate-limited; target deferred (attempt not counted)',
        );
        return await control.defer(decision.until);
      case 'retry': {
        const retryAt = new Date(deps.now().getTime() + decision.delayMs).toISOString();
        log.warn({ code: decision.code, message: decision.message, retryAt }, 'publish failed; will retry');
        return await control.retry(`${decision.code}: ${decision.message}`, decision.delayMs);
      }
      case 'fail':
        log.info({ code: decision.code, message: decision.message }, 'target failed');
        await rollUp(post.id, log);
        return await control.fail(`${decision.code}: ${decision.message}`);
    }
  }

  /**
   * The platform could not be asked about an ambiguous send: the target stays `publishing` under its
   * claim, and this run comes back once the claim may be taken over (`extraMs` after a takeover, which
   * restamped the claim) to ask again.
   */
  async function checkLater(
    control: TargetRunControl,
    log: Logger,
    extraMs: number,
  ): Promise<PublishJobResult> {
    const until = new Date(deps.now().getTime() + abandonAfterMs(settings.publishTimeoutMs) + extraMs);
    log.warn(
      { checkAt: until.toISOString() },
      'the platform could not be asked whether the post is live; asking again later',
    );
    return await control.defer(until);
  }

  /** Sets the post status once every target is settled. A failure is rethrown: the job retries it. */
  async function rollUp(postId: string, log: Logger): Promise<void> {
    const post = await store.rollUpPost(postId);
    if (post.status !== 'publishing') log.debug({ postStatus: post.status }, 'post status rolled up');
  }
}
