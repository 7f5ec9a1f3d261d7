/**
 * A PostScheduler that records every call and can be told to fail like an unreachable Redis.
 */
import type { Post } from '../../src/domain/post.ts';
import type { PostScheduler } from '../../src/api/post-scheduler.ts';

type Action = 'schedule' | 'reschedule' | 'cancel';

export interface FakePostScheduler extends PostScheduler {
  calls: { action: Action; postId: string; version: number }[];
  /** When true every call rejects as if Redis were down. */
  down: boolean;
}

export function createFakePostScheduler(): FakePostScheduler {
  const fake: FakePostScheduler = {
    calls: [],
    down: false,
    schedule: (post) => record('schedule', post),
    reschedule: (post) => record('reschedule', post),
    cancel: (post) => record('cancel', post),
    ping: () => (fake.down ? Promise.reject(redisDown()) : Promise.resolve()),
  };
  function record(action: Action, post: Post): Promise<void> {
    if (fake.down) return Promise.reject(redisDown());
    fake.calls.push({ action, postId: post.id, version: post.version });
    return Promise.resolve();
  }
  return fake;
}

function redisDown(): Error {
  return new Error('connect ECONNREFUSED 127.0.0.1:6379');
}
