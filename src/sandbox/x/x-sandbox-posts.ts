/**
 * `POST /2/tweets`, `DELETE /2/tweets/:id` and `GET /2/users/me` in the X sandbox (reading posts
 * back is x-sandbox-lookup.ts). The create body
 * is checked against CreatePostsRequest (additionalProperties:false, the §1.4 limits and exclusions),
 * the weighted length with twitter-text, media ids (numeric, owned, unexpired, processed, 1–4 photos or
 * one GIF/video), duplicates (same normalised text by the same user within `x.duplicateWindowMs`) and
 * the 15-minute and 24-hour limits, whose headers go out on every answer. A reply
 * (`reply.in_reply_to_tweet_id`) must answer a post that exists (deleted posts are gone): else X's 403;
 * it joins that post's conversation, and the duplicate rule applies to it like any post. The create answer serves the
 * text as X does (t.co links, plus one for the media); the recorded post keeps the text as sent, which
 * is what the sandbox page shows and what tests compare with.
 */
import type { Context, Hono } from 'hono';
import twitterText from 'twitter-text';
import type { XSandboxPost, XSandboxState, XSandboxUser } from './x-sandbox-state.ts';
import { serveXText, xMediaOf } from './x-sandbox-text.ts';
import {
  authenticate,
  forbidden,
  invalidRequest,
  nextXId,
  problem,
  rateLimit,
  tooManyRequests,
  withHeaders,
  X_QUOTAS,
  xSetting,
} from './x-sandbox-state.ts';

const NUMERIC_ID = /^[0-9]{1,19}$/;
const TOP_LEVEL = [
  'text',
  'media',
  'poll',
  'reply',
  'quote_tweet_id',
  'reply_settings',
  'card_uri',
  'community_id',
  'direct_message_deep_link',
  'for_super_followers_only',
  'geo',
  'nullcast',
  'made_with_ai',
  'paid_partnership',
  'share_with_followers',
  'edit_options',
];
const NESTED: Record<string, string[]> = {
  media: ['media_ids', 'tagged_user_ids'],
  poll: ['options', 'duration_minutes', 'reply_settings'],
  reply: ['in_reply_to_tweet_id', 'exclude_reply_user_ids', 'auto_populate_reply_metadata'],
  geo: ['place_id'],
  edit_options: ['previous_post_id'],
};
const BOOLEAN_FIELDS = [
  'for_super_followers_only',
  'nullcast',
  'made_with_ai',
  'paid_partnership',
  'share_with_followers',
];
const REPLY_SETTINGS = ['following', 'mentionedUsers', 'subscribers', 'verified'];

export const DUPLICATE_DETAIL = 'You are not allowed to create a Tweet with duplicate content.';
export const TOO_LONG_MESSAGE =
  'Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.';
export const INVALID_MEDIA_MESSAGE = 'Your media IDs are invalid.';
/** X's 403 `detail` for a reply to a post that is deleted or hidden from the replier [I]. */
export const REPLY_TARGET_MISSING_DETAIL =
  'You attempted to reply to a Tweet that is deleted or not visible to you.';

