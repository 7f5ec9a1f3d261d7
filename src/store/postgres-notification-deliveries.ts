/**
 * The delivery log in public.notification_deliveries: one row per attempt to send a message to an
 * endpoint, for diagnosis (the error made storable and cut to 1000 characters, the duration to whole
 * milliseconds — as the memory adapter keeps it).
 */
import type postgres from 'postgres';
import { isUuid } from './input-checks.ts';
import type { DeliveryAttempt, DeliveryRecord, NotificationStore } from './notification-store.ts';
import { MAX_DELIVERY_ERROR_CHARS } from './notification-store.ts';
import { toStorableText } from '../domain/storable-text.ts';

export function createPostgresNotificationDeliveries(
  options: { sql: postgres.Sql },
): Pick<NotificationStore, 'recordDelivery' | 'listDeliveries'> {
  const { sql } = options;
  return {
    async recordDelivery(attempt: DeliveryAttempt) {
      await sql`
        insert into public.notification_deliveries
          (endpoint_id, user_id, notification_id, message_id, event_type, attempt, status_code, error, duration_ms)
        values (${attempt.endpointId}, ${attempt.userId}, ${attempt.notificationId}, ${attempt.messageId},
                ${attempt.eventType}, ${attempt.attempt}, ${attempt.statusCode},
                ${attempt.error === null ? null : toStorableText(attempt.error, MAX_DELIVERY_ERROR_CHARS)},
                ${Math.max(0, Math.round(attempt.durationMs))})`;
    },

    async listDeliveries(endpointId: string, limit = 50): Promise<DeliveryRecord[]> {
      if (!isUuid(endpointId)) return [];
      const rows = await sql<{
        endpoint_id: string;
        user_id: string;
        notification_id: string | null;
        message_id: string;
        event_type: string;
        attempt: number;
        status_code: number | null;
        error: string | null;
        duration_ms: number;
        created_at: Date;
      }[]>`
        select endpoint_id, user_id, notification_id, message_id, event_type, attempt, status_code, error,
               duration_ms, created_at
        from public.notification_deliveries where endpoint_id = ${endpointId}
        order by created_at desc, id desc limit ${limit}`;
      return rows.map((r) => ({
        endpointId: r.endpoint_id,
        userId: r.user_id,
        notificationId: r.notification_id,
        messageId: r.message_id,
        eventType: r.event_type,
        attempt: r.attempt,
        statusCode: r.status_code,
        error: r.error,
        durationMs: r.duration_ms,
        createdAt: r.created_at,
      }));
    },
  };
}
