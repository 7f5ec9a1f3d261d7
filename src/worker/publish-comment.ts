/**
 * A target's first comment, once the target is published (docs/operations.md, "Operations: never twice,
 * never lost"). It is held to the target's own discipline, on its own claim: claimed (compare-and-set
 * `pending -> publishing`, counting its attempt), sent by a deadline, settled; an unknown outcome is
 * reconciled with the platform (`Publisher.reconcileComment`) and never re-sent blindly; a claim left
 * behind by a run that died is taken over only once it is older than abandonAfterMs (the reconciler
 * re-adds the target's job for it). Its failure never changes the target's or the post's status: this
 * module only writes the comment's own fields.
 */
import { hasErrorCode } from '../domain/error-codes.ts';
import type { Post, PostTarget } from '../domain/post.ts';
import { commentAnchor, effectiveFirstComment } from '../domain/post-content.ts';
import type { Logger } from '../observability/logger.ts';
import { isPublishError, mayAnswerLater } from '../platforms/publish-error.ts';
import type { CommentRequest, Published, ReconcileResult } from '../platforms/publisher.ts';
import type { CommentSettlement } from '../store/post-store.ts';
import { decideFailure } from './failure-policy.ts';
import type { PublishJobDeps } from './publish-job-deps.ts';
import { retryBackoffMs } from './publish-job-deps.ts';
import { createSendSignal } from './send-signal.ts';
import type { PublishJobResult, TargetRunControl } from './target-run-control.ts';
import { abandonAfterMs, recheckWindowMs } from './worker-deps.ts';

/**
 * Runs the first comment of a published target if one is due: returns `result` (what the target's run
 * ended as) unless the comment hands the run back to come again (a deferral or retry of the comment).
 */
export async function publishFirstComment(
  deps: PublishJobDeps,
  control: TargetRunControl,
  post: Post,
  target: PostTarget,
  log: Logger,
  result: PublishJobResult,
): Promise<PublishJobResult> {
  const text = effectiveFirstComment(post, target);
  let comment = target.comment;
  if (text === null || comment === null || target.status !== 'published') return result;
  const clog = log.child({ part: 'first_comment' });

  if (comment.status === 'publishing') {
    const recovered = await recoverComment(deps, control, post, target, text, clog);
    if (recovered === 'send') comment = { ...comment, status: 'pending', nextAttemptAt: null };
    else return recovered === 'done' ? result : recovered;
  }
  if (comment.status !== 'pending') return result;
  const now = deps.now();
  if (comment.nextAttemptAt && comment.nextAttemptAt > now) return await control.defer(comment.nextAttemptAt);
  if (target.accountId) {
    const until = deps.accountLimits.blockedUntil(target.accountId, now.getTime());
    if (until !== null) return await control.defer(new Date(until));
  }

  const release = await deps.sendSlots.acquire();
  try {
    if (deps.sendRate) {
      const waitMs = await deps.sendRate.take();
      if (waitMs > 0) return await control.defer(new Date(deps.now().getTime() + waitMs));
    }
    const claimed = await deps.store.claimComment(target.id);
    if (!claimed?.comment?.claimToken) {
      clog.info('first comment was claimed elsewhere or is settled; nothing to send');
      return result;
    }
    return await sendComment(deps, control, post, claimed, text, clog, result);
  } finally {
    release();
  }
}

