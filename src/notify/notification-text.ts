/**
 * The words of a notification: a title naming the platform(s), a body with the link or the error and
 * what to do about it, and the link itself (the published post, or the post in the app when
 * NOTIFY_APP_URL is set). Error codes are those of src/domain/error-codes.ts.
 */
import type { Platform } from '../domain/platform.ts';
import type { NewNotification, PostSnapshot, TargetSnapshot } from '../store/notification-store.ts';
import type { StatusEvent } from './status-event.ts';

export const PLATFORM_NAMES: Readonly<Record<Platform, string>> = {
  x: 'X',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

const MAX_ERROR_MESSAGE = 300;
const MAX_BODY = 4000;

/** What the creator can do about each error code ({p} is the platform's name). */
const ADVICE: Readonly<Record<string, string>> = {
  auth_expired: 'Reconnect your {p} account, then retry the post.',
  auth_revoked: 'Reconnect your {p} account (access was revoked), then retry the post.',
  permission_denied: 'Reconnect your {p} account and allow posting, then retry the post.',
  rate_limited: '{p} asked us to slow down; retry the post a little later.',
  content_invalid: "Edit the text to meet {p}'s rules, then retry the post.",
  media_invalid: 'Replace the image with one {p} accepts (type, size, dimensions), then retry the post.',
  media_unreachable: 'Make sure the image URL is public and reachable, then retry the post.',
  duplicate_content: '{p} refused it as a duplicate of a recent post; change the text before retrying.',
  quota_exceeded: 'The {p} account used up its publishing quota; retry once the quota resets.',
  platform_unavailable: '{p} was unavailable; retry the post.',
  network: 'We could not reach {p}; retry the post.',
  outcome_unknown:
    'Check your {p} profile: the post may be live. Retry only if it is not there, or it may appear twice.',
  missed: 'It was not sent because it was overdue; schedule it again.',
  account_disconnected: 'The {p} account was disconnected; connect it again and retry the post.',
  token_decrypt_failed: 'Reconnect your {p} account, then retry the post.',
};
const DEFAULT_ADVICE = 'See the post for details, then retry it.';

export function adviceFor(code: string | null, platform: Platform | null): string {
  const text = (code && ADVICE[code]) || DEFAULT_ADVICE;
  return text.replaceAll('{p}', platform ? PLATFORM_NAMES[platform] : 'the platform');
}

export interface NotificationTextOptions {
  /** NOTIFY_APP_URL: links to `<url>/posts/<id>` for notifications without a published link. */
  appUrl?: string | null;
}

type Content = Pick<NewNotification, 'title' | 'body' | 'link'>;

/** Title, body and link for `event` on `post` (as read just now). */
export function composeNotification(
  event: StatusEvent,
  post: PostSnapshot,
  options: NotificationTextOptions = {},
): Content {
  const appLink = options.appUrl ? `${options.appUrl.replace(/\/+$/, '')}/posts/${post.id}` : null;
  const when = formatInstant(post.scheduledAt);
  const published = post.targets.filter((t) => t.status === 'published');
  const unsuccessful = post.targets.filter((t) => t.status === 'failed' || t.status === 'unconfirmed');
  const firstUrl = published.find((t) => t.externalUrl)?.externalUrl ?? null;

  switch (event.kind) {
    case 'post.published':
      return bounded({
        title: `Your post is live on ${names(published)}`,
        body: [`Your post scheduled for ${when} is published.`, ...published.map(linkLine)].join('\n'),
        link: firstUrl ?? appLink,
      });
    case 'post.partially_published':
      return bounded({
        title: `Your post is live on ${names(published)} but not on ${names(unsuccessful)}`,
        body: [
          `Your post scheduled for ${when} went out on some platforms only.`,
          ...published.map(linkLine),
          ...unsuccessful.map((t) => failureLine(t)),
        ].join('\n'),
        link: firstUrl ?? appLink,
      });
    case 'post.failed': {
      const lines = unsuccessful.length > 0
        ? unsuccessful.map((t) => failureLine(t))
        : [errorSentence(post.errorCode, post.errorMessage, null)];
      return bounded({
        title: unsuccessful.length > 0
          ? `Your post was not published on ${names(unsuccessful)}`
          : 'Your post was not published',
        body: [`Your post scheduled for ${when} was not published.`, ...lines].join('\n'),
        link: appLink,
      });
    }
    case 'post.cancelled':
      return bounded({
        title: 'Your post was cancelled',
        body: `Your post scheduled for ${when} was cancelled and will not be published.`,
        link: appLink,
      });
    case 'target.failed':
    case 'target.unconfirmed': {
      const target = targetOf(event, post);
      const platform = target?.platform ?? event.platform;
      const name = platform ? PLATFORM_NAMES[platform] : 'a platform';
      const unconfirmed = event.kind === 'target.unconfirmed';
      const code = stringField(event.record, 'error_code') ?? target?.errorCode ??
        (unconfirmed ? 'outcome_unknown' : null);
      const message = stringField(event.record, 'error_message') ?? target?.errorMessage ?? null;
      return bounded({
        title: unconfirmed ? `We could not confirm your post on ${name}` : `Publishing to ${name} failed`,
        body: `Your post scheduled for ${when}: ${errorSentence(code, message, platform)}`,
        link: appLink,
      });
    }
  }
}

function targetOf(event: StatusEvent, post: PostSnapshot): TargetSnapshot | null {
  return post.targets.find((t) => t.id === event.targetId) ?? null;
}

function names(targets: readonly TargetSnapshot[]): string {
  const unique = [...new Set(targets.map((t) => PLATFORM_NAMES[t.platform]))];
  if (unique.length === 0) return 'no platform';
  if (unique.length === 1) return unique[0]!;
  return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`;
}

function linkLine(target: TargetSnapshot): string {
  return `${PLATFORM_NAMES[target.platform]}: ${target.externalUrl ?? 'published (no link returned)'}`;
}

function failureLine(target: TargetSnapshot): string {
  const code = target.errorCode ?? (target.status === 'unconfirmed' ? 'outcome_unknown' : null);
  return `${PLATFORM_NAMES[target.platform]}: ${errorSentence(code, target.errorMessage, target.platform)}`;
}

function errorSentence(code: string | null, message: string | null, platform: Platform | null): string {
  const what = code ?? 'unknown';
  const detail = message ? ` — ${truncate(message, MAX_ERROR_MESSAGE).replace(/[\s.]+$/, '')}` : '';
  return `${what}${detail}. ${adviceFor(code, platform)}`;
}

function stringField(record: Readonly<Record<string, unknown>>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function formatInstant(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function bounded(content: Content): Content {
  return {
    title: truncate(content.title, 200),
    body: truncate(content.body, MAX_BODY),
    link: content.link && content.link.length <= 2000 ? content.link : null,
  };
}
