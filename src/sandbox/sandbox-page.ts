/**
 * The sandbox's web page: the posts as each platform received them, newest first, shown the way the
 * platforms show them — the account's name and handle instead of its id, the pictures as thumbnails —
 * with the ids and the body as received one click away. Reloads every 5 s.
 */
import type { Platform } from '../domain/platform.ts';
import type { SandboxKnobs } from './sandbox-knobs.ts';
import type { PublishedRecord } from './sandbox-records.ts';

const TITLES: Record<Platform, string> = { x: 'X', instagram: 'Instagram', linkedin: 'LinkedIn' };

/** How one platform's posts read on the page; each platform sandbox knows its own accounts and media. */
export interface PlatformPageView {
  /** The account a post went out as, as the platform shows it; null when the sandbox does not know it. */
  account(subject: string): { name: string; handle: string | null } | null;
  /** A picture URL for each media item of the post, in order; null where there is nothing to show. */
  mediaUrls(record: PublishedRecord): (string | null)[];
}

export function renderSandboxPage(
  knobs: SandboxKnobs,
  views: Readonly<Partial<Record<Platform, PlatformPageView>>>,
): string {
  const sections = (Object.keys(views) as Platform[]).map((platform) => {
    const posts = knobs.published(platform).slice().reverse();
    const items = posts.length === 0
      ? '<p class="empty">Nothing published yet.</p>'
      : posts.map((post) => renderPost(post, views[platform]!)).join('');
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
</style></head><body>
<h1>Sandbox platforms</h1>
<p class="meta">Sandbox clock: ${
    escapeHtml(knobs.now().toISOString())
  }. Control API under <code>/_sandbox</code>.</p>
<main>${sections.join('')}</main>
</body></html>`;
}

function renderPost(post: PublishedRecord, view: PlatformPageView): string {
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
  return `<article>
<header class="author"><span class="avatar" aria-hidden="true">${escapeHtml(initial(name))}</span>
<span><span class="name">${escapeHtml(name)}</span> ${handle}<br>
<span class="meta">${escapeHtml(post.publishedAt.toISOString())}</span></span></header>
<div class="text">${escapeHtml(post.text)}</div>${media}
<details><summary>ids and the request as received</summary>
<p class="meta">post ${escapeHtml(post.id)}${post.url ? ` · ${escapeHtml(post.url)}` : ''}<br>account ${
    escapeHtml(post.subject)
  }${post.media.length > 0 ? `<br>media ${post.media.map(escapeHtml).join(', ')}` : ''}</p>
<pre>${escapeHtml(JSON.stringify(post.received, null, 2))}</pre></details>
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