export function registerXPostRoutes(app: Hono, state: XSandboxState): void {
  const { knobs } = state;

  app.post('/2/tweets', async (c) => {
    const auth = authenticate(state, c, ['tweet.write']);
    if (!auth.ok) return auth.response;
    const user = auth.user;
    const limits = tweetLimits(state, user);
    if (limits.exceeded) return withHeaders(tooManyRequests(), limits.headers);
    const reply = (res: Response) => withHeaders(res, limits.headers);

    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return reply(invalidRequest(['Content-Type must be application/json']));
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return reply(invalidRequest(['Request body is not valid JSON']));
    }
    const problems = checkCreateBody(body);
    if (problems.length > 0) return reply(invalidRequest(problems));
    const fields = body as {
      text?: string;
      media?: { media_ids: string[] };
      reply?: { in_reply_to_tweet_id: string };
    };
    const text = (fields.text ?? '').normalize('NFC');
    if (text !== '') {
      const parsed = twitterText.parseTweet(text);
      if (
        parsed.weightedLength > xSetting(state, 'maxWeightedLength') || twitterText.hasInvalidCharacters(text)
      ) {
        return reply(invalidRequest([TOO_LONG_MESSAGE]));
      }
      if (twitterText.extractCashtags(text).length > 1) {
        // Self-serve plans allow one cashtag; the real rejection body is undocumented [U].
        return reply(problem(403, 'Forbidden', 'A post may contain at most 1 cashtag.'));
      }
    }
    const mediaIds = fields.media?.media_ids ?? [];
    if (!mediaUsable(state, user, mediaIds)) return reply(invalidRequest([INVALID_MEDIA_MESSAGE]));

    // Deleted posts leave state.posts, so a reply to one finds nothing, as a reply to a made-up id does.
    const replyToId = fields.reply?.in_reply_to_tweet_id ?? null;
    const parent = replyToId === null ? null : state.posts.find((p) => p.id === replyToId) ?? null;
    const now = knobs.now();
    const lagMs = xSetting(state, 'replyVisibilityLagMs');
    const parentHidden = parent !== null && now.getTime() - parent.createdAt.getTime() < lagMs;
    if (replyToId !== null && (parent === null || parentHidden)) {
      return reply(problem(403, 'Forbidden', REPLY_TARGET_MISSING_DETAIL));
    }

    // On the text as sent: served t.co links differ per post. A media-only post is never a duplicate.
    const normalized = text.replace(/\s+/g, ' ').trim();
    const windowStart = now.getTime() - xSetting(state, 'duplicateWindowMs');
    const duplicate = normalized !== '' &&
      state.posts.some((p) =>
        p.authorId === user.id && p.normalized === normalized && p.createdAt.getTime() >= windowStart
      );
    if (duplicate) return reply(problem(403, 'Forbidden', DUPLICATE_DETAIL));

    const id = nextXId(state, 'post', now);
    const media = mediaIds.map((m) => xMediaOf(m, state.media.get(m)!.category));
    const served = serveXText(id, user.username, replyPrefix(state, user, parent) + text, media);
    state.posts.push({
      id,
      authorId: user.id,
      text,
      normalized,
      mediaIds,
      media,
      served,
      createdAt: now,
      inReplyToId: parent?.id ?? null,
      inReplyToUserId: parent?.authorId ?? null,
      conversationId: parent?.conversationId ?? id,
    });
    knobs.recordPublished({
      platform: 'x',
      id,
      subject: user.id,
      text,
      media: mediaIds,
      received: body,
      url: `https://x.com/${user.username}/status/${id}`,
    });
    return reply(c.json({ data: { id, text: served.text, edit_history_tweet_ids: [id] } }, 201));
  });

  app.get('/2/users/me', (c) => {
    const auth = authenticate(state, c, ['users.read']);
    if (!auth.ok) return auth.response;
    const limit = rateLimit(state, X_QUOTAS.users, auth.user.id);
    if (limit.exceeded) return withHeaders(tooManyRequests(), limit.headers);
    const { id, name, username } = auth.user;
    return withHeaders(c.json({ data: { id, name, username } }), limit.headers);
  });

  // Only the owner can delete; kept for demos that clean up.
  app.delete('/2/tweets/:id', (c: Context) => {
    const auth = authenticate(state, c, ['tweet.write']);
    if (!auth.ok) return auth.response;
    const index = state.posts.findIndex((p) => p.id === c.req.param('id'));
    if (index < 0) return c.json({ data: { deleted: false } });
    if (state.posts[index]!.authorId !== auth.user.id) return forbidden();
    state.posts.splice(index, 1);
    return c.json({ data: { deleted: true } });
  });
}

/**
 * X shows a reply to someone else's post with that author's @handle in front (auto-populated, counting
 * 0 toward the limit; docs/platform-apis.md §1.8). A reply to one's own post (a thread) gets none.
 */
function replyPrefix(state: XSandboxState, user: XSandboxUser, parent: XSandboxPost | null): string {
  if (parent === null || parent.authorId === user.id) return '';
  const author = state.users.get(parent.authorId);
  return author ? `@${author.username} ` : '';
}

