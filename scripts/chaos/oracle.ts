/**
 * The oracle: judges the end state against the invariants in docs/operations.md, from the sandbox's own record of
 * every post it made live and from the database. Copies are tied to targets by (platform, account
 * external id, post tag); texts are unique per post and version, so nothing is ambiguous.
 *
 * Per target: at most one copy; `published` ⇔ exactly one copy whose id is the stored external_id;
 * `failed`/`cancelled` ⇒ no copy; `unconfirmed` ⇒ an error message (and we count how many were really
 * out). No copy carries any text but the post's current version. Every post and target is terminal.
 * What the API accepted holds: a 201 post exists, a 204 cancel left it cancelled, a 200 edit's text
 * (or a later accepted one) is the post's text.
 */
import type { Evidence, TaggedCopy } from './evidence.ts';
import { FAULT_SETTLE_MS } from './fault-kinds.ts';
import type { FaultEvent } from './fault-injector.ts';
import type { Percentiles } from './lateness.ts';
import { nearFault, percentiles } from './lateness.ts';
import { checkApiPromises } from './api-promises.ts';
import type { PostRecord } from './load-driver.ts';
import { TAG_PATTERN } from './load-plan.ts';

const TERMINAL_POST = new Set(['published', 'partially_published', 'failed', 'cancelled']);

export type ViolationKind =
  | 'duplicate'
  | 'lost'
  | 'wrong_external_id'
  | 'old_version_copy'
  | 'live_but_failed'
  | 'live_but_cancelled'
  | 'orphan_copy'
  | 'non_terminal'
  | 'unconfirmed_without_reason'
  | 'cancel_not_kept'
  | 'edit_not_kept'
  /** Not a violation: an unconfirmed target, listed so the report shows where they came from. */
  | 'unconfirmed';

export interface Violation {
  kind: ViolationKind;
  post: number | null;
  platform: string | null;
  detail: string;
  /** Faults active around the post's due time and publish time, for the report. */
  faults: string[];
}

export interface Verdict {
  posts: number;
  targets: number;
  copies: number;
  targetStatuses: Record<string, number>;
  postStatuses: Record<string, number>;
  duplicates: number;
  duplicateCopies: number;
  lost: number;
  wrongExternalId: number;
  oldVersionCopies: number;
  liveButFailed: number;
  liveButCancelled: number;
  orphanCopies: number;
  nonTerminalPosts: number;
  nonTerminalTargets: number;
  unconfirmed: { total: number; reallyOut: number; notOut: number; withoutReason: number };
  ambiguousSends: number;
  /** unconfirmed / ambiguous sends (0 when there were none). */
  unconfirmedRatio: number;
  failedByCode: Record<string, number>;
  cancelNotKept: number;
  editNotKept: number;
  /** Published targets: published_at − scheduled_at, in ms. */
  lateness: Percentiles;
  latenessAll: Percentiles;
  /** The latest published targets, to see what held them up. */
  slowest: {
    post: number;
    platform: string;
    latenessMs: number;
    attempts: number;
    /** Distinct error codes and outcomes of its attempts. */
    attemptTrail: string | null;
  }[];
  /** Text differences between what we sent and what the platform received (informational). */
  alteredTexts: number;
  violations: Violation[];
  /** Findings that break nothing but deserve a look (each unconfirmed target). */
  notes: Violation[];
}

