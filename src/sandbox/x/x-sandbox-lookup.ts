/**
 * Reading posts back in the X sandbox: `GET /2/tweets/:id` and `GET /2/users/:id/tweets`. Both serve
 * the text as X does (t.co links, plus one for the media; see x-sandbox-text.ts) and honour
 * `tweet.fields` (`created_at`, `author_id`, `attachments`, `entities`, and for replies
 * `referenced_tweets`, `conversation_id`, `in_reply_to_user_id`) and `expansions`
 * (`attachments.media_keys` → `includes.media[{media_key,type}]`, `author_id` and
 * `in_reply_to_user_id` → `includes.users`, `referenced_tweets.id` → `includes.tweets`). Only the
 * fields asked for are served. The timeline holds replies unless `exclude=replies`.
 * Unknown parameters and field names are refused as X refuses them; an unknown post id gets X's
 * 200-with-`errors` resource-not-found answer.
 */
import type { Hono } from 'hono';
import type { XSandboxPost, XSandboxState } from './x-sandbox-state.ts';
import {
  authenticate,
  invalidRequest,
  rateLimit,
  tooManyRequests,
  withHeaders,
  X_QUOTAS,
} from './x-sandbox-state.ts';

const NUMERIC_ID = /^[0-9]{1,19}$/;
const FIELD_PARAMS = [
  'expansions',
  'tweet.fields',
  'media.fields',
  'poll.fields',
  'place.fields',
  'user.fields',
];
const USER_TWEETS_PARAMS = [
  'max_results',
  'start_time',
  'end_time',
  'since_id',
  'until_id',
  'pagination_token',
  'exclude',
  ...FIELD_PARAMS,
];
const TWEET_FIELDS = [
  'article',
  'attachments',
  'author_id',
  'card_uri',
  'community_id',
  'context_annotations',
  'conversation_id',
  'created_at',
  'display_text_range',
  'edit_controls',
  'edit_history_tweet_ids',
  'entities',
  'geo',
  'id',
  'in_reply_to_user_id',
  'lang',
  'media_metadata',
  'non_public_metrics',
  'note_tweet',
  'organic_metrics',
  'possibly_sensitive',
  'promoted_metrics',
  'public_metrics',
  'referenced_tweets',
  'reply_settings',
  'scopes',
  'source',
  'text',
  'withheld',
];
const EXPANSIONS = [
  'article.cover_media',
  'article.media_entities',
  'attachments.media_keys',
  'attachments.media_source_tweet',
  'attachments.poll_ids',
  'author_id',
  'edit_history_tweet_ids',
  'entities.mentions.username',
  'geo.place_id',
  'in_reply_to_user_id',
  'entities.note.mentions.username',
  'referenced_tweets.id',
  'referenced_tweets.id.attachments.media_keys',
  'referenced_tweets.id.author_id',
];

export function registerXLookupRoutes(app: Hono, state: XSandboxState): void {
  app.get('/2/tweets/:id', (c) => {
    const auth = authenticate(state, c, ['tweet.read', 'users.read']);
    if (!auth.ok) return auth.response;
    const limit = rateLimit(state, X_QUOTAS.tweetLookup, auth.user.id);
    if (limit.exceeded) return withHeaders(tooManyRequests(), limit.headers);
    const reply = (res: Response) => withHeaders(res, limit.headers);
    const id = c.req.param('id');
    const query = c.req.query();
    const problems = [...unknownParams(query, FIELD_PARAMS), ...fieldProblems(query)];
    if (!NUMERIC_ID.test(id)) {
      problems.push(`The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$`);
    }
    if (problems.length > 0) return reply(invalidRequest(problems));
    const post = state.posts.find((p) => p.id === id);
    if (!post) {
      // X answers a missing post with 200 and an `errors` array, not a 404.
      return reply(c.json({
        errors: [{
          value: id,
          detail: `Could not find tweet with id: [${id}].`,
          title: 'Not Found Error',
          resource_type: 'tweet',
          parameter: 'id',
          resource_id: id,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        }],
      }));
    }
    const view = readView(query);
    return reply(c.json({ data: servePost(post, view), ...includesFor(state, [post], view) }));
  });

  app.get('/2/users/:id/tweets', (c) => {
    const auth = authenticate(state, c, ['tweet.read', 'users.read']);
    if (!auth.ok) return auth.response;
    const limit = rateLimit(state, X_QUOTAS.users, auth.user.id);
    if (limit.exceeded) return withHeaders(tooManyRequests(), limit.headers);
    const reply = (res: Response) => withHeaders(res, limit.headers);
    const query = c.req.query();
    const unknown = unknownParams(query, USER_TWEETS_PARAMS);
    if (unknown.length > 0) return reply(invalidRequest(unknown));
    const max = query.max_results === undefined ? 10 : Number(query.max_results);
    if (!Number.isInteger(max) || max < 5 || max > 100) {
      return reply(
        invalidRequest([
          'The `max_results` query parameter value [' + query.max_results + '] is not between 5 and 100',
        ]),
      );
    }
    const fields = fieldProblems(query);
    if (fields.length > 0) return reply(invalidRequest(fields));
    const exclude = list(query.exclude);
    const badExclude = exclude.filter((e) => e !== 'replies' && e !== 'retweets');
    if (badExclude.length > 0) {
      return reply(
        invalidRequest(
          badExclude.map((e) =>
            `The \`exclude\` query parameter value [${e}] is not one of [replies,retweets]`
          ),
        ),
      );
    }
    const withoutReplies = exclude.includes('replies');
    const start = query.start_time ? Date.parse(query.start_time) : Number.NEGATIVE_INFINITY;
    if (Number.isNaN(start)) return reply(invalidRequest(['Invalid start_time']));
    const end = query.end_time ? Date.parse(query.end_time) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(end)) return reply(invalidRequest(['Invalid end_time']));
    const posts = state.posts
      .filter((p) => {
        const at = p.createdAt.getTime();
        return p.authorId === c.req.param('id') && at >= start && at <= end &&
          !(withoutReplies && p.inReplyToId !== null);
      })
      .reverse()
      .slice(0, max);
    if (posts.length === 0) return reply(c.json({ meta: { result_count: 0 } }));
    const view = readView(query);
    return reply(c.json({
      data: posts.map((p) => servePost(p, view)),
      ...includesFor(state, posts, view),
      meta: { result_count: posts.length, newest_id: posts[0]!.id, oldest_id: posts[posts.length - 1]!.id },
    }));
  });
}

