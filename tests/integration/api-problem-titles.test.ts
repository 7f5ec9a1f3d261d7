/**
 * Problem titles and details say, in plain words, what is wrong and what is accepted: no zod wording
 * ("Invalid input: expected string, received undefined"), no internal terms ("tolerance"), and our own
 * content check never claims a platform rejected anything (no platform was called).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { errorsFromZod } from '../../src/api/validation-error.ts';
import { createApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

interface Problem {
  title: string;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

describe('problem titles and details', () => {
  let h: ApiHarness;
  before(async () => {
    h = await createApiHarness();
    await h.connect(h.alice, 'x');
  });

  async function post(body: unknown): Promise<Problem> {
    const res = await h.call('POST', '/posts', { body });
    assert.equal(res.status, 422);
    return await res.json() as Problem;
  }

  it('an empty body: which fields are required, and the accepted format of scheduledAt', async () => {
    const problem = await post({});
    assert.equal(problem.title, 'Some fields are missing or not valid');
    const byPath = Object.fromEntries((problem.errors ?? []).map((e) => [e.path, e.message]));
    assert.match(byPath.text!, /^text is required/);
    assert.match(
      byPath.scheduledAt!,
      /^scheduledAt is required: when to publish, as ISO 8601 with a UTC offset/,
    );
    assert.match(byPath.scheduledAt!, /2026-12-01T09:30:00Z/);
    assert.match(byPath.scheduledAt!, /"now"/);
    assert.doesNotMatch(JSON.stringify(problem), /Invalid input|expected string|received undefined/);
  });

  it('a wrong type: what the field must be', async () => {
    const problem = await post({ text: 'hi', scheduledAt: 5, platforms: 'x' });
    const byPath = Object.fromEntries((problem.errors ?? []).map((e) => [e.path, e.message]));
    assert.match(byPath.scheduledAt!, /^scheduledAt must be a string: ISO 8601 with a UTC offset/);
    assert.match(byPath.platforms!, /^platforms must be a list, e.g. \["x", "linkedin"\]/);
    assert.doesNotMatch(JSON.stringify(problem), /Invalid input/);
  });

  it('a time in the past: says so, without internal terms', async () => {
    const problem = await post({ text: 'hi', scheduledAt: '2020-01-01T00:00:00Z', platforms: ['x'] });
    assert.equal(problem.code, 'schedule_in_past');
    assert.equal(problem.title, 'The scheduled time is in the past');
    assert.match(problem.detail, /scheduledAt 2020-01-01T00:00:00Z is in the past; choose a time after now/);
    assert.doesNotMatch(problem.title, /tolerance|ScheduledAt/);
  });

  it('our own content check does not say a platform rejected the post', async () => {
    const problem = await post({ text: 'x'.repeat(300), scheduledAt: 'now', platforms: ['x'] });
    assert.equal(problem.code, 'content_invalid');
    assert.equal(problem.title, "The post breaks a platform's rules");
    assert.doesNotMatch(problem.title, /rejected/);
    assert.match(problem.errors![0]!.message, /X allows 280 characters/);
  });

  it("puts zod's default wording in plain words where a schema has none of its own", () => {
    const schema = z.object({ name: z.string(), tags: z.array(z.string()), count: z.number().optional() });
    const parsed = schema.safeParse({ tags: 'a', count: 'three' });
    assert.ok(!parsed.success);
    assert.deepEqual(errorsFromZod(parsed.error), [
      { path: 'name', message: 'name is required (a string)' },
      { path: 'tags', message: 'tags must be an array, not string' },
      { path: 'count', message: 'count must be a number, not string' },
    ]);
  });
});
