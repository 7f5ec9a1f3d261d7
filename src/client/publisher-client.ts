/**
 * The typed client of the posts and accounts API for the SoloSpark app, on top of supabase-js: every call goes
 * through `supabase.functions.invoke`, which sends the signed-in user's JWT, to the `posts` and
 * `accounts` Edge Functions — or to the Node server / dev stack, which answers under the same
 * `/functions/v1/<function>/…` paths.
 *
 *   const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY);    // the app's usual client
 *   const publisher = createPublisherClient(supabase);
 *   const post = await publisher.schedule({ text, scheduledAt: '2026-12-01T09:30:00+01:00', platforms: ['x'] });
 *
 * Failures throw PublisherApiError with the problem's `code` (e.g. `schedule_in_past`).
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type {
  Account,
  AccountConnection,
  ConnectablePlatform,
  ConnectionReturn,
  ListPostsQuery,
  Post,
  PostPage,
  PostValidation,
  SchedulePostInput,
  UpdatePostInput,
} from './client-types.ts';
import { PublisherApiError, toPublisherApiError } from './publisher-api-error.ts';

/** What the client needs of a supabase-js client. */
export interface FunctionsHost {
  functions: Pick<SupabaseClient['functions'], 'invoke'>;
}

export interface PublisherClientOptions {
  /** Edge Function names. (Default: 'posts' and 'accounts') */
  functions?: { posts?: string; accounts?: string };
  /** Per-request timeout in ms, passed to invoke. (Default: none) */
  timeoutMs?: number;
}

export interface ScheduleOptions {
  /** Retries with the same key return the first response and create nothing new. */
  idempotencyKey?: string;
}

export interface UpdateOptions {
  /** Fails with `precondition_failed` (412) unless the post is still at this version. */
  ifVersion?: number;
}

export interface PublisherClient {
  /** Schedules a post (201). `queued: false` means the reconciler will enqueue it; it is stored. */
  schedule(input: SchedulePostInput, options?: ScheduleOptions): Promise<Post>;
  /**
   * Checks a body as `schedule` would, storing and enqueueing nothing: `valid`, the `code` schedule's
   * 422 would carry, every problem, and each target's text with its length and limit as the platform
   * counts them (X: a URL counts 23), its thread parts and first comment. A body the API would refuse
   * answers `valid: false` here rather than throwing.
   */
  validatePost(input: SchedulePostInput): Promise<PostValidation>;
  /** Changes text, media, targets or time; bumps `version`. `post_not_editable` once publishing began. */
  update(id: string, changes: UpdatePostInput, options?: UpdateOptions): Promise<Post>;
  /** Cancels a scheduled post; succeeds again for an already cancelled one. */
  cancel(id: string, options?: UpdateOptions): Promise<void>;
  /** The post with each target's status, external id/url, error and attempts. */
  get(id: string): Promise<Post>;
  /** A page of posts (newest scheduledAt first); pass `nextCursor` back as `cursor` for the next. */
  list(query?: ListPostsQuery): Promise<PostPage>;
  /** Re-queues the failed targets only (never the published ones). */
  retry(id: string): Promise<Post>;
  /** The caller's connected accounts (never tokens). */
  listAccounts(): Promise<Account[]>;
  /**
   * Starts connecting an account: send the browser to `authorizationUrl` (within 10 minutes). The
   * platform brings it back to the app's return page, `<OAUTH_APP_RETURN_URL>/<platform>`.
   */
  startConnection(platform: ConnectablePlatform): Promise<AccountConnection>;
  /**
   * Completes a connection on the app's return page, as the signed-in creator who started it: pass
   * the page's URL (or its search params, or `{ code, state }`). Fails with `oauth_state_invalid`
   * when the state is not this user's pending one (another user's, spent or expired), `oauth_denied`
   * when the creator declined, `oauth_exchange_failed` when the platform refused the code.
   */
  completeConnection(
    platform: ConnectablePlatform,
    returned: ConnectionReturn | URL | URLSearchParams,
  ): Promise<Account>;
}

