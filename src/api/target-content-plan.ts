/**
 * What each target of a post request publishes, and every platform rule that breaks, before anything
 * is stored — shared by POST /posts, PATCH /posts/{id} and POST /posts/validate so the three cannot
 * disagree. A target's own text (`targets[i].text`, `platformText.<platform>`), an X thread (`thread`,
 * or `threadSplit` of its text) and its first comment replace the post's for that target; each is
 * checked on its effective content with the platform's rules, and each problem names the field it is
 * about (`targets[1].thread[2]`). Problems with the post's own text stay on `text`, once per platform.
 */
import type { Platform } from '../domain/platform.ts';
import type { MediaItem } from '../domain/post.ts';
import { MAX_THREAD_PARTS } from '../domain/post-content.ts';
import { splitThread } from '../domain/thread-split.ts';
import type { TargetContent } from '../store/post-store.ts';
import type { ContentRules, ValidateContent } from './content-validator.ts';
import type { ProblemError } from './validation-error.ts';
import { invalidInput } from './validation-error.ts';

/** A target as the request names it, before its accounts are known. */
export interface TargetContentInput {
  text?: string | undefined;
  thread?: string[] | undefined;
  threadSplit?: boolean | undefined;
  firstComment?: string | undefined;
}

export interface PlannedTarget {
  accountId: string;
  platform: Platform;
  /** Where its own fields are in the body (`targets[1]`, `platformText.x`); null: it has none. */
  path: string | null;
  /** What the store keeps of its own. */
  content: TargetContent;
  /** What it publishes: its own text, else the post's (a thread: part 1). */
  text: string;
  ownText: boolean;
  /** An X thread's parts (given, or split from its text); null for one post. */
  parts: string[] | null;
  firstComment: string | null;
  ownFirstComment: boolean;
}

export interface PostContentInput {
  text: string;
  firstComment: string | null;
}

/**
 * Each account's plan. `own[i]` is what the request (or, on PATCH, the stored target) gives account i
 * of its own; `paths[i]` where that is in the body. Problems (a thread for a platform that has none, a
 * text that cannot be split) are added to `errors`.
 */
export function planTargets(
  accounts: readonly { id: string; platform: Platform }[],
  own: readonly (TargetContentInput | undefined)[],
  paths: readonly (string | null)[],
  post: PostContentInput,
  rules: ContentRules,
  errors: ProblemError[],
): PlannedTarget[] {
  return accounts.map((account, i) => {
    const input = own[i];
    const path = paths[i] ?? null;
    const text = input?.text ?? post.text;
    let parts = input?.thread ?? null;
    if ((parts !== null || input?.threadSplit) && account.platform !== 'x') {
      errors.push({
        path: `${path}.${parts !== null ? 'thread' : 'threadSplit'}`,
        message: `threads are for X; ${account.platform} publishes one post, so send text instead`,
        platform: account.platform,
        rule: 'thread_unsupported',
      });
      parts = null;
    } else if (input?.threadSplit && parts === null) {
      const { limit } = rules.measure(account.platform, text);
      const split = splitThread(text, {
        length: (t) => rules.measure(account.platform, t).length,
        limit,
        maxParts: MAX_THREAD_PARTS,
      });
      if (!split.ok) {
        errors.push({
          path: `${path}.threadSplit`,
          message: `x: ${split.reason}`,
          platform: 'x',
          rule: 'thread_split_failed',
        });
      } else if (split.parts.length > 1) parts = split.parts;
    }
    const firstComment = input?.firstComment ?? post.firstComment;
    const content: TargetContent = {
      text: parts === null ? input?.text ?? null : null,
      thread: parts,
      firstComment: input?.firstComment ?? null,
    };
    return {
      accountId: account.id,
      platform: account.platform,
      path,
      content,
      text: parts?.[0] ?? text,
      ownText: parts !== null || input?.text !== undefined,
      parts,
      firstComment,
      ownFirstComment: input?.firstComment !== undefined,
    };
  });
}

/** One checked piece of a target: its text, where it is in the body, and what it is. */
interface Piece {
  kind: 'text' | 'part' | 'comment';
  text: string;
  path: string;
  media: readonly MediaItem[];
  replyTo?: string;
}

