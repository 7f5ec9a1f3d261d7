/**
 * An in-process Publisher with scripted outcomes, for worker tests. Each publish call takes the next
 * step of its script (or of the script for its target); once the script runs out, calls succeed.
 * The fake keeps what "went out" on its platform (`live`), so tests can count sends per target and
 * `reconcile` can answer truthfully, like LinkedIn's duplicate lookup or an Instagram container check.
 */
import type { AccountTokens } from '../../src/domain/post.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { PLATFORMS } from '../../src/domain/platform.ts';
import { PublishError } from '../../src/platforms/publish-error.ts';
import type { PublishErrorCode } from '../../src/platforms/publish-error.ts';
import type {
  CommentRequest,
  ContentViolation,
  Published,
  Publisher,
  PublishRequest,
  ReconcileRequest,
  ReconcileResult,
} from '../../src/platforms/publisher.ts';

export type FakeStep =
  /** Answers after `afterMs` (default 0) with a new external id. */
  | { do: 'succeed'; afterMs?: number }
  /** Throws PublishError(code) after `afterMs`; nothing goes out. */
  | {
    do: 'fail';
    code: PublishErrorCode;
    afterMs?: number;
    retryAt?: Date;
    message?: string;
    platformStatus?: number;
  }
  /** Never answers; when the request's signal aborts, throws the abort reason (as fetch does). Nothing goes out. */
  | { do: 'hang' }
  /** The post goes live, then the answer is lost: throws PublishError('outcome_unknown'). */
  | { do: 'send-then-lose-answer'; afterMs?: number }
  /** The post goes live, then the call hangs until aborted (a worker killed or timed out after sending). */
  | { do: 'send-then-hang' };

export interface PublishCall {
  postId: string;
  targetId: string;
  accountId: string;
  attempt: number;
  /** Date.now() when the call began. */
  at: number;
  accessToken: string;
  textLength: number;
  /** What was sent (a target's own text, or a thread's part). */
  text: string;
}

export interface FakePublisherOptions {
  platform: Platform;
  /** Steps for every call in order, or a function choosing a step per call. */
  script?: FakeStep[] | ((call: PublishCall, callIndex: number) => FakeStep | undefined);
  /**
   * `true` (default): reconcile looks at what went live. `false`: the adapter has no reconcile.
   * `'unknown'`: reconcile exists but cannot tell.
   */
  reconcile?: boolean | 'unknown';
  /**
   * The first this-many reconcile calls per target answer `not_published` even when the post is live
   * (a platform whose look-up lags behind its writes, as X's timeline can). (Default: 0)
   */
  reconcileLag?: number;
  /** The first this-many reconcile calls per target answer that the platform cannot be asked now. (Default: 0) */
  reconcileDown?: number;
  /** Violations `validate` reports (default none). */
  violations?: ContentViolation[];
}

export interface FakePublisher extends Publisher {
  readonly calls: PublishCall[];
  readonly reconcileCalls: {
    targetId: string;
    at: number;
    sentAfter: Date;
    takenExternalIds: readonly string[];
  }[];
  /** External posts that went out, per target id. */
  readonly live: Map<string, Published[]>;
  /** First comments posted, in order. */
  readonly commentCalls: { targetId: string; on: string; text: string; at: number }[];
  /** How many times the target went out on this platform. */
  sentCount(targetId: string): number;
  /** Resolves once `count` publish calls were made (rejects after `timeoutMs`). */
  waitForCalls(count: number, timeoutMs?: number): Promise<void>;
}

