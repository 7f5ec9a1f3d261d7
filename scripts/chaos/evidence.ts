/**
 * What the oracle judges, read at the end: every post and target in the soak's database (with the
 * account's external id, which is what the sandbox records as a copy's subject), the attempt log's
 * ambiguous sends, and every copy the sandbox made live. Each copy is tied to a post and version by
 * the tag in the text the platform received (see load-plan.ts).
 */
import type { Platform } from '../../src/domain/platform.ts';
import type { ChaosDatabase } from './chaos-database.ts';
import { TAG_PATTERN } from './load-plan.ts';
import type { SandboxControl, SandboxCopy } from './sandbox-control.ts';

export interface TargetRow {
  targetId: string;
  postId: string;
  platform: Platform;
  accountExternalId: string | null;
  status: string;
  externalId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  publishedAt: Date | null;
  attempts: number;
  /** Distinct error codes and outcomes of its attempts, e.g. "platform_unavailable,retrying". */
  attemptTrail: string | null;
}

export interface PostRow {
  postId: string;
  status: string;
  version: number;
  text: string;
  scheduledAt: Date;
}

export interface TaggedCopy {
  copy: SandboxCopy;
  /** Null when the received text carries no tag of this run. */
  n: number | null;
  edit: number | null;
  /** The text as the platform received it (before any display transformation). */
  receivedText: string;
}

export interface Evidence {
  posts: PostRow[];
  targets: TargetRow[];
  copies: TaggedCopy[];
  /** Distinct targets with an attempt whose outcome the worker could not know (timeout, drop, crash). */
  ambiguousTargets: number;
  ambiguousAttempts: number;
}

export async function collectEvidence(
  db: ChaosDatabase,
  sandbox: SandboxControl,
  runId: string,
): Promise<Evidence> {
  const { sql } = db;
  const posts = await sql<PostRow[]>`
    select id as "postId", status::text as status, version, text, scheduled_at as "scheduledAt"
    from public.posts`;
  const targets = await sql<TargetRow[]>`
    select t.id as "targetId", t.post_id as "postId", t.platform::text as platform,
           a.external_id as "accountExternalId", t.status::text as status, t.external_id as "externalId",
           t.error_code as "errorCode", t.error_message as "errorMessage", t.published_at as "publishedAt",
           t.attempts,
           (select string_agg(distinct coalesce(x.error_code, x.outcome::text), ',')
            from public.post_target_attempts x where x.target_id = t.id) as "attemptTrail"
    from public.post_targets t left join public.social_accounts a on a.id = t.account_id`;
  const [ambiguous] = await sql<{ targets: number; attempts: number }[]>`
    select count(distinct target_id)::int as targets, count(*)::int as attempts
    from public.post_target_attempts
    where outcome::text in ('unconfirmed', 'reconciled') or error_code = 'outcome_unknown'`;
  const copies = (await sandbox.published()).map((copy) => tagCopy(copy, runId));
  return {
    posts: [...posts],
    targets: [...targets],
    copies,
    ambiguousTargets: ambiguous?.targets ?? 0,
    ambiguousAttempts: ambiguous?.attempts ?? 0,
  };
}

/** The text each platform's request carried: X `text`, Instagram `caption`, LinkedIn `commentary`. */
export function receivedText(copy: SandboxCopy): string {
  const body = (copy.received ?? {}) as Record<string, unknown>;
  for (const field of ['text', 'caption', 'commentary']) {
    if (typeof body[field] === 'string') return body[field] as string;
  }
  return copy.text;
}

export function tagCopy(copy: SandboxCopy, runId: string): TaggedCopy {
  const text = receivedText(copy);
  const match = TAG_PATTERN.exec(text) ?? TAG_PATTERN.exec(copy.text);
  if (!match || match[1] !== runId) return { copy, n: null, edit: null, receivedText: text };
  return { copy, n: Number(match[2]), edit: Number(match[3]), receivedText: text };
}