/** The pieces of a plan each rule applies to (the post's own text and comment once per platform). */
export function piecesOf(plan: PlannedTarget, media: readonly MediaItem[]): Piece[] {
  const pieces: Piece[] = [];
  if (plan.parts) {
    const base = plan.content.thread ? `${plan.path}.thread` : `${plan.path}.threadSplit`;
    plan.parts.forEach((text, n) =>
      pieces.push({
        kind: 'part',
        text,
        path: `${base}[${n}]`,
        media: n === 0 ? media : [],
        // Checked as the reply it will be; the id is the platform's once the part before is live.
        ...(n === 0 ? {} : { replyTo: '1' }),
      })
    );
  } else {
    pieces.push({
      kind: 'text',
      text: plan.text,
      path: plan.ownText ? ownTextPath(plan.path!) : 'text',
      media,
    });
  }
  if (plan.firstComment !== null) {
    pieces.push({
      kind: 'comment',
      text: plan.firstComment,
      path: plan.ownFirstComment ? `${plan.path}.firstComment` : 'firstComment',
      media: [],
    });
  }
  return pieces;
}

/** `targets[1]` → `targets[1].text`; `platformText.x` is its own text's path. */
function ownTextPath(path: string): string {
  return path.startsWith('platformText.') ? path : `${path}.text`;
}

/** Every platform rule the plans break, each naming its field; the post's own fields once per platform. */
export function contentProblems(
  validateContent: ValidateContent,
  rules: ContentRules,
  plans: readonly PlannedTarget[],
  media: readonly MediaItem[],
): ProblemError[] {
  const errors: ProblemError[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    for (const piece of piecesOf(plan, media)) {
      const key = `${plan.platform} ${piece.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(...pieceProblems(validateContent, rules, plan.platform, piece));
    }
  }
  return errors;
}

/** The rules one piece breaks on its platform, with paths pointing into the body. */
export function pieceProblems(
  validateContent: ValidateContent,
  rules: ContentRules,
  platform: Platform,
  piece: Piece,
): ProblemError[] {
  const violations = piece.kind === 'comment'
    ? rules.validateComment(platform, piece.text)
    : validateContent(platform, {
      text: piece.text,
      media: piece.media,
      ...(piece.replyTo ? { replyTo: piece.replyTo } : {}),
    });
  return violations.map((v) => ({
    // The validators name `text` (or `firstComment`); media paths stay as they are.
    path: v.path === 'text' || v.path === 'firstComment' || v.path === 'replyTo' ? piece.path : v.path,
    message: `${platform}: ${v.message}`,
    platform: v.platform,
    rule: v.rule,
  }));
}

/** Throws content_invalid listing each rule broken. */
export function throwContentProblems(errors: ProblemError[]): void {
  if (errors.length === 0) return;
  throw invalidInput(
    errors,
    'content_invalid',
    `the content breaks ${errors.length} platform rule${errors.length === 1 ? '' : 's'}: ` +
      errors.map((e) => `${e.platform} ${e.rule} (${e.path})`).join('; '),
  );
}

/**
 * The own content of each target a request names: `targets[i]`'s fields, or `platformText` by the
 * platform each `platforms[i]` resolved to. Paths for the errors.
 */
export function ownContentOfRequest(
  body: {
    targets?: (TargetContentInput & { accountId: string })[] | undefined;
    platformText?: Partial<Record<Platform, string | undefined>> | undefined;
  },
  accounts: readonly { platform: Platform }[],
): { own: (TargetContentInput | undefined)[]; paths: (string | null)[] } {
  if (body.targets) {
    return {
      own: body.targets.map(({ accountId: _, ...own }) => own),
      paths: body.targets.map((_, i) => `targets[${i}]`),
    };
  }
  const byPlatform = body.platformText ?? {};
  return {
    own: accounts.map((
      a,
    ) => (byPlatform[a.platform] === undefined ? undefined : { text: byPlatform[a.platform] })),
    paths: accounts.map((a) => (byPlatform[a.platform] === undefined ? null : `platformText.${a.platform}`)),
  };
}

/** platformText naming a platform no target publishes to: a mistake the caller should hear about. */
export function unusedPlatformText(
  platformText: Partial<Record<Platform, string | undefined>> | undefined,
  platforms: readonly Platform[],
): ProblemError[] {
  if (!platformText) return [];
  return Object.keys(platformText)
    .filter((p) => platformText[p as Platform] !== undefined && !platforms.includes(p as Platform))
    .map((p) => ({
      path: `platformText.${p}`,
      message: `the post has no ${p} target; remove platformText.${p} or add ${p} to platforms`,
    }));
}