export function createFakePublisher(options: FakePublisherOptions): FakePublisher {
  const { platform } = options;
  const calls: PublishCall[] = [];
  const reconcileCalls: FakePublisher['reconcileCalls'] = [];
  const commentCalls: FakePublisher['commentCalls'] = [];
  const live = new Map<string, Published[]>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let seq = 0;

  function stepFor(call: PublishCall, index: number): FakeStep {
    const script = options.script;
    if (typeof script === 'function') return script(call, index) ?? { do: 'succeed' };
    return script?.[index] ?? { do: 'succeed' };
  }

  function goLive(targetId: string): Published {
    const externalId = `${platform}-${++seq}`;
    const published = { externalId, url: `https://${platform}.example.test/p/${externalId}` };
    live.set(targetId, [...(live.get(targetId) ?? []), published]);
    return published;
  }

  const publisher: FakePublisher = {
    platform,
    maxTextLength: 3000,
    calls,
    reconcileCalls,
    live,
    textLength: (text) => [...text].length,
    validate: () => options.violations ?? [],
    validateComment: () => [],
    commentCalls,
    comment(request: CommentRequest): Promise<Published> {
      commentCalls.push({ targetId: request.targetId, on: request.on, text: request.text, at: Date.now() });
      const externalId = `${platform}-comment-${++seq}`;
      return Promise.resolve({ externalId, url: `https://${platform}.example.test/c/${externalId}` });
    },
    async publish(request: PublishRequest): Promise<Published> {
      const call: PublishCall = {
        postId: request.postId,
        targetId: request.targetId,
        accountId: request.account.id,
        attempt: request.attempt,
        at: Date.now(),
        accessToken: request.account.tokens.accessToken,
        textLength: request.content.text.length,
        text: request.content.text,
      };
      const index = calls.push(call) - 1;
      for (const w of waiters.filter((w) => calls.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const step = stepFor(call, index);
      switch (step.do) {
        case 'succeed':
          await pause(step.afterMs ?? 0, request.signal);
          return goLive(request.targetId);
        case 'fail':
          await pause(step.afterMs ?? 0, request.signal);
          throw new PublishError(step.code, step.message ?? `fake ${platform} says ${step.code}`, {
            platform,
            retryAt: step.retryAt ?? null,
            platformStatus: step.platformStatus ?? null,
          });
        case 'hang':
          return await hang(request.signal);
        case 'send-then-lose-answer':
          goLive(request.targetId);
          await pause(step.afterMs ?? 0, request.signal);
          throw new PublishError(
            'outcome_unknown',
            `fake ${platform}: the connection dropped after sending`,
            {
              platform,
            },
          );
        case 'send-then-hang':
          goLive(request.targetId);
          return await hang(request.signal);
      }
    },
    needsRefresh: () => false,
    refresh(_account, _signal): Promise<AccountTokens> {
      return Promise.reject(new PublishError('auth_expired', 'the fake cannot refresh tokens', { platform }));
    },
    authorizationUrl: (start) => `https://${platform}.example.test/oauth?state=${start.state}`,
    exchangeCode() {
      return Promise.reject(new PublishError('auth_expired', 'the fake cannot exchange codes', { platform }));
    },
    sentCount: (targetId) => live.get(targetId)?.length ?? 0,
    waitForCalls(count, timeoutMs = 10_000) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = { count, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `expected ${count} ${platform} publish calls within ${timeoutMs} ms, got ${calls.length}`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
  if (options.reconcile !== false) {
    publisher.reconcile = (request: ReconcileRequest): Promise<ReconcileResult> => {
      reconcileCalls.push({
        targetId: request.targetId,
        at: Date.now(),
        sentAfter: request.sentAfter,
        takenExternalIds: request.takenExternalIds,
      });
      if (options.reconcile === 'unknown') {
        return Promise.resolve({ status: 'unknown', reason: `fake ${platform} cannot tell` });
      }
      const asked = reconcileCalls.filter((c) => c.targetId === request.targetId).length;
      if (asked <= (options.reconcileDown ?? 0)) {
        return Promise.resolve({
          status: 'unknown',
          reason: `fake ${platform} answers 503`,
          retryable: true,
        });
      }
      if (asked <= (options.reconcileLag ?? 0)) return Promise.resolve({ status: 'not_published' });
      const found = live.get(request.targetId)?.[0];
      return Promise.resolve(found ? { status: 'published', published: found } : { status: 'not_published' });
    };
  }
  return publisher;
}

export type FakeRegistry = Readonly<Record<Platform, FakePublisher>>;

/** One fake per platform; `overrides` sets options per platform. */
export function createFakeRegistry(
  overrides: Partial<Record<Platform, Omit<FakePublisherOptions, 'platform'>>> = {},
): FakeRegistry {
  return Object.fromEntries(
    PLATFORMS.map((platform) => [platform, createFakePublisher({ platform, ...overrides[platform] })]),
  ) as Record<Platform, FakePublisher>;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