async function sendComment(
  deps: PublishJobDeps,
  control: TargetRunControl,
  post: Post,
  held: PostTarget,
  text: string,
  log: Logger,
  result: PublishJobResult,
): Promise<PublishJobResult> {
  const { settings } = deps;
  const comment = held.comment!;
  const attempt = comment.attempts;
  const publisher = deps.publishers[held.platform];
  const anchor = commentAnchor(held);
  const account = held.accountId ? await deps.store.getAccount(held.accountId) : null;
  if (!publisher || !anchor || !account || account.status !== 'active') {
    await settleComment(deps, held, {
      status: 'failed',
      errorCode: account ? 'auth_expired' : 'account_disconnected',
      errorMessage: !account
        ? `the ${held.platform} account was disconnected before the first comment was posted`
        : `the ${held.platform} account needs reconnecting before the first comment can be posted`,
    }, log);
    return result;
  }
  const violations = publisher.validateComment(text);
  if (violations.length > 0) {
    await settleComment(deps, held, {
      status: 'failed',
      errorCode: 'content_invalid',
      errorMessage: violations.map((v) => v.message).join('; '),
    }, log);
    return result;
  }
  const send = createSendSignal(settings.publishTimeoutMs, deps.shutdownSignal);
  let mayHaveSent = false;
  let published: Published;
  log.info({ attempt }, 'first comment attempt');
  try {
    const tokens = await deps.tokens.tokensFor(account, send.signal);
    const request: CommentRequest = {
      postId: post.id,
      targetId: held.id,
      on: anchor,
      text,
      account: { id: account.id, externalId: account.externalId, tokens },
      attempt,
      signal: send.signal,
    };
    mayHaveSent = true;
    published = await publisher.comment(request);
  } catch (err) {
    send.dispose();
    const decision = decideFailure(err, {
      attempt,
      maxAttempts: settings.publishAttempts,
      now: deps.now(),
      backoffMs: (n) => retryBackoffMs(deps, n),
      mayHaveSent,
      aborted: send.signal.aborted,
    });
    if (decision.action === 'reconcile') {
      const found = await askAboutComment(deps, post, held, text, comment.firstSentAt ?? deps.now());
      if (found.status === 'published') {
        await settleComment(deps, held, { status: 'published', ...asSettled(found.published) }, log);
        log.info({ externalId: found.published.externalId }, 'first comment found live; adopted');
        return result;
      }
      if (found.status === 'unknown') {
        await settleComment(deps, held, {
          status: 'unconfirmed',
          errorCode: 'outcome_unknown',
          errorMessage: `${decision.message}. The comment may be live, but this could not be confirmed ` +
            `(${found.reason}), so it was not posted again: check the post on ${held.platform}.`,
        }, log);
        return result;
      }
      if (attempt >= settings.publishAttempts) {
        await settleComment(deps, held, {
          status: 'failed',
          errorCode: 'outcome_unknown',
          errorMessage: `${decision.message}; not posted (gave up after ${attempt} attempts)`,
        }, log);
        return result;
      }
      const delayMs = retryBackoffMs(deps, attempt);
      const ok = await settleComment(deps, held, {
        status: 'pending',
        errorCode: 'outcome_unknown',
        errorMessage:
          `${decision.message}; ${held.platform} confirms it was not posted, so it is tried again`,
        nextAttemptAt: new Date(deps.now().getTime() + delayMs),
      }, log);
      return ok ? await control.retry(decision.message, delayMs) : result;
    }
    if (decision.action === 'fail') {
      await settleComment(deps, held, {
        status: 'failed',
        errorCode: decision.code,
        errorMessage: decision.message,
      }, log);
      log.warn(
        { code: decision.code, message: decision.message },
        'first comment failed; the post stays live',
      );
      return result;
    }
    const until = decision.action === 'defer'
      ? decision.until
      : new Date(deps.now().getTime() + decision.delayMs);
    if (decision.action === 'defer' && held.accountId) {
      deps.accountLimits.block(held.accountId, until.getTime());
    }
    const ok = await settleComment(deps, held, {
      status: 'pending',
      errorCode: decision.code,
      errorMessage: decision.message,
      nextAttemptAt: until,
      deferred: decision.action === 'defer',
    }, log);
    if (!ok) return result;
    log.warn({ code: decision.code, retryAt: until.toISOString() }, 'first comment will be tried again');
    return decision.action === 'defer'
      ? await control.defer(until)
      : await control.retry(`${decision.code}: ${decision.message}`, decision.delayMs);
  }
  send.dispose();
  await settleComment(deps, held, { status: 'published', ...asSettled(published) }, log);
  log.info({ externalId: published.externalId, url: published.url }, 'first comment published');
  return result;
}

/**
 * The comment was found `publishing`: an earlier run claimed it and never settled it. `send`: the
 * platform confirms it never went out (the comment is pending again); `done`: settled (adopted or
 * unconfirmed) or someone else holds it; otherwise the run's control result (come back later).
 */