interface View {
  fields: Set<string>;
  expansions: Set<string>;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').filter((v) => v !== '');
}

function readView(query: Record<string, string>): View {
  return { fields: new Set(list(query['tweet.fields'])), expansions: new Set(list(query.expansions)) };
}

function unknownParams(query: Record<string, string>, allowed: readonly string[]): string[] {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  return unknown.length === 0
    ? []
    : [`The query parameters [${unknown.join(', ')}] is not one of [${allowed.join(',')}]`];
}

function fieldProblems(query: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [param, allowed] of [['tweet.fields', TWEET_FIELDS], ['expansions', EXPANSIONS]] as const) {
    for (const value of list(query[param])) {
      if (!allowed.includes(value)) {
        problems.push(
          `The \`${param}\` query parameter value [${value}] is not one of [${allowed.join(',')}]`,
        );
      }
    }
  }
  return problems;
}

function servePost(post: XSandboxPost, view: View): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: post.id,
    text: post.served.text,
    edit_history_tweet_ids: [post.id],
  };
  if (view.fields.has('created_at')) out.created_at = post.createdAt.toISOString();
  if (view.fields.has('author_id')) out.author_id = post.authorId;
  // X leaves out empty objects: no `attachments` without media, no `entities` without links.
  if (view.fields.has('attachments') && post.media.length > 0) {
    out.attachments = { media_keys: post.media.map((m) => m.media_key) };
  }
  if (view.fields.has('entities') && post.served.urls.length > 0) out.entities = { urls: post.served.urls };
  // Every post has a conversation (its own id when it starts one); only replies have the other two.
  if (view.fields.has('conversation_id')) out.conversation_id = post.conversationId;
  if (view.fields.has('in_reply_to_user_id') && post.inReplyToUserId !== null) {
    out.in_reply_to_user_id = post.inReplyToUserId;
  }
  if (view.fields.has('referenced_tweets') && post.inReplyToId !== null) {
    out.referenced_tweets = [{ type: 'replied_to', id: post.inReplyToId }];
  }
  return out;
}

function includesFor(state: XSandboxState, posts: XSandboxPost[], view: View): { includes?: object } {
  const includes: Record<string, unknown[]> = {};
  if (view.expansions.has('attachments.media_keys')) {
    const media = posts.flatMap((p) => p.media);
    if (media.length > 0) includes.media = media.map((m) => ({ media_key: m.media_key, type: m.type }));
  }
  const userIds = [
    ...(view.expansions.has('author_id') ? posts.map((p) => p.authorId) : []),
    ...(view.expansions.has('in_reply_to_user_id') ? posts.flatMap((p) => p.inReplyToUserId ?? []) : []),
  ];
  if (userIds.length > 0) {
    const ids = [...new Set(userIds)];
    includes.users = ids.flatMap((id) => {
      const user = state.users.get(id);
      return user ? [{ id: user.id, name: user.name, username: user.username }] : [];
    });
  }
  if (view.expansions.has('referenced_tweets.id')) {
    // A deleted post is left out, as X leaves it out (its id stays in referenced_tweets).
    const referenced = posts.flatMap((p) => state.posts.filter((q) => q.id === p.inReplyToId));
    if (referenced.length > 0) includes.tweets = referenced.map((q) => servePost(q, view));
  }
  return Object.keys(includes).length === 0 ? {} : { includes };
}
