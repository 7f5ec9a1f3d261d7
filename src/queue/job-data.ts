/**
 * What jobs carry: ids only — never text, media or tokens (invariants, docs/operations.md). Keys are one letter
 * because the data is stored in every job hash and hosted Redis is priced by memory. The worker
 * validates data with zod before acting; bad data fails the job with a reason, never a crash.
 */
import { z } from 'zod';

const uuid = z.uuid({ error: 'must be a uuid' });
const version = z.int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more' });

/** Data of a `posts` job as stored: `{ p: postId, v: version }`. */
export const postJobDataSchema = z.object({ p: uuid, v: version }).strict();
export type PostJobData = z.infer<typeof postJobDataSchema>;

/** Data of a `publish` job as stored: `{ p: postId, v: version, t: targetId }`. */
export const targetJobDataSchema = z.object({ p: uuid, v: version, t: uuid }).strict();
export type TargetJobData = z.infer<typeof targetJobDataSchema>;

export class JobDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobDataError';
  }
}

/** A `posts` job's data, decoded: the short keys stop at this module. */
export interface PostJobRef {
  postId: string;
  version: number;
}

/** A `publish` job's data, decoded. */
export interface TargetJobRef extends PostJobRef {
  targetId: string;
}

export function parsePostJobData(data: unknown): PostJobRef {
  const { p, v } = parse(postJobDataSchema, data, 'post');
  return { postId: p, version: v };
}

export function parseTargetJobData(data: unknown): TargetJobRef {
  const { p, v, t } = parse(targetJobDataSchema, data, 'publish');
  return { postId: p, version: v, targetId: t };
}

export function encodePostJobData(ref: PostJobRef): PostJobData {
  return { p: ref.postId, v: ref.version };
}

export function encodeTargetJobData(ref: TargetJobRef): TargetJobData {
  return { p: ref.postId, v: ref.version, t: ref.targetId };
}

function parse<T>(schema: z.ZodType<T>, data: unknown, kind: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ');
  throw new JobDataError(`invalid ${kind} job data (${problems}); the job was dropped without publishing`);
}
