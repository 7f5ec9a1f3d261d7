/**
 * Instagram sandbox comments (docs/platform-apis.md §2.9, §4 Instagram):
 *
 *   POST /{ig-media-id}/comments  message=…  → {"id":"<IG_COMMENT_ID>"}
 *   GET  /{ig-media-id}/comments?fields=id,text,timestamp,from,username[&limit&after]
 *     → {"data":[…],"paging":{"cursors":{before,after},"next"?}}, oldest first
 *
 * Parameters come from the query string, a form or JSON, as Graph reads them. Refused as Instagram
 * refuses, in the Graph envelope: a bad token (190), a token without
 * `instagram_business_manage_comments` (code 10), media that does not exist or is not the account's
 * (100/33), a missing or empty message (100), a message over 2200 characters (100, "The message is
 * too long" [I]). Calls count against the usage quotas and carry the usage headers like every call
 * (instagram-sandbox-state.ts `authenticate`).
 */
import type { Context, Hono } from 'hono';
import {
  authenticate,
  graphError,
  graphId,
  type InstagramSandboxState,
  readParams,
  type SandboxComment,
} from './instagram-sandbox-state.ts';
import { decodeCursor, graphTime } from './instagram-sandbox-media.ts';

const MAX_COMMENT = 2200;
const COMMENT_SCOPES = ['instagram_business_manage_comments', 'instagram_manage_comments'];

export function registerInstagramCommentRoutes(app: Hono, state: InstagramSandboxState): void {
  const { knobs } = state;

  app.post('/:mediaId/comments', async (c) => {
    const params = await readParams(c);
    const auth = authenticate(state, c, params);
    if (auth instanceof Response) return auth;
    const denied = checkAccess(c, state, auth.subject, auth.scopes, c.req.param('mediaId'), 'post');
    if (denied) return denied;
    const message = params.message;
    if (message === undefined || message.trim() === '') {
      return graphError(c, 400, { message: '(#100) The parameter message is required', code: 100 });
    }
    if (Array.from(message).length > MAX_COMMENT) {
      return graphError(c, 400, { message: '(#100) The message is too long', code: 100 });
    }
    const comment: SandboxComment = {
      id: graphId('1787'),
      postId: c.req.param('mediaId'),
      author: auth.subject,
      username: state.accounts.get(auth.subject)?.username ?? auth.subject,
      text: message,
      createdAt: knobs.now(),
    };
    state.comments.push(comment);
    return c.json({ id: comment.id });
  });

  app.get('/:mediaId/comments', (c) => {
    const auth = authenticate(state, c, c.req.query());
    if (auth instanceof Response) return auth;
    const mediaId = c.req.param('mediaId');
    const denied = checkAccess(c, state, auth.subject, auth.scopes, mediaId, 'get');
    if (denied) return denied;
    const limit = Math.min(50, Math.max(1, Number(c.req.query('limit') ?? 25) || 25));
    const all = state.comments.filter((m) => m.postId === mediaId);
    const after = c.req.query('after');
    const start = after ? decodeCursor(after) : 0;
    const fields = (c.req.query('fields') ?? 'id,text,timestamp').split(',');
    const more = start + limit < all.length;
    const next = btoa(String(start + limit));
    return c.json({
      data: all.slice(start, start + limit).map((m) => commentFields(m, fields)),
      paging: {
        cursors: { before: btoa(String(start)), after: next },
        ...(more ? { next: `${new URL(c.req.url).origin}${c.req.path}?after=${next}&limit=${limit}` } : {}),
      },
    });
  });
}

/** The media must exist and be the account's; the token must hold a comment permission. */
function checkAccess(
  c: Context,
  state: InstagramSandboxState,
  subject: string,
  scopes: string[],
  mediaId: string,
  verb: 'get' | 'post',
): Response | null {
  const media = state.media.find((m) => m.id === mediaId);
  if (!media || media.owner !== subject) {
    return graphError(c, 400, {
      message:
        `Unsupported ${verb} request. Object with ID '${mediaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      code: 100,
      error_subcode: 33,
      type: 'GraphMethodException',
    });
  }
  if (!COMMENT_SCOPES.some((s) => scopes.includes(s))) {
    return graphError(c, 400, {
      message: '(#10) Application does not have permission for this action',
      code: 10,
    });
  }
  return null;
}

function commentFields(comment: SandboxComment, fields: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: comment.id,
    text: comment.text,
    timestamp: graphTime(comment.createdAt),
    username: comment.username,
    from: { id: comment.author, username: comment.username },
    like_count: 0,
    hidden: false,
  };
  const out: Record<string, unknown> = { id: comment.id };
  for (const field of fields) if (field in all) out[field] = all[field];
  return out;
}
