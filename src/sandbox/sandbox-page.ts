/**
 * The sandbox's web page: the posts as each platform received them, newest first, shown the way the
 * platforms show them — the account's name and handle instead of its id, the pictures as thumbnails,
 * comments under their post (LinkedIn, Instagram), and replies nested under the post they answer as
 * a chain (X threads and first comments) — with the ids and the body as received one click away.
 * Reloads every 5 s.
 */
import type { Platform } from '../domain/platform.ts';
import type { SandboxKnobs } from './sandbox-knobs.ts';
import type { PublishedRecord } from './sandbox-records.ts';

const TITLES: Record<Platform, string> = { x: 'X', instagram: 'Instagram', linkedin: 'LinkedIn' };

/** A comment under a post, as the page shows it. */
export interface PageComment {
  id: string;
  /** The account that commented (resolved to a name with `account`). */
  subject: string;
  text: string;
  createdAt: Date;
}

/** How one platform's posts read on the page; each platform sandbox knows its own accounts and media. */
export interface PlatformPageView {
  /** The account a post went out as, as the platform shows it; null when the sandbox does not know it. */
  account(subject: string): { name: string; handle: string | null } | null;
  /** A picture URL for each media item of the post, in order; null where there is nothing to show. */
  mediaUrls(record: PublishedRecord): (string | null)[];
  /** The comments on a post, oldest first (LinkedIn, Instagram). (Default: none) */
  comments?(record: PublishedRecord): PageComment[];
  /**
   * The id of the post this one answers (X replies: a thread's next part, a first comment).
   * (Default: `reply.in_reply_to_tweet_id` of the request as received, which is how X is asked)
   */
  replyTo?(record: PublishedRecord): string | null;
}

