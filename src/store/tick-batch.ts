/**
 * Calls made within one turn of the event loop, answered together by one `run` over all their keys (a
 * DataLoader without the cache). The worker starts a post's targets side by side, and a burst starts
 * many posts in the same turn: their claims then share one statement instead of one each.
 *
 * A key asked for twice in one batch is one compare-and-set: the first caller gets the answer, the
 * later ones `undefined`, exactly as if they had come one after the other and lost. A failed `run`
 * rejects every caller of its batch.
 */
import { setImmediate } from 'node:timers';

/** Keys per `run` at most; more wait for the next batch. (Default: 200) */
export const DEFAULT_MAX_BATCH = 200;

export function createTickBatch<K, V>(
  run: (keys: K[]) => Promise<Map<K, V>>,
  maxBatch = DEFAULT_MAX_BATCH,
): (key: K) => Promise<V | undefined> {
  const waiting: { key: K; resolve(v: V | undefined): void; reject(e: unknown): void }[] = [];

  function flush(): void {
    const batch = waiting.splice(0, maxBatch);
    if (waiting.length > 0) setImmediate(flush);
    const keys = [...new Set(batch.map((w) => w.key))];
    run(keys).then(
      (answers) => {
        const answered = new Set<K>();
        for (const w of batch) {
          w.resolve(answered.has(w.key) ? undefined : answers.get(w.key));
          answered.add(w.key);
        }
      },
      (err) => {
        for (const w of batch) w.reject(err);
      },
    );
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      // setImmediate runs after this turn's callbacks and microtasks: everything started in this turn joins.
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ key, resolve, reject });
    });
}
