/**
 * Statements sent back to back on one connection without waiting for each answer: one network round
 * trip for all of them (postgres.js writes queries issued in the same tick in one packet and reads the
 * answers in order). The worker's hot path uses it so a claim, a settle or a roll-up costs one round
 * trip however many statements it needs (docs/operations.md, "Database round trips").
 *
 * `inTransaction` wraps the statements in `begin … commit`, still in one round trip: if one of them
 * fails, Postgres aborts the transaction, the statements after it fail with 25P02 and the `commit`
 * answers ROLLBACK, so nothing of it is kept; the first statement's own error is thrown.
 */
import type postgres from 'postgres';

type Statement = PromiseLike<unknown>;

/** Runs `build`'s statements in order on one reserved connection; resolves to their rows, in order. */
export async function pipelined<T extends readonly Statement[]>(
  sql: postgres.Sql,
  build: (c: postgres.ReservedSql) => T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const c = await sql.reserve();
  try {
    const settled = await Promise.allSettled(build(c));
    // The first failure in statement order is the cause; later ones only report the aborted transaction.
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
      [K in keyof T]: Awaited<T[K]>;
    };
  } finally {
    c.release();
  }
}

/** `pipelined` inside `begin … commit`: atomic, one round trip. */
export async function inTransaction<T extends readonly Statement[]>(
  sql: postgres.Sql,
  build: (c: postgres.ReservedSql) => T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const results = await pipelined(sql, (c) => [c`begin`, ...build(c), c`commit`] as const);
  return results.slice(1, -1) as unknown as { [K in keyof T]: Awaited<T[K]> };
}
