/**
 * What the Instagram adapter remembers between attempts at a target, in this process (bounded, least
 * recently used dropped first): the container it built, whether that container's media_publish may
 * have gone out, and the media it became. A restart forgets it; instagram-reconcile.ts covers that.
 */
import { isPublishError, type PublishError } from '../publish-error.ts';
import type { PublishRequest } from '../publisher.ts';
import type { ContainerStatusCode } from './instagram-api.ts';
import type { ContainerContext } from './instagram-containers.ts';

/** How many targets' containers are remembered. (Default: 1000) */
const MEMO_LIMIT = 1000;

export interface ContainerMemo {
  containerId: string;
  /** When the container was built (this process's clock): its post cannot be older. */
  createdAt: Date;
  /**
   * True from the moment media_publish is sent for the container until a clear status or refusal
   * shows it did not go live: only then can an unclear status answer hide a live post.
   */
  mayBePublished: boolean;
  mediaId: string | null;
  url: string | null;
}

export interface ContainerMemoStore {
  get(key: string): ContainerMemo | undefined;
  /** Stores (or refreshes) the entry as the most recently used. */
  remember(key: string, entry: ContainerMemo): void;
}

export function createContainerMemo(limit = MEMO_LIMIT): ContainerMemoStore {
  const entries = new Map<string, ContainerMemo>();
  return {
    get: (key) => entries.get(key),
    remember(key, entry) {
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > limit) entries.delete(entries.keys().next().value!);
    },
  };
}

/** One target's content on one account: a change of text or media is a different post. */
export function memoKey(request: PublishRequest): string {
  const { text, media } = request.content;
  return [request.targetId, request.account.externalId, text, ...media.map((m) => m.url)].join('\u0000');
}

/**
 * The container's status, or the error that kept Instagram from giving one clearly (5xx, timeout, an
 * unreadable body, an unknown or "does not exist" error). Only a status is evidence.
 */
export async function readContainerStatus(
  ctx: ContainerContext,
  containerId: string,
): Promise<{ status: ContainerStatusCode } | { unclear: PublishError }> {
  try {
    return { status: (await ctx.api.containerStatus(containerId, ctx.token, ctx.signal)).statusCode };
  } catch (err) {
    if (isPublishError(err)) return { unclear: err };
    throw err;
  }
}
