/**
 * LinkedIn sandbox comments (docs/platform-apis.md §3.9, §4 LinkedIn):
 *
 *   POST /rest/socialActions/{post URN}/comments  {actor, object, message: {text}}
 *     → 201, the comment in the body and its URN (Rest.li-encoded) in `x-restli-id`
 *   GET  /rest/socialActions/{post URN}/comments?start&count
 *     → {paging: {start, count, total, links}, elements: [comment…]}, oldest first [U]
 *
 * Refused as LinkedIn refuses, in its envelopes: a bad token (401, linkedin-sandbox-state.ts), an actor
 * the token may not comment as (403 ACCESS_DENIED: w_member_social for the member itself,
 * w_organization_social and a page role for an organization), unknown fields or a malformed actor,
 * object or message (422), a text over 1250 characters (400 FIELD_ARRAY_SIZE_TOO_HIGH [U for the
 * body]), a post that does not exist (404), reading comments without r_member_social /
 * r_organization_social (403), and the daily per-member and per-app comment counters (429; limits
 * `linkedin.memberComments`, 1000 a day, and `linkedin.appComments`, 100 000 a day [U: unpublished]).
 */
import type { Context, Hono } from 'hono';
import {
  authenticate,
  inputError,
  type LinkedInSandboxState,
  mayActFor,
  randomDigits,
  restError,
  type SandboxLinkedInComment,
} from './linkedin-sandbox-state.ts';
import { AUTHOR, isObject } from './linkedin-sandbox-post-validation.ts';
import { linkedInThrottled } from './linkedin-sandbox-posts.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_COMMENT = 1250;
const COMMENT_FIELDS = new Set(['actor', 'object', 'message', 'content', 'parentComment']);

export function registerLinkedInCommentRoutes(app: Hono, state: LinkedInSandboxState): void {
  const { knobs } = state;

  app.post('/rest/socialActions/:post/comments', async (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    const post = c.req.param('post');
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return restError(c, 400, { message: 'Content-Type must be application/json' });
    }
    const body = await c.req.json().catch(() => null);
    if (!isObject(body)) return restError(c, 400, { message: 'Unable to parse the request body as JSON' });
    const invalid = validateComment(c, body, post);
    if (invalid) return invalid;
    const actor = body.actor as string;
    if (!mayActFor(state, auth, actor)) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: `Not enough permissions to access: POST /socialActions/${post}/comments`,
      });
    }
    if (!state.posts.some((p) => p.id === post)) return postNotFound(c, post);
    const limited = consumeDailyCommentLimits(c, state, actor);
    if (limited) return limited;

    const commentId = `7${randomDigits(18)}`;
    const comment: SandboxLinkedInComment = {
      id: `urn:li:comment:(${post},${commentId})`,
      commentId,
      postId: post,
      actor,
      text: (body.message as { text: string }).text,
      createdAt: knobs.now(),
      body,
    };
    state.comments.push(comment);
    const encode = knobs.setting('linkedin.encodeRestliId', true);
    c.header('x-restli-id', encode ? encodeURIComponent(comment.id) : comment.id);
    return c.json(commentElement(comment), 201);
  });

  app.get('/rest/socialActions/:post/comments', (c) => {
    const auth = authenticate(state, c);
    if (auth instanceof Response) return auth;
    const post = c.req.param('post');
    if (!auth.scopes.includes('r_member_social') && !auth.scopes.includes('r_organization_social')) {
      return restError(c, 403, {
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: `Not enough permissions to access: GET /socialActions/${post}/comments`,
      });
    }
    if (!state.posts.some((p) => p.id === post)) return postNotFound(c, post);
    const count = Math.min(100, Math.max(1, Number(c.req.query('count') ?? 10) || 10));
    const start = Math.max(0, Number(c.req.query('start') ?? 0) || 0);
    const all = state.comments.filter((m) => m.postId === post);
    return c.json({
      paging: { start, count, total: all.length, links: [] },
      elements: all.slice(start, start + count).map(commentElement),
    });
  });
}

function validateComment(c: Context, body: Record<string, unknown>, post: string): Response | null {
  const unknown = Object.keys(body).filter((k) => !COMMENT_FIELDS.has(k));
  if (unknown.length > 0) {
    return inputError(
      c,
      422,
      `Unrecognized field(s): ${unknown.join(', ')}`,
      'UNRECOGNIZED_FIELD',
      `/${unknown[0]}`,
    );
  }
  if (typeof body.actor !== 'string' || !AUTHOR.test(body.actor)) {
    return inputError(c, 422, 'actor must be a person or organization URN', 'INVALID_URN_TYPE', '/actor');
  }
  if (body.object !== post) {
    return inputError(
      c,
      422,
      `object must be the URN commented on (${post})`,
      'INVALID_VALUE_FOR_FIELD',
      '/object',
    );
  }
  const text = isObject(body.message) ? body.message.text : undefined;
  if (typeof text !== 'string' || (text.trim() === '' && body.content === undefined)) {
    return inputError(c, 422, 'message.text is required', 'MISSING_FIELD', '/message/text');
  }
  const length = Array.from(text).length;
  if (length > MAX_COMMENT) {
    return inputError(
      c,
      400,
      `com.linkedin.content.common.exception.BadRequestResponseException: Comment text length (${length} characters) exceeded the maximum allowed (${MAX_COMMENT} characters)`,
      'FIELD_ARRAY_SIZE_TOO_HIGH',
      '/message/text',
      { maxLength: MAX_COMMENT },
    );
  }
  return null;
}

function postNotFound(c: Context, post: string): Response {
  return restError(c, 404, { serviceErrorCode: 0, message: `Not Found: ${post} does not exist` });
}

/** A comment as LinkedIn answers it (create and list). */
function commentElement(comment: SandboxLinkedInComment): Record<string, unknown> {
  const at = { actor: comment.actor, time: comment.createdAt.getTime() };
  return {
    id: comment.commentId,
    commentUrn: comment.id,
    $URN: comment.id,
    actor: comment.actor,
    object: comment.postId,
    message: { text: comment.text, attributes: [] },
    created: at,
    lastModified: at,
  };
}

function consumeDailyCommentLimits(c: Context, state: LinkedInSandboxState, actor: string): Response | null {
  const { knobs } = state;
  const now = knobs.now();
  const day = now.toISOString().slice(0, 10);
  const windowMs = 2 * DAY_MS; // the date in the key starts a new window at midnight
  const member = { limit: 1000, windowMs };
  const app = { limit: 100_000, windowMs };
  const exceeded = knobs.peekQuota('linkedin.memberComments', `${actor}:${day}`, member).exceeded ||
    knobs.peekQuota('linkedin.appComments', day, app).exceeded;
  if (exceeded) {
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const retryAfter = knobs.setting('linkedin.retryAfterHeader', false)
      ? Math.ceil((midnight - now.getTime()) / 1000)
      : null;
    return linkedInThrottled(c, retryAfter);
  }
  knobs.consumeQuota('linkedin.memberComments', `${actor}:${day}`, member);
  knobs.consumeQuota('linkedin.appComments', day, app);
  return null;
}