export function renderSandboxPage(
  knobs: SandboxKnobs,
  views: Readonly<Partial<Record<Platform, PlatformPageView>>>,
): string {
  const sections = (Object.keys(views) as Platform[]).map((platform) => {
    const posts = knobs.published(platform);
    const view = views[platform]!;
    const items = posts.length === 0
      ? '<p class="empty">Nothing published yet.</p>'
      : renderThreads(posts, view);
    return `<section class="${platform}"><h2>${
      TITLES[platform]
    } <small>(${posts.length})</small></h2>${items}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>SoloSpark sandbox platforms</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f7f9;color:#222}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1.5rem}
article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}
header.author{display:flex;align-items:center;gap:.6rem;margin-bottom:.5rem}
.avatar{width:2.4rem;height:2.4rem;border-radius:50%;display:flex;align-items:center;justify-content:center;
color:#fff;font-weight:600;flex:none}
.x .avatar{background:#111}.instagram .avatar{background:#c13584}.linkedin .avatar{background:#0a66c2}
.name{font-weight:600}.handle,.meta{color:#666;font-size:.8rem}
.text{white-space:pre-wrap;word-break:break-word}
.media{display:grid;grid-template-columns:repeat(auto-fill,minmax(7rem,1fr));gap:.4rem;margin:.6rem 0}
.media:has(> :only-child){grid-template-columns:minmax(0,18rem)}
.media img,.media .tile{width:100%;aspect-ratio:1;object-fit:cover;border-radius:6px;background:#e8e8ec}
.media .tile{display:flex;align-items:center;justify-content:center;font-size:.7rem;color:#666;
text-align:center;word-break:break-all;padding:.3rem;box-sizing:border-box}
details pre{font-size:.75rem;overflow:auto;background:#f0f0f0;padding:.5rem}.empty{color:#888}
.replies{margin-left:1.2rem;border-left:2px solid #ccc;padding-left:.6rem}
.replies article{margin:.4rem 0}
.comments{list-style:none;margin:.5rem 0 0;padding:.4rem 0 0;border-top:1px solid #eee}
.comment{margin:.3rem 0;font-size:.9rem}.comment-text{white-space:pre-wrap;word-break:break-word}
</style></head><body>
<h1>Sandbox platforms</h1>
<p class="meta">Sandbox clock: ${
    escapeHtml(knobs.now().toISOString())
  }. Control API under <code>/_sandbox</code>.</p>
<main>${sections.join('')}</main>
</body></html>`;
}

/**
 * Posts newest first; a post that answers another recorded post is not listed on its own but under
 * that post, its replies oldest first (a thread reads top to bottom), nested as deep as the chain.
 */
function renderThreads(posts: readonly PublishedRecord[], view: PlatformPageView): string {
  const ids = new Set(posts.map((p) => p.id));
  const replies = new Map<string, PublishedRecord[]>();
  const roots: PublishedRecord[] = [];
  for (const post of posts) {
    const parent = (view.replyTo ?? receivedReplyTo)(post);
    if (parent !== null && parent !== post.id && ids.has(parent)) {
      replies.set(parent, [...(replies.get(parent) ?? []), post]);
    } else roots.push(post);
  }
  const shown = new Set<string>();
  const render = (post: PublishedRecord): string => {
    shown.add(post.id);
    const children = (replies.get(post.id) ?? []).filter((child) => !shown.has(child.id));
    const chain = children.length === 0 ? '' : `<div class="replies">${children.map(render).join('')}</div>`;
    return renderPost(post, view, chain);
  };
  return roots.slice().reverse().map(render).join('');
}

/** X is asked to reply with `reply.in_reply_to_tweet_id` in the request body. */
function receivedReplyTo(post: PublishedRecord): string | null {
  const received = post.received as { reply?: { in_reply_to_tweet_id?: unknown } } | null;
  const id = received?.reply?.in_reply_to_tweet_id;
  return typeof id === 'string' ? id : null;
}

function renderComments(post: PublishedRecord, view: PlatformPageView): string {
  const comments = view.comments?.(post) ?? [];
  if (comments.length === 0) return '';
  return `<ul class="comments">${
    comments.map((comment) => {
      const name = view.account(comment.subject)?.name ?? comment.subject;
      return `<li class="comment" data-id="${escapeHtml(comment.id)}"><span class="name">${
        escapeHtml(name)
      }</span> <span class="comment-text">${escapeHtml(comment.text)}</span> <span class="meta">${
        escapeHtml(comment.createdAt.toISOString())
      }</span></li>`;
    }).join('')
  }</ul>`;
}

function renderPost(post: PublishedRecord, view: PlatformPageView, chain = ''): string {
  const account = view.account(post.subject);
  const name = account?.name ?? post.subject;
  const handle = account?.handle ? `<span class="handle">${escapeHtml(account.handle)}</span>` : '';
  const urls = view.mediaUrls(post);
  const media = post.media.length === 0 ? '' : `<div class="media">${
    post.media.map((item, i) => {
      const url = urls[i];
      return url
        ? `<img src="${escapeHtml(url)}" alt="picture ${i + 1} of the post" loading="lazy">`
        : `<div class="tile" title="${escapeHtml(item)}">media ${escapeHtml(shorten(item))}</div>`;
    }).join('')
  }</div>`;
  return `<article data-id="${escapeHtml(post.id)}">
<header class="author"><span class="avatar" aria-hidden="true">${escapeHtml(initial(name))}</span>
<span><span class="name">${escapeHtml(name)}</span> ${handle}<br>
<span class="meta">${escapeHtml(post.publishedAt.toISOString())}</span></span></header>
<div class="text">${escapeHtml(post.text)}</div>${media}
<details><summary>ids and the request as received</summary>
<p class="meta">post ${escapeHtml(post.id)}${post.url ? ` · ${escapeHtml(post.url)}` : ''}<br>account ${
    escapeHtml(post.subject)
  }${post.media.length > 0 ? `<br>media ${post.media.map(escapeHtml).join(', ')}` : ''}</p>
<pre>${escapeHtml(JSON.stringify(post.received, null, 2))}</pre></details>${
    renderComments(post, view)
  }${chain}
</article>`;
}

function initial(name: string): string {
  const letter = [...name.replace(/^[@\s]+/, '')][0] ?? '?';
  return letter.toUpperCase();
}

function shorten(text: string): string {
  return text.length <= 24 ? text : `${text.slice(0, 10)}…${text.slice(-10)}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
