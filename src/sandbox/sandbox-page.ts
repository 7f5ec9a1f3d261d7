/** The sandbox's web page: the posts as each platform received them, newest first. Reloads every 5 s. */
import type { Platform } from '../domain/platform.ts';
import type { SandboxKnobs } from './sandbox-knobs.ts';
import type { PublishedRecord } from './sandbox-records.ts';

const TITLES: Record<Platform, string> = { x: 'X', instagram: 'Instagram', linkedin: 'LinkedIn' };

export function renderSandboxPage(knobs: SandboxKnobs, platforms: readonly Platform[]): string {
  const sections = platforms.map((platform) => {
    const posts = knobs.published(platform).slice().reverse();
    const items = posts.length === 0
      ? '<p class="empty">Nothing published yet.</p>'
      : posts.map(renderPost).join('');
    return `<section><h2>${TITLES[platform]} <small>(${posts.length})</small></h2>${items}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>SoloSpark sandbox platforms</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f7f9;color:#222}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1.5rem}
article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}
.text{white-space:pre-wrap;word-break:break-word}.meta{color:#666;font-size:.8rem}
details pre{font-size:.75rem;overflow:auto;background:#f0f0f0;padding:.5rem}.empty{color:#888}
</style></head><body>
<h1>Sandbox platforms</h1>
<p class="meta">Sandbox clock: ${
    escapeHtml(knobs.now().toISOString())
  }. Control API under <code>/_sandbox</code>.</p>
<main>${sections.join('')}</main>
</body></html>`;
}

function renderPost(post: PublishedRecord): string {
  const media = post.media.length === 0
    ? ''
    : `<div class="meta">media: ${post.media.map(escapeHtml).join(', ')}</div>`;
  return `<article>
<div class="meta">${escapeHtml(post.publishedAt.toISOString())} · account ${escapeHtml(post.subject)} · id ${
    escapeHtml(post.id)
  }</div>
<div class="text">${escapeHtml(post.text)}</div>${media}
<details><summary>as received</summary><pre>${
    escapeHtml(JSON.stringify(post.received, null, 2))
  }</pre></details>
</article>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
