/**
 * What jobs carry: ids only — never text, media or tokens (DESIGN.md §4). Keys are one letter
 * because the data is stored in every job hash and hosted Redis is priced by memory. The worker
 * validates data with zod before acting; bad data fails the job with a reason, never a crash.
 */
import { z } from 'zod';

const uuid = z.uuid({ error: 'must be a uuid' });
const version = z.int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more' });

/** Data of a `posts` job: `{ p: postId, v: version }`. */
export const postJobDataSchema = z.object({ p: uuid, v: version }).strict();
export type PostJobData = z.infer<typeof postJobDataSchema>;

/** Data of a `publish` job: `{ p: postId, v: version, t: targetId }`. */
export const publishJobDataSchema = z.object({ p: uuid, v: version, t: uuid }).strict();
export type PublishJobData = z.infer<typeof publishJobDataSchema>;

export class JobDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobDataError';
  }
}

export function parsePostJobData(data: unknown): PostJobData {
  return parse(postJobDataSchema, data, 'post');
}

export function parsePublishJobData(data: unknown): PublishJobData {
  return parse(publishJobDataSchema, data, 'publish');
}

function parse<T>(schema: z.ZodType<T>, data: unknown, kind: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ');
  throw new JobDataError(`invalid ${kind} job data (${problems}); the job was dropped without publishing`);
}
