/**
 * How much of a run's time for platform calls is left. A budget counts from `askedAt`, the
 * `performance.now()` taken just before the run asked the store for its claim (or its takeover), so
 * a slow database shortens the calls instead of stretching the claim (runBudgetMs, worker-deps.ts).
 */

/** What is left of this run's budget for platform calls, in ms. */
export function budgetLeft(askedAt: number, budgetMs: number): number {
  return Math.floor(askedAt + budgetMs - performance.now());
}