export function judge(input: {
  evidence: Evidence;
  records: readonly PostRecord[];
  faults: readonly FaultEvent[];
  runId: string;
}): Verdict {
  const { evidence, records, faults, runId } = input;
  const violations: Violation[] = [];
  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

  const postByN = new Map<number, (typeof evidence.posts)[number] & { edit: number }>();
  const nByPostId = new Map<string, number>();
  for (const post of evidence.posts) {
    const tag = TAG_PATTERN.exec(post.text);
    if (!tag || tag[1] !== runId) continue;
    postByN.set(Number(tag[2]), { ...post, edit: Number(tag[3]) });
    nByPostId.set(post.postId, Number(tag[2]));
  }
  const recordByN = new Map(records.map((r) => [r.plan.n, r]));

  const faultsAround = (n: number | null, platform: string | null, until: Date | null): string[] => {
    const record = n === null ? undefined : recordByN.get(n);
    if (!record) return [];
    const from = record.dueAt.getTime() - 2000;
    const to = Math.max(until?.getTime() ?? 0, record.dueAt.getTime()) + 1000;
    return faults
      .filter((f) => f.startedAt <= to && f.endedAt + FAULT_SETTLE_MS[f.kind] >= from)
      .filter((f) => !f.platform || !platform || f.platform === platform)
      .map((f) => `${f.kind}${f.platform ? `(${f.platform})` : ''}${f.detail ? ` ${f.detail}` : ''}`);
  };
  const violate = (
    kind: ViolationKind,
    n: number | null,
    platform: string | null,
    detail: string,
    until: Date | null = null,
  ) => violations.push({ kind, post: n, platform, detail, faults: faultsAround(n, platform, until) });

  // Copies grouped by target key; copies that map to no target are orphans.
  const copiesByKey = new Map<string, TaggedCopy[]>();
  const keyOf = (platform: string, subject: string, n: number) => `${platform}|${subject}|${n}`;
  for (const copy of evidence.copies) {
    if (copy.n === null) {
      violate(
        'orphan_copy',
        null,
        copy.copy.platform,
        `a ${copy.copy.platform} copy without a tag of this run: ${copy.receivedText.slice(0, 80)}`,
      );
      continue;
    }
    const key = keyOf(copy.copy.platform, copy.copy.subject, copy.n);
    copiesByKey.set(key, [...(copiesByKey.get(key) ?? []), copy]);
  }

  const targetStatuses: Record<string, number> = {};
  const failedByCode: Record<string, number> = {};
  const unconfirmed = { total: 0, reallyOut: 0, notOut: 0, withoutReason: 0 };
  const matchedKeys = new Set<string>();
  let duplicates = 0, duplicateCopies = 0, lost = 0, wrongExternalId = 0, oldVersionCopies = 0;
  let liveButFailed = 0, liveButCancelled = 0, nonTerminalTargets = 0, alteredTexts = 0;
  const lateAll: number[] = [];
  const slow: Verdict['slowest'] = [];
  const lateCalm: number[] = [];

  for (const target of evidence.targets) {
    count(targetStatuses, target.status);
    const n = nByPostId.get(target.postId) ?? null;
    const post = n === null ? undefined : postByN.get(n);
    if (n === null || !post || !target.accountExternalId) continue;
    const key = keyOf(target.platform, target.accountExternalId, n);
    matchedKeys.add(key);
    const copies = copiesByKey.get(key) ?? [];
    const lastCopyAt = copies.reduce<Date | null>((max, c) => {
      const at = new Date(c.copy.publishedAt);
      return !max || at > max ? at : max;
    }, target.publishedAt);
    const where = `post ${n} ${target.platform} target ${target.targetId}`;

    if (copies.length > 1) {
      duplicates++;
      duplicateCopies += copies.length - 1;
      violate(
        'duplicate',
        n,
        target.platform,
        `${where} (${target.status}) is live ${copies.length} times: ${
          copies.map((c) => c.copy.id).join(', ')
        }`,
        lastCopyAt,
      );
    }
    for (const copy of copies) {
      if (copy.edit !== post.edit) {
        oldVersionCopies++;
        violate(
          'old_version_copy',
          n,
          target.platform,
          `${where} has a live copy of edit ${copy.edit}, but the post's text is edit ${post.edit}`,
          lastCopyAt,
        );
      }
      if (
        copy.receivedText !== post.text && copy.edit === post.edit &&
        !sameAfterEscaping(copy.receivedText, post.text)
      ) alteredTexts++;
    }
    switch (target.status) {
      case 'published':
        if (copies.length === 0) {
          lost++;
          violate(
            'lost',
            n,
            target.platform,
            `${where} is published (external id ${target.externalId}) but no copy is live`,
            target.publishedAt,
          );
        } else if (copies.length === 1 && copies[0]!.copy.id !== target.externalId) {
          wrongExternalId++;
          violate(
            'wrong_external_id',
            n,
            target.platform,
            `${where} stored external id ${target.externalId}, but the live copy is ${copies[0]!.copy.id}`,
            lastCopyAt,
          );
        }
        if (target.publishedAt) {
          const lateMs = target.publishedAt.getTime() - post.scheduledAt.getTime();
          lateAll.push(lateMs);
          slow.push({
            post: n,
            platform: target.platform,
            latenessMs: lateMs,
            attempts: target.attempts,
            attemptTrail: target.attemptTrail,
          });
        }
        if (target.publishedAt && !nearFault(faults, post.scheduledAt.getTime(), target.platform)) {
          lateCalm.push(target.publishedAt.getTime() - post.scheduledAt.getTime());
        }
        break;
      case 'failed':
        count(failedByCode, target.errorCode ?? 'none');
        if (copies.length > 0) {
          liveButFailed++;
          violate(
            'live_but_failed',
            n,
            target.platform,
            `${where} is failed (${target.errorCode}) but live as ${copies.map((c) => c.copy.id).join(', ')}`,
            lastCopyAt,
          );
        }
        break;
      case 'cancelled':
        if (copies.length > 0) {
          liveButCancelled++;
          violate(
            'live_but_cancelled',
            n,
            target.platform,
            `${where} is cancelled but live as ${copies.map((c) => c.copy.id).join(', ')}`,
            lastCopyAt,
          );
        }
        break;
      case 'unconfirmed':
        unconfirmed.total++;
        if (copies.length > 0) unconfirmed.reallyOut++;
        else unconfirmed.notOut++;
        violate(
          'unconfirmed',
          n,
          target.platform,
          `${where} is unconfirmed (${copies.length > 0 ? 'really out' : 'not out'}): ${
            target.errorMessage?.slice(0, 160)
          }`,
          lastCopyAt,
        );
        if (!target.errorMessage) {
          unconfirmed.withoutReason++;
          violate(
            'unconfirmed_without_reason',
            n,
            target.platform,
            `${where} is unconfirmed without an error message`,
          );
        }
        break;
      default:
        nonTerminalTargets++;
        violate(
          'non_terminal',
          n,
          target.platform,
          `${where} is still ${target.status} (attempts ${target.attempts}, last error ${target.errorCode})`,
        );
    }
  }
  let orphanCopies = violations.filter((v) => v.kind === 'orphan_copy').length;
  for (const [key, copies] of copiesByKey) {
    if (matchedKeys.has(key)) continue;
    orphanCopies += copies.length;
    const [platform] = key.split('|');
    violate(
      'orphan_copy',
      copies[0]!.n,
      platform ?? null,
      `a copy (${copies.map((c) => c.copy.id).join(', ')}) for no target of this post: ${key}`,
    );
  }

  const postStatuses: Record<string, number> = {};
  let nonTerminalPosts = 0;
  for (const post of evidence.posts) {
    count(postStatuses, post.status);
    if (!TERMINAL_POST.has(post.status)) {
      nonTerminalPosts++;
      const n = nByPostId.get(post.postId) ?? null;
      violate('non_terminal', n, null, `post ${n} (${post.postId}) is still ${post.status}`);
    }
  }

  // What the API accepted must hold.
  const promises = checkApiPromises(records, postByN, violate);
  lost += promises.lost;

  const notes = violations.filter((v) => v.kind === 'unconfirmed');
  return {
    posts: evidence.posts.length,
    targets: evidence.targets.length,
    copies: evidence.copies.length,
    targetStatuses,
    postStatuses,
    duplicates,
    duplicateCopies,
    lost,
    wrongExternalId,
    oldVersionCopies,
    liveButFailed,
    liveButCancelled,
    orphanCopies,
    nonTerminalPosts,
    nonTerminalTargets,
    unconfirmed,
    ambiguousSends: evidence.ambiguousTargets,
    unconfirmedRatio: evidence.ambiguousTargets === 0 ? 0 : unconfirmed.total / evidence.ambiguousTargets,
    failedByCode,
    cancelNotKept: promises.cancelNotKept,
    editNotKept: promises.editNotKept,
    lateness: percentiles(lateCalm),
    latenessAll: percentiles(lateAll),
    slowest: slow.sort((a, b) => b.latenessMs - a.latenessMs).slice(0, 5),
    alteredTexts,
    violations: violations.filter((v) => v.kind !== 'unconfirmed'),
    notes,
  };
}

/** LinkedIn receives little text: `\(` for `(` and so on. Equal once the escapes are taken out. */
function sameAfterEscaping(received: string, sent: string): boolean {
  return received.replace(/\\(.)/g, '$1') === sent;
}
