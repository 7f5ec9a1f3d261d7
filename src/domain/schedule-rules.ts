/**
 * The rules of when and what a post may be, in one place: the API, the store and the worker apply
 * them; none restates them.
 */

/** Longest post text, in code points (what a person counts; each platform's own limit still applies). */
export const MAX_POST_TEXT_LENGTH = 10_000;

/** A post text's length as MAX_POST_TEXT_LENGTH counts it: code points, so an emoji is one. */
export function postTextLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** How far in the past scheduledAt may lie and still be accepted (clocks differ; "now" takes a moment). */
export const PAST_TOLERANCE_MS = 60_000;

/** True when scheduledAt lies further in the past than PAST_TOLERANCE_MS allows. */
export function isScheduledInPast(scheduledAt: Date, now: Date): boolean {
  return scheduledAt.getTime() < now.getTime() - PAST_TOLERANCE_MS;
}

/**
 * True when a post due at `dueAt` is so overdue at `now` (MISSED_AFTER_MS) that it is failed as
 * `missed` rather than sent late: a creator's post an hour late can do more harm than none.
 */
export function isMissed(dueAt: Date | number, now: Date | number, missedAfterMs: number): boolean {
  return toMs(now) - toMs(dueAt) > missedAfterMs;
}

export function missedMessage(scheduledAt: Date, missedAfterMs: number): string {
  return `the post was due at ${scheduledAt.toISOString()} and was still unsent more than ` +
    `${
      Math.round(missedAfterMs / 60_000)
    } minutes later (MISSED_AFTER_MS); it was not sent late — schedule it again`;
}

function toMs(at: Date | number): number {
  return typeof at === 'number' ? at : at.getTime();
}
