/**
 * What both notification stores check on a new notification before storing it, so the memory store
 * refuses what the table's check constraints refuse (and neither fails later on a text Postgres
 * cannot hold). The wording is server-made (src/notify/notification-text.ts), so it is made storable
 * (toStorableText, src/domain/storable-text.ts) rather than refused; only limits the composer must keep are errors.
 */
import { NOTIFICATION_KINDS } from '../domain/notification-kinds.ts';
import type { NewNotification } from './notification-store.ts';
import { charCount, toStorableText } from '../domain/storable-text.ts';
import { storeError } from './store-errors.ts';

const LIMITS = { title: 200, body: 4000, link: 2000, eventKey: 300 } as const;

/** `input` with storable texts; throws validation_failed naming a field past its limit. */
export function checkNewNotification(input: NewNotification): NewNotification {
  if (!(NOTIFICATION_KINDS as readonly string[]).includes(input.kind)) {
    throw storeError('validation_failed', `kind must be one of ${NOTIFICATION_KINDS.join(', ')}`, {
      path: 'kind',
    });
  }
  const checked: NewNotification = {
    ...input,
    title: toStorableText(input.title),
    body: toStorableText(input.body),
    link: input.link === null ? null : toStorableText(input.link),
  };
  for (const field of ['title', 'body'] as const) {
    if (checked[field].length === 0) {
      throw storeError('validation_failed', `${field} must not be empty`, { path: field });
    }
  }
  for (const field of ['title', 'body', 'link', 'eventKey'] as const) {
    const value = checked[field];
    if (value !== null && charCount(value) > LIMITS[field]) {
      throw storeError('validation_failed', `${field} is longer than ${LIMITS[field]} characters`, {
        path: field,
      });
    }
  }
  return checked;
}
