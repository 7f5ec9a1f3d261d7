/**
 * What both notification stores check and default on a webhook endpoint before storing it, so the
 * memory store cannot accept what Postgres refuses (or the reverse): the URL in its normalised form
 * (the shape the database's check constraint also requires), a storable description of at most 200
 * characters, known events (default: all of them, duplicates dropped), a `whsec_` secret. Failures
 * are `validation_failed` naming the field (a 422 through the API). Also: the cipher context of a
 * sealed secret and the per-owner limit error. Pure.
 */
import { NOTIFICATION_KINDS } from '../domain/notification-kinds.ts';
import type { NotificationKind } from '../domain/notification-kinds.ts';
import { storableTextProblem } from '../domain/storable-text.ts';
import { MAX_ENDPOINT_URL_LENGTH, STORED_ENDPOINT_URL } from '../net/endpoint-url.ts';
import { isWebhookSecret } from '../net/standard-webhooks.ts';
import type { EndpointChanges, NewEndpoint } from './notification-store.ts';
import { charCount } from '../domain/storable-text.ts';
import { storeError } from './store-errors.ts';
import type { StoreError } from './store-errors.ts';

export const MAX_DESCRIPTION_CHARS = 200;

export interface CheckedNewEndpoint {
  userId: string;
  url: string;
  description: string | null;
  secret: string;
  events: NotificationKind[];
  enabled: boolean;
}

/** `input` with every default applied; throws validation_failed naming the first bad field. */
export function checkNewEndpoint(input: NewEndpoint): CheckedNewEndpoint {
  checkSecret(input.secret);
  return {
    userId: input.userId,
    url: checkUrl(input.url),
    description: checkDescription(input.description ?? null),
    secret: input.secret,
    events: checkEvents(input.events ?? NOTIFICATION_KINDS),
    enabled: input.enabled ?? true,
  };
}

/** `changes` checked; only the fields given are present in the result. */
export function checkEndpointChanges(changes: EndpointChanges): EndpointChanges {
  return {
    ...(changes.url !== undefined ? { url: checkUrl(changes.url) } : {}),
    ...(changes.description !== undefined ? { description: checkDescription(changes.description) } : {}),
    ...(changes.events !== undefined ? { events: checkEvents(changes.events) } : {}),
    ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
  };
}

export function checkSecret(secret: string): void {
  if (!isWebhookSecret(secret)) {
    throw storeError('validation_failed', 'secret must look like whsec_<base64> (generateWebhookSecret)', {
      path: 'secret',
    });
  }
}

/** The additional data bound into a sealed signing secret: it decrypts only for its endpoint. */
export function signingSecretContext(endpointId: string): string {
  return `${endpointId}:webhook_secret`;
}

export function endpointLimitReached(max: number): StoreError {
  return storeError(
    'endpoint_limit_reached',
    `you already have ${max} webhook endpoints, the most allowed; delete one (DELETE /notification-endpoints/{id}) ` +
      'or change an existing one instead',
    { maxPerUser: max },
  );
}

/** The stored URL broke the database's check (a row saved before it existed). */
export function storedUrlInvalid(endpointId: string): StoreError {
  return storeError(
    'validation_failed',
    `the URL stored for endpoint ${endpointId} predates the URL rules and cannot be kept; send a new url`,
    { path: 'url', endpointId },
  );
}

function checkUrl(url: string): string {
  if (url.length > MAX_ENDPOINT_URL_LENGTH || !STORED_ENDPOINT_URL.test(url)) {
    throw storeError(
      'validation_failed',
      'url must be normalised by checkEndpointUrl (src/net/endpoint-url.ts) before it is stored: ' +
        `lower-case http(s) scheme and host, printable ASCII, at most ${MAX_ENDPOINT_URL_LENGTH} characters`,
      { path: 'url' },
    );
  }
  return url;
}

function checkDescription(description: string | null): string | null {
  if (description === null) return null;
  const problem = storableTextProblem(description);
  if (problem) throw storeError('validation_failed', `description ${problem}`, { path: 'description' });
  if (charCount(description) > MAX_DESCRIPTION_CHARS) {
    throw storeError(
      'validation_failed',
      `description is longer than ${MAX_DESCRIPTION_CHARS} characters`,
      { path: 'description' },
    );
  }
  return description;
}

function checkEvents(events: readonly string[]): NotificationKind[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) {
    throw storeError('validation_failed', 'list at least one event, e.g. ["post.failed"]', {
      path: 'events',
    });
  }
  const unknown = unique.find((e) => !(NOTIFICATION_KINDS as readonly string[]).includes(e));
  if (unknown !== undefined) {
    throw storeError(
      'validation_failed',
      `unknown event ${JSON.stringify(unknown)}; use any of ${NOTIFICATION_KINDS.join(', ')}`,
      { path: 'events' },
    );
  }
  return unique as NotificationKind[];
}
