/**
 * Plays the load plan against the API in real time: each post is created at its create time
 * (scheduled for its due time), then edited or cancelled at the planned moments. Requests run
 * concurrently, at most MAX_IN_FLIGHT at once. What the API answered is kept per post, because the
 * oracle holds the system to it: an accepted edit must win, an accepted cancel must win.
 */
import type { ApiClient } from './api-client.ts';
import type { Creator } from './creators.ts';
import type { PlannedPost } from './load-plan.ts';
import { textFor } from './load-plan.ts';
import { createRandom } from './seeded-random.ts';
import { sleep } from './waiting.ts';

const MAX_IN_FLIGHT = 48;

export interface ActionRecord {
  kind: 'edit' | 'cancel';
  racing: boolean;
  /** For an edit: the tag's edit number it set. */
  edit: number | null;
  /** Milliseconds before the due time it was sent (negative: after). */
  sentBeforeDueMs: number;
  status: number;
  code: string | null;
}

export interface PostRecord {
  plan: PlannedPost;
  dueAt: Date;
  postId: string | null;
  createStatus: number | null;
  createCode: string | null;
  /** What the API said about the enqueue (false: the reconciler must enqueue it). */
  queued: boolean | null;
  /** texts[k] is the text of edit k (0: the original). */
  texts: string[];
  actions: ActionRecord[];
}

export interface LoadRun {
  records: readonly PostRecord[];
  /** Resolves once every planned request was answered (or gave up). */
  done: Promise<void>;
}

export function startLoad(options: {
  plan: readonly PlannedPost[];
  creators: readonly Creator[];
  api: ApiClient;
  /** Epoch ms of offset 0. */
  startAt: number;
  runId: string;
  seed: number;
  mediaUrl: (n: number) => string;
}): LoadRun {
  const { api, startAt } = options;
  const records: PostRecord[] = options.plan.map((plan) => ({
    plan,
    dueAt: new Date(startAt + plan.dueAtMs),
    postId: null,
    createStatus: null,
    createCode: null,
    queued: null,
    texts: [textFor(options.runId, plan.n, 0, createRandom(options.seed, `text-${plan.n}-0`))],
    actions: [],
  }));
  const creates = new Map<number, Promise<void>>();

  let inFlight = 0;
  const waiting: (() => void)[] = [];
  async function limited<T>(fn: () => Promise<T>): Promise<T> {
    if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
    else inFlight++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else inFlight--;
    }
  }

  async function create(record: PostRecord): Promise<void> {
    const { plan } = record;
    const creator = options.creators[plan.creator]!;
    const answer = await limited(() =>
      api.createPost(creator.token, {
        text: record.texts[0]!,
        scheduledAt: record.dueAt.toISOString(),
        accountIds: plan.accountIds,
        media: plan.media ? [options.mediaUrl(plan.n)] : [],
      }, `chaos-${options.runId}-${plan.n}`)
    );
    record.createStatus = answer.status;
    record.createCode = answer.code;
    record.postId = answer.post?.id ?? null;
    record.queued = answer.post?.queued ?? null;
  }

  async function act(record: PostRecord, action: PlannedPost['actions'][number]): Promise<void> {
    await creates.get(record.plan.n);
    if (!record.postId) return; // never created: nothing to change
    const creator = options.creators[record.plan.creator]!;
    const sentBeforeDueMs = record.dueAt.getTime() - Date.now();
    if (action.kind === 'edit') {
      const edit = record.texts.length;
      const text = textFor(
        options.runId,
        record.plan.n,
        edit,
        createRandom(options.seed, `text-${record.plan.n}-${edit}`),
      );
      record.texts.push(text);
      const answer = await limited(() => api.editText(creator.token, record.postId!, text));
      record.actions.push({
        kind: 'edit',
        racing: action.racing,
        edit,
        sentBeforeDueMs,
        status: answer.status,
        code: answer.code,
      });
    } else {
      const answer = await limited(() => api.cancel(creator.token, record.postId!));
      record.actions.push({
        kind: 'cancel',
        racing: action.racing,
        edit: null,
        sentBeforeDueMs,
        status: answer.status,
        code: answer.code,
      });
    }
  }

  const events = records.flatMap((record) => [
    { atMs: record.plan.createAtMs, run: () => create(record), record, isCreate: true },
    ...record.plan.actions.map((action) => ({
      atMs: action.atMs,
      run: () => act(record, action),
      record,
      isCreate: false,
    })),
  ]).sort((a, b) => a.atMs - b.atMs || Number(b.isCreate) - Number(a.isCreate));

  const done = (async () => {
    const pending: Promise<void>[] = [];
    for (const event of events) {
      const wait = startAt + event.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const running = event.run().catch(() => {}); // api-client turns every failure into an answer
      if (event.isCreate) creates.set(event.record.plan.n, running);
      pending.push(running);
    }
    await Promise.all(pending);
  })();
  return { records, done };
}