async function recoverComment(
  deps: PublishJobDeps,
  control: TargetRunControl,
  post: Post,
  target: PostTarget,
  text: string,
  log: Logger,
): Promise<'send' | 'done' | PublishJobResult> {
  const token = target.comment!.claimToken;
  if (!token) return 'done';
  const takeover = await deps.store.takeOverComment(
    target.id,
    token,
    abandonAfterMs(deps.settings.publishTimeoutMs),
  );
  if (takeover.outcome === 'gone') return 'done';
  if (takeover.outcome === 'held') {
    return await control.defer(new Date(deps.now().getTime() + takeover.retryInMs));
  }
  const held = takeover.target;
  log.warn('first comment was left publishing by an earlier run; asking the platform whether it is live');
  const sentAfter = held.comment!.firstSentAt ?? held.comment!.claimedAt ?? deps.now();
  const found = await askAboutComment(deps, post, held, text, sentAfter);
  if (found.status === 'published') {
    await settleComment(deps, held, { status: 'published', ...asSettled(found.published) }, log);
    log.info({ externalId: found.published.externalId }, 'earlier first comment found live; adopted');
    return 'done';
  }
  if (found.status === 'not_published') {
    const ok = await settleComment(deps, held, {
      status: 'pending',
      errorCode: 'outcome_unknown',
      errorMessage:
        `the worker stopped while posting the first comment; ${held.platform} confirms it was not posted`,
      nextAttemptAt: deps.now(),
      deferred: true,
    }, log);
    return ok ? 'send' : 'done';
  }
  if (
    found.retryable &&
    deps.now().getTime() - sentAfter.getTime() < recheckWindowMs(deps.settings.publishTimeoutMs)
  ) {
    return await control.defer(
      new Date(deps.now().getTime() + abandonAfterMs(deps.settings.publishTimeoutMs) + 1000),
    );
  }
  await settleComment(deps, held, {
    status: 'unconfirmed',
    errorCode: 'outcome_unknown',
    errorMessage:
      `the worker stopped while posting the first comment; it may be live, but this could not be ` +
      `confirmed (${found.reason}), so it was not posted again: check the post on ${held.platform}.`,
  }, log);
  return 'done';
}

/** Publisher.reconcileComment, never throwing: failures become `unknown`. */
async function askAboutComment(
  deps: PublishJobDeps,
  post: Post,
  held: PostTarget,
  text: string,
  sentAfter: Date,
): Promise<ReconcileResult & { retryable?: boolean }> {
  const publisher = deps.publishers[held.platform];
  const anchor = commentAnchor(held);
  if (!publisher?.reconcileComment || !anchor || !held.accountId) {
    return { status: 'unknown', reason: `${held.platform} offers no way to look up an earlier comment` };
  }
  const signal = AbortSignal.timeout(deps.settings.publishTimeoutMs);
  try {
    const account = await deps.store.getAccount(held.accountId);
    if (!account) return { status: 'unknown', reason: 'the account was disconnected' };
    const tokens = await deps.tokens.tokensFor(account, signal);
    return await publisher.reconcileComment({
      postId: post.id,
      targetId: held.id,
      on: anchor,
      text,
      account: { id: account.id, externalId: account.externalId, tokens },
      attempt: held.comment!.attempts,
      signal,
      sentAfter,
      // Comments are looked up on this target's own post: no other target's comment can be there.
      takenExternalIds: [],
    });
  } catch (err) {
    return {
      status: 'unknown',
      reason: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
      retryable: mayAnswerLater(err) || !isPublishError(err),
    };
  }
}

function asSettled(published: Published): { externalId: string; externalUrl: string | null } {
  return { externalId: published.externalId, externalUrl: published.url };
}

/** settleComment under the held comment claim; false when another holder settled it first. */
async function settleComment(
  deps: PublishJobDeps,
  held: PostTarget,
  settlement: CommentSettlement,
  log: Logger,
): Promise<boolean> {
  try {
    await deps.store.settleComment(held.id, held.comment!.claimToken!, settlement);
    return true;
  } catch (err) {
    if (!hasErrorCode(err, 'claim_lost')) throw err;
    log.warn('first comment claim was lost before it was settled; its new holder records it');
    return false;
  }
}
