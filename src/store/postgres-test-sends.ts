/**
 * The test-send limit in public.notification_test_sends: one row per test event sent, per creator.
 * Taking a slot locks the creator (advisory transaction lock), forgets sends older than the window,
 * decides with src/domain/test-send-limit.ts over the rest and records the new send, all in one
 * transaction: concurrent requests cannot overshoot the limit, across API processes and Edge
 * Function isolates alike (none of them keeps the count in memory).
 */
import type postgres from 'postgres';
import { decideTestSend } from '../domain/test-send-limit.ts';
import type { TestSendDecision, TestSendLimit } from '../domain/test-send-limit.ts';
import type { NotificationStore } from './notification-store.ts';

export function createPostgresTestSends(
  options: { sql: postgres.Sql },
): Pick<NotificationStore, 'takeTestSendSlot'> {
  const { sql } = options;
  return {
    async takeTestSendSlot(userId: string, endpointId: string, at: Date, limit: TestSendLimit) {
      const windowStart = new Date(at.getTime() - limit.windowMs);
      return await sql.begin(async (tx): Promise<TestSendDecision> => {
        await tx`select pg_advisory_xact_lock(hashtextextended(${`notification_test_sends:${userId}`}, 0))`;
        await tx`delete from public.notification_test_sends where user_id = ${userId} and sent_at <= ${windowStart}`;
        const rows = await tx<{ sent_at: Date }[]>`
          select sent_at from public.notification_test_sends
          where user_id = ${userId} order by sent_at desc limit ${limit.max}`;
        const decision = decideTestSend(rows.map((r) => r.sent_at), at, limit);
        if (decision.allowed) {
          await tx`
            insert into public.notification_test_sends (user_id, endpoint_id, sent_at)
            values (${userId}, ${endpointId}, ${at})`;
        }
        return decision;
      });
    },
  };
}