/** The parameters of a platform's redirect the API needs; anything else on the URL stays behind. */
const RETURN_PARAMS = ['code', 'state', 'error', 'error_description'] as const;

function connectionReturnOf(returned: ConnectionReturn | URL | URLSearchParams): Partial<ConnectionReturn> {
  const params = returned instanceof URL
    ? returned.searchParams
    : returned instanceof URLSearchParams
    ? returned
    : null;
  if (!params) return returned as ConnectionReturn;
  const body: Partial<ConnectionReturn> = {};
  for (const name of RETURN_PARAMS) {
    const value = params.get(name);
    if (value !== null) body[name] = value;
  }
  return body;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export function createPublisherClient(
  supabase: FunctionsHost,
  options: PublisherClientOptions = {},
): PublisherClient {
  const postsFn = options.functions?.posts ?? 'posts';
  const accountsFn = options.functions?.accounts ?? 'accounts';

  async function call<T>(
    method: Method,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const { data, error } = await supabase.functions.invoke<T>(path, {
      method,
      ...(init.body !== undefined ? { body: init.body as Record<string, unknown> } : {}),
      ...(init.headers ? { headers: init.headers } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    if (error) throw await toPublisherApiError(error);
    return data as T;
  }

  async function callForPost(method: Method, path: string, init: Parameters<typeof call>[2] = {}) {
    const post = await call<Post>(method, path, init);
    if (typeof post !== 'object' || post === null || typeof post.id !== 'string') {
      throw new PublisherApiError('unexpected_response', `expected a post from ${method} ${path}`);
    }
    return post;
  }

  const postPath = (id: string, suffix = '') => `${postsFn}/${encodeURIComponent(id)}${suffix}`;
  const ifMatch = (o?: UpdateOptions) =>
    o?.ifVersion === undefined ? undefined : { 'If-Match': `"${o.ifVersion}"` };

  return {
    schedule(input, scheduleOptions) {
      const headers = scheduleOptions?.idempotencyKey
        ? { 'Idempotency-Key': scheduleOptions.idempotencyKey }
        : undefined;
      return callForPost('POST', postsFn, { body: input, ...(headers ? { headers } : {}) });
    },
    async validatePost(input) {
      const path = `${postsFn}/validate`;
      const verdict = await call<PostValidation>('POST', path, { body: input });
      if (typeof verdict !== 'object' || verdict === null || typeof verdict.valid !== 'boolean') {
        throw new PublisherApiError('unexpected_response', `expected a validation from POST ${path}`);
      }
      return verdict;
    },
    update(id, changes, updateOptions) {
      const headers = ifMatch(updateOptions);
      return callForPost('PATCH', postPath(id), { body: changes, ...(headers ? { headers } : {}) });
    },
    async cancel(id, cancelOptions) {
      const headers = ifMatch(cancelOptions);
      await call<unknown>('DELETE', postPath(id), headers ? { headers } : {});
    },
    get: (id) => callForPost('GET', postPath(id)),
    async list(query = {}) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined && value !== null) params.set(name, String(value));
      }
      const qs = params.toString();
      return await call<PostPage>('GET', qs ? `${postsFn}?${qs}` : postsFn);
    },
    retry: (id) => callForPost('POST', postPath(id, '/retry')),
    async listAccounts() {
      return (await call<{ items: Account[] }>('GET', accountsFn)).items;
    },
    startConnection: (platform) =>
      call<AccountConnection>('POST', `${accountsFn}/${encodeURIComponent(platform)}/connect`),
    async completeConnection(platform, returned) {
      const path = `${accountsFn}/${encodeURIComponent(platform)}/callback`;
      const account = await call<Account>('POST', path, { body: connectionReturnOf(returned) });
      if (typeof account !== 'object' || account === null || typeof account.id !== 'string') {
        throw new PublisherApiError('unexpected_response', `expected an account from POST ${path}`);
      }
      return account;
    },
  };
}
