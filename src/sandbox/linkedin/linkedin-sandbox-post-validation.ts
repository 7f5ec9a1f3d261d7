/**
 * How the LinkedIn sandbox judges a `POST /rest/posts` body before anything is stored
 * (docs/platform-apis.md §4 LinkedIn): known fields only, author URN, commentary ≤ 3000 characters, the
 * visibility / distribution / lifecycle enums, and content holding exactly one kind whose images are
 * uploaded and owned by the author. Answers in LinkedIn's input-error envelope.
 */
import type { Context } from 'hono';
import { inputError, type LinkedInSandboxState } from './linkedin-sandbox-state.ts';

const POST_FIELDS = new Set([
  'author',
  'commentary',
  'visibility',
  'distribution',
  'lifecycleState',
  'isReshareDisabledByAuthor',
  'content',
  'contentLandingPage',
  'adContext',
  'container',
  'reshareContext',
  'contentCallToActionLabel',
  'lifecycleStateInfo',
]);
const VISIBILITY = ['PUBLIC', 'CONNECTIONS', 'LOGGED_IN', 'CONTAINER'];
const FEED = ['MAIN_FEED', 'NONE'];
const LIFECYCLE = ['PUBLISHED', 'DRAFT'];
const CONTENT_KINDS = ['media', 'multiImage', 'poll', 'article', 'document'];
export const AUTHOR = /^urn:li:(person|organization):[A-Za-z0-9_-]+$/;
const MAX_COMMENTARY = 3000;

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validatePost(c: Context, state: LinkedInSandboxState, body: Json): Response | null {
  const unknown = Object.keys(body).filter((k) => !POST_FIELDS.has(k));
  if (unknown.length > 0) {
    return inputError(
      c,
      422,
      `Unrecognized field(s): ${unknown.join(', ')}`,
      'UNRECOGNIZED_FIELD',
      `/${unknown[0]}`,
    );
  }
  if (typeof body.author !== 'string' || !AUTHOR.test(body.author)) {
    return inputError(c, 422, 'author must be a person or organization URN', 'INVALID_URN_TYPE', '/author');
  }
  if (typeof body.commentary !== 'string') {
    return inputError(c, 422, 'commentary is required', 'MISSING_FIELD', '/commentary');
  }
  const length = Array.from(body.commentary).length;
  if (length > MAX_COMMENTARY) {
    return inputError(
      c,
      400,
      `com.linkedin.content.common.exception.BadRequestResponseException: ShareCommentary text length (${length} characters) exceeded the maximum allowed (${MAX_COMMENTARY} characters)`,
      'FIELD_ARRAY_SIZE_TOO_HIGH',
      '/commentary',
      { maxLength: MAX_COMMENTARY },
    );
  }
  if (!VISIBILITY.includes(body.visibility as string)) {
    return inputError(
      c,
      422,
      `visibility must be one of ${VISIBILITY.join(', ')}`,
      'INVALID_VALUE_FOR_FIELD',
      '/visibility',
    );
  }
  const distribution = body.distribution;
  if (
    !isObject(distribution) || !FEED.includes(distribution.feedDistribution as string) ||
    !Array.isArray(distribution.targetEntities) || !Array.isArray(distribution.thirdPartyDistributionChannels)
  ) {
    return inputError(
      c,
      422,
      'distribution needs feedDistribution (MAIN_FEED or NONE), targetEntities [] and thirdPartyDistributionChannels []',
      'MISSING_FIELD',
      '/distribution',
    );
  }
  if (!LIFECYCLE.includes(body.lifecycleState as string)) {
    return inputError(
      c,
      422,
      'lifecycleState must be PUBLISHED or DRAFT',
      'INVALID_VALUE_FOR_FIELD',
      '/lifecycleState',
    );
  }
  if (body.isReshareDisabledByAuthor !== undefined && typeof body.isReshareDisabledByAuthor !== 'boolean') {
    return inputError(
      c,
      422,
      'isReshareDisabledByAuthor must be a boolean',
      'INVALID_VALUE_FOR_FIELD',
      '/isReshareDisabledByAuthor',
    );
  }
  if (body.content !== undefined) return validateContent(c, state, body.content, body.author);
  if (body.commentary.trim() === '') {
    return inputError(
      c,
      422,
      'commentary may be empty only when the post has content',
      'MISSING_FIELD',
      '/commentary',
    );
  }
  return null;
}

function validateContent(
  c: Context,
  state: LinkedInSandboxState,
  content: unknown,
  author: string,
): Response | null {
  const kinds = isObject(content) ? Object.keys(content) : [];
  if (kinds.length !== 1 || !CONTENT_KINDS.includes(kinds[0]!)) {
    return inputError(
      c,
      422,
      `content must hold exactly one of ${CONTENT_KINDS.join(', ')}`,
      'INVALID_VALUE_FOR_FIELD',
      '/content',
    );
  }
  const c0 = content as Json;
  let ids: unknown[] = [];
  if (isObject(c0.media)) ids = [c0.media.id];
  else if (isObject(c0.multiImage) && Array.isArray(c0.multiImage.images)) {
    ids = c0.multiImage.images.map((i) => (isObject(i) ? i.id : null));
    if (ids.length < 2 || ids.length > 20) {
      return inputError(
        c,
        422,
        'multiImage holds 2 to 20 images',
        'FIELD_ARRAY_SIZE_TOO_HIGH',
        '/content/multiImage/images',
      );
    }
  } else return null; // poll, article, document: not checked further
  for (const id of ids) {
    const image = typeof id === 'string' ? state.images.get(id) : undefined;
    const ownerMustMatch = state.knobs.setting('linkedin.requireImageOwnerMatch', true);
    if (!image || image.status !== 'AVAILABLE' || (ownerMustMatch && image.owner !== author)) {
      return inputError(
        c,
        422,
        `Media ${String(id)} does not exist, is not uploaded yet, or belongs to another owner`,
        'INVALID_VALUE_FOR_FIELD',
        '/content/media/id',
      );
    }
  }
  return null;
}
