/**
 * NOTIFY_RELAY=true: where pg_net is absent (plain Postgres, self-hosting), the trigger sends the
 * status webhook with pg_notify('post_status_webhook', …) and this relay — running in the worker —
 * LISTENs and hands each payload to the same handler the Edge Function uses.
 *
 * - LISTEN needs a session connection: use DIRECT_URL, not a transaction pooler.
 * - A payload that fails validation is logged and dropped; a handler failure (database, Redis) is
 *   retried a few times with backoff, then logged as an error.
 * - NOTIFY is not queued for absent listeners: events raised while no relay listens are not
 *   delivered (postgres.js re-LISTENs after a reconnect). Several relays (worker replicas) each get
 *   every event; the handler's event key makes that one notification.
 */
import type postgres from 'postgres';
import { coerceError, hasErrorCode } from '../domain/error-codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { StatusEventHandler } from './status-event-handler.ts';

export const NOTIFY_CHANNEL = 'post_status_webhook';
/** Waits before each retry of a failed handling. (Default: 200 ms, 1 s, 5 s) */
export const RELAY_RETRY_DELAYS_MS = [200, 1000, 5000] as const;

export interface NotifyRelayOptions {
  /** A connection to the database (its URL should be a direct/session one). */
  sql: postgres.Sql;
  handle: StatusEventHandler;
  logger: Logger;
  retryDelaysMs?: readonly number[];
}

export interface RunningNotifyRelay {
  close(): Promise<void>;
}

export async function startNotifyRelay(options: NotifyRelayOptions): Promise<RunningNotifyRelay> {
  const log = options.logger.child({ component: 'notify-relay' });
  const delays = options.retryDelaysMs ?? RELAY_RETRY_DELAYS_MS;
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();

  async function relay(text: string): Promise<void> {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      log.warn({ bytes: text.length }, 'relayed notification is not JSON; dropped');
      return;
    }
    for (let attempt = 0;; attempt++) {
      try {
        const result = await options.handle(payload);
        log.debug({ outcome: result.outcome }, 'status notification relayed');
        return;
      } catch (err) {
        if (hasErrorCode(err, 'webhook_payload_invalid')) {
          log.warn({ err: coerceError(err).message }, 'relayed payload rejected; dropped');
          return;
        }
        const delay = delays[attempt];
        if (delay === undefined || stopping.signal.aborted) {
          log.error(
            { err: coerceError(err), attempts: attempt + 1 },
            'relaying a status notification failed',
          );
          return;
        }
        log.warn({ err: coerceError(err).message, retryInMs: delay }, 'relaying failed; retrying');
        await wait(delay, stopping.signal);
      }
    }
  }

  const subscription = await options.sql.listen(
    NOTIFY_CHANNEL,
    (text) => {
      const done = relay(text).finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
    () => log.info({ channel: NOTIFY_CHANNEL }, 'listening for status notifications'),
  );

  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        await subscription.unlisten();
        stopping.abort();
        await Promise.allSettled([...inFlight]);
        log.info('notify relay stopped');
      })();
      return closing;
    },
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
