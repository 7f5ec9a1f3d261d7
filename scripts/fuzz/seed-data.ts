/**
 * Data for the creators before the fuzz starts, so that path ids can be real: connected accounts
 * (stored encrypted through the API's own PostStore, as an OAuth connect would — alice has one per
 * platform, bob two X accounts and LinkedIn, carol Instagram, LinkedIn and an X account that needs
 * reconnecting), posts and webhook endpoints created through the API, a failed and a published post
 * each (set in the tables, since no worker runs), and notifications, which only the status pipeline
 * writes. `topUp` reconnects accounts when the fuzz has disconnected too many, and fails a post
 * when retries have left none failed.
 */
import type { Sql } from 'postgres';
import type { Platform } from '../../src/domain/platform.ts';
import type { PostStore } from '../../src/store/post-store.ts';
import type { FuzzUser } from './fuzz-users.ts';

interface Wanted {
  platform: Platform;
  status?: 'needs_reconnect';
}

const ACCOUNTS: Readonly<Record<string, readonly Wanted[]>> = {
  alice: [{ platform: 'x' }, { platform: 'instagram' }, { platform: 'linkedin' }],
  bob: [{ platform: 'x' }, { platform: 'x' }, { platform: 'linkedin' }],
  carol: [{ platform: 'instagram' }, { platform: 'linkedin' }, { platform: 'x', status: 'needs_reconnect' }],
};
const POSTS_EACH = 4;
const ENDPOINTS_EACH = 2;
const NOTIFICATIONS_EACH = 3;

export async function seedData(options: {
  apiUrl: string;
  sql: Sql;
  store: PostStore;
  users: readonly FuzzUser[];
}): Promise<void> {
  const { apiUrl, sql, store, users } = options;
  for (const user of users) {
    const accounts = [];
    for (const wanted of ACCOUNTS[user.name] ?? ACCOUNTS.alice!) {
      accounts.push(await connect(store, user, wanted));
    }
    const active = accounts.filter((a) => a.status === 'active');
    const postIds: string[] = [];
    for (let i = 0; i < POSTS_EACH; i++) {
      const targets = active.slice(0, 1 + (i % active.length)).map((a) => ({ accountId: a.id }));
      const post = await call(apiUrl, user, 'POST', '/posts', {
        text: `Seeded post ${i} of ${user.name}`,
        scheduledAt: new Date(Date.now() + (i + 1) * 86_400_000).toISOString(),
        targets,
        media: [{ url: `https://cdn.example.com/seed/${user.name}-${i}.jpg` }],
      });
      postIds.push(post.id as string);
    }
    for (let i = 0; i < ENDPOINTS_EACH; i++) {
      await call(apiUrl, user, 'POST', '/notification-endpoints', {
        url: `https://hooks.example.com/${user.name}/${i}`,
        description: `seeded endpoint ${i}`,
      });
    }
    await settle(sql, postIds[0]!, 'failed');
    await settle(sql, postIds[1]!, 'published');
    for (let i = 0; i < NOTIFICATIONS_EACH; i++) {
      await sql`
        insert into public.notifications (user_id, post_id, kind, title, body, event_key, read_at)
        values (${user.id}, ${postIds[0]!}, 'post.failed', ${`Post ${i} failed`},
                ${'X refused the post: the text is a duplicate.'}, ${`fuzz:${user.id}:${i}`},
                ${i === 0 ? new Date() : null})`;
    }
  }
}

export interface TopUp {
  accountsAdded: boolean;
  /** Posts just set to failed (retry has one to act on again). */
  failedPosts: string[];
}

/**
 * Accounts again for a user the fuzz has left with fewer than two active ones, and a failed post
 * when retries have used them all up.
 */
export async function topUp(sql: Sql, store: PostStore, user: FuzzUser): Promise<TopUp> {
  const result: TopUp = { accountsAdded: false, failedPosts: [] };
  const active = (await store.listAccounts(user.id)).filter((a) => a.status === 'active');
  if (active.length < 2) {
    for (const wanted of (ACCOUNTS[user.name] ?? ACCOUNTS.alice!).filter((w) => !w.status)) {
      await connect(store, user, wanted);
    }
    result.accountsAdded = true;
  }
  const [failed] = await sql<{ id: string }[]>`
    select id from public.posts where user_id = ${user.id} and status in ('failed', 'partially_published') limit 1`;
  if (!failed) {
    const [scheduled] = await sql<{ id: string }[]>`
      select id from public.posts where user_id = ${user.id} and status = 'scheduled' order by created_at limit 1`;
    if (scheduled) {
      await settle(sql, scheduled.id, 'failed');
      result.failedPosts.push(scheduled.id);
    }
  }
  return result;
}

async function connect(store: PostStore, user: FuzzUser, wanted: Wanted) {
  const account = await store.createAccount({
    userId: user.id,
    platform: wanted.platform,
    externalId: `${wanted.platform}-${crypto.randomUUID().slice(0, 8)}`,
    displayName: `${user.name} on ${wanted.platform}`,
    scopes: ['write'],
    tokens: { accessToken: `access-${crypto.randomUUID()}`, refreshToken: null, expiresAt: null },
  });
  if (wanted.status) await store.setAccountStatus(account.id, wanted.status);
  return { ...account, status: wanted.status ?? account.status };
}

/** A post as a worker would leave it: every target failed, or published. */
async function settle(sql: Sql, postId: string, outcome: 'failed' | 'published'): Promise<void> {
  await sql.begin(async (tx) => {
    if (outcome === 'failed') {
      await tx`
        update public.post_targets
        set status = 'failed', attempts = 5, error_code = 'platform_unavailable',
            error_message = 'the platform answered 503 five times'
        where post_id = ${postId}`;
      await tx`
        update public.posts set status = 'failed', error_code = 'platform_unavailable',
          error_message = 'every target failed'
        where id = ${postId}`;
    } else {
      await tx`
        update public.post_targets
        set status = 'published', attempts = 1, external_id = 'fuzz-' || id::text,
            external_url = 'https://example.com/p/' || id::text, published_at = now()
        where post_id = ${postId}`;
      await tx`update public.posts set status = 'published', published_at = now() where id = ${postId}`;
    }
  });
}

async function call(apiUrl: string, user: FuzzUser, method: string, path: string, body: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) {
    throw new Error(
      `seeding: ${method} ${path} as ${user.name} answered ${response.status}: ${text.slice(0, 300)}`,
    );
  }
  return JSON.parse(text) as Record<string, unknown>;
}