/** The 15-minute user window plus the 24-hour user and app windows of POST /2/tweets. */
function tweetLimits(state: XSandboxState, user: XSandboxUser) {
  const window = rateLimit(state, X_QUOTAS.tweets15m, user.id);
  const { knobs } = state;
  const headers = window.headers;
  let exceeded = window.exceeded;
  for (
    const [prefix, quota, key] of [
      ['x-user-limit-24hour', X_QUOTAS.tweetsUser24h, user.id],
      ['x-app-limit-24hour', X_QUOTAS.tweetsApp24h, 'app'],
    ] as const
  ) {
    const check = exceeded
      ? knobs.peekQuota(quota.name, key, quota)
      : knobs.consumeQuota(quota.name, key, quota);
    exceeded ||= check.exceeded;
    headers.set(`${prefix}-limit`, String(check.limit));
    headers.set(`${prefix}-remaining`, String(check.remaining));
    headers.set(`${prefix}-reset`, String(Math.floor(check.resetAt.getTime() / 1000)));
  }
  return { headers, exceeded };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Schema problems of a CreatePostsRequest, in X's `$.path: …` style. */
export function checkCreateBody(body: unknown): string[] {
  if (!isObject(body)) return ['$: object expected'];
  const problems: string[] = [];
  const extra = (path: string) =>
    problems.push(
      `${path}: is not defined in the schema and the schema does not allow additional properties`,
    );
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.includes(key)) extra(`$.${key}`);
    const nested = NESTED[key];
    if (nested) {
      const value = body[key];
      if (!isObject(value)) problems.push(`$.${key}: object expected`);
      else for (const inner of Object.keys(value)) if (!nested.includes(inner)) extra(`$.${key}.${inner}`);
    }
  }
  if (body.text !== undefined && typeof body.text !== 'string') problems.push('$.text: string expected');
  if (isObject(body.media)) {
    const ids = body.media.media_ids;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 4) {
      problems.push('$.media.media_ids: must be an array of 1 to 4 items');
    } else if (!ids.every((id) => typeof id === 'string' && NUMERIC_ID.test(id))) {
      problems.push('$.media.media_ids: items must match ^[0-9]{1,19}$');
    }
    const tagged = body.media.tagged_user_ids;
    if (tagged !== undefined && (!Array.isArray(tagged) || tagged.length > 10)) {
      problems.push('$.media.tagged_user_ids: must be an array of at most 10 items');
    }
  }
  if (isObject(body.poll)) {
    const options = body.poll.options;
    if (
      !Array.isArray(options) || options.length < 2 || options.length > 4 ||
      !options.every((o) => typeof o === 'string' && o.length >= 1 && o.length <= 25)
    ) problems.push('$.poll.options: must be 2 to 4 strings of 1 to 25 characters');
    const minutes = body.poll.duration_minutes;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 5 || minutes > 10080) {
      problems.push('$.poll.duration_minutes: must be an integer from 5 to 10080');
    }
  }
  if (isObject(body.reply)) {
    const id = body.reply.in_reply_to_tweet_id;
    if (typeof id !== 'string' || !NUMERIC_ID.test(id)) {
      problems.push('$.reply.in_reply_to_tweet_id: must match ^[0-9]{1,19}$');
    }
  }
  if (
    body.quote_tweet_id !== undefined &&
    (typeof body.quote_tweet_id !== 'string' || !NUMERIC_ID.test(body.quote_tweet_id))
  ) {
    problems.push('$.quote_tweet_id: must match ^[0-9]{1,19}$');
  }
  if (body.reply_settings !== undefined && !REPLY_SETTINGS.includes(body.reply_settings as string)) {
    problems.push(
      `$.reply_settings: does not have a value in the enumeration ${JSON.stringify(REPLY_SETTINGS)}`,
    );
  }
  for (const key of BOOLEAN_FIELDS) {
    if (body[key] !== undefined && typeof body[key] !== 'boolean') {
      problems.push(`$.${key}: boolean expected`);
    }
  }
  if (body.text === undefined && body.media === undefined) {
    problems.push('$.text: is missing but it is required when no media is attached');
  }
  const exclusive: [string, string][] = [
    ['media', 'poll'],
    ['media', 'quote_tweet_id'],
    ['media', 'card_uri'],
    ['poll', 'quote_tweet_id'],
    ['poll', 'card_uri'],
  ];
  for (const [a, b] of exclusive) {
    if (body[a] !== undefined && body[b] !== undefined) {
      problems.push(`$.${a} and $.${b} are mutually exclusive`);
    }
  }
  return problems;
}

function mediaUsable(state: XSandboxState, user: XSandboxUser, ids: string[]): boolean {
  const now = state.knobs.now().getTime();
  const items = ids.map((id) => state.media.get(id));
  if (
    !items.every((m) => m && m.ownerId === user.id && m.state === 'succeeded' && m.expiresAt.getTime() > now)
  ) {
    return false;
  }
  const single = items.filter((m) => m!.category === 'tweet_gif' || m!.category === 'tweet_video');
  return single.length === 0 || items.length === 1;
}
