/**
 * One send to LinkedIn: the author URN from the account, the images uploaded, then `POST /rest/posts`
 * with the commentary little-text escaped. Also the URN → Published mapping that publish and
 * reconcile share.
 */
import { PublishError } from '../publish-error.ts';
import type { PublishAccount, Published, PublishRequest } from '../publisher.ts';
import type { CreatePostResult, LinkedInApi, PostBody } from './linkedin-api.ts';
import { type ImageUploadOptions, uploadLinkedInImages } from './linkedin-image-upload.ts';
import { escapeLittleText } from './linkedin-little-text.ts';

const AUTHOR_URN = /^urn:li:(person|organization):[A-Za-z0-9_-]+$/;

/** Creates the post; the answer is the id or the classified failure (the caller decides on duplicates). */
export async function sendLinkedInPost(
  api: LinkedInApi,
  options: ImageUploadOptions,
  request: PublishRequest,
): Promise<CreatePostResult> {
  const author = linkedInAuthor(request);
  const images = await uploadLinkedInImages(api, options, request, author);
  const body: PostBody = {
    author,
    commentary: escapeLittleText(request.content.text),
    visibility: 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
  };
  if (images.length === 1) body.content = { media: images[0]! };
  if (images.length > 1) body.content = { multiImage: { images } };
  return await api.createPost(body, request.account.tokens.accessToken, request.signal);
}

export function linkedInPublished(urn: string): Published {
  return { externalId: urn, url: `https://www.linkedin.com/feed/update/${urn}/` };
}

/** The account's author URN; anything else cannot post and needs a reconnect. */
export function linkedInAuthor(request: { account: PublishAccount }): string {
  const author = request.account.externalId;
  if (AUTHOR_URN.test(author)) return author;
  throw new PublishError(
    'permission_denied',
    'The LinkedIn account id must be an author URN (urn:li:person:… or urn:li:organization:…); reconnect the account',
    { platform: 'linkedin' },
  );
}
