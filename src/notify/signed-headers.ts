/**
 * The headers of one webhook request: JSON, our user agent, and the Standard Webhooks id, timestamp
 * and signature — signed with every secret the endpoint has at `at` (the current one, and during a
 * rotation window the previous one too, so receivers holding either verify it). An endpoint deleted
 * since the message was queued has no secret: that is a permanent refusal, not a retry.
 */
import { signWebhook } from '../net/standard-webhooks.ts';
import type { NotificationEndpoint, NotificationStore } from '../store/notification-store.ts';

export const USER_AGENT = 'SoloSpark-Webhooks/1.0';

export type SignedHeaders = { ok: true; headers: Record<string, string> } | { ok: false; problem: string };

export async function signedHeaders(
  endpoint: Pick<NotificationEndpoint, 'id'>,
  message: { id: string; body: string },
  store: Pick<NotificationStore, 'getSigningSecrets'>,
  at: Date,
): Promise<SignedHeaders> {
  const secrets = await store.getSigningSecrets(endpoint.id, at);
  if (!secrets || secrets.length === 0) {
    return { ok: false, problem: `endpoint ${endpoint.id} no longer exists; nothing was sent` };
  }
  return {
    ok: true,
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...(await signWebhook(secrets, message.id, message.body, at)),
    },
  };
}
