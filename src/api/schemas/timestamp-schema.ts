/**
 * Instants on input are ISO 8601 with an explicit offset (invariant 6, docs/operations.md): a time without
 * one would depend on somebody's time zone. The messages name the fix.
 */
import { z } from '@hono/zod-openapi';

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/i;
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

const EXAMPLE = '2026-12-01T09:30:00Z or 2026-12-01T10:30:00+01:00';

/** The instant, or a message saying what is wrong with `text` and how to fix it. */
export function parseInstant(text: string): Date | string {
  const match = ISO_WITH_OFFSET.exec(text);
  if (!match) {
    if (ISO_WITHOUT_OFFSET.test(text)) {
      const missing = text.includes('T')
        ? 'no UTC offset; add Z (UTC) or ±hh:mm'
        : 'no time and no UTC offset';
      return `${JSON.stringify(text)} has ${missing}, e.g. ${EXAMPLE}`;
    }
    return `${JSON.stringify(text)} is not an ISO 8601 date-time; use e.g. ${EXAMPLE}`;
  }
  const [, y, mo, d, h, mi, s, , , oh, om] = match.map((part) =>
    part === undefined ? undefined : Number(part)
  );
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (
    mo! < 1 || mo! > 12 || d! < 1 || d! > daysInMonth || h! > 23 || mi! > 59 || (s ?? 0) > 59 ||
    (oh ?? 0) > 23 || (om ?? 0) > 59
  ) {
    return `${
      JSON.stringify(text)
    } is not a real date and time; check the month, day and time (e.g. ${EXAMPLE})`;
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    return `${JSON.stringify(text)} is not a valid date-time; use e.g. ${EXAMPLE}`;
  }
  // The stores keep years 1–9999 (Postgres has no year 0 and the API writes four-digit years).
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) {
    return `${JSON.stringify(text)} is outside the years 0001–9999 (in UTC); use e.g. ${EXAMPLE}`;
  }
  return date;
}

/** An ISO 8601 instant with an explicit offset, as a string (parsed again by the handler). */
export const instantSchema = z.string({
  error: () => `expected an ISO 8601 date-time with a UTC offset, e.g. ${EXAMPLE}`,
}).superRefine((value, ctx) => {
  const parsed = parseInstant(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
}).openapi({ format: 'date-time', example: '2026-12-01T09:30:00Z' });

/** `scheduledAt`: an instant with an explicit offset, or "now" to publish at once. */
export const scheduledAtSchema = z.string({
  error: (issue) =>
    issue.input === undefined
      ? `scheduledAt is required: when to publish, as ISO 8601 with a UTC offset (e.g. ${EXAMPLE}), or "now" to publish at once`
      : `scheduledAt must be a string: ISO 8601 with a UTC offset (e.g. ${EXAMPLE}), or "now"`,
}).superRefine((value, ctx) => {
  if (value === 'now') return;
  const parsed = parseInstant(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: `${parsed}; or "now" to publish at once` });
  }
}).openapi({
  description: 'ISO 8601 with an explicit offset (Z or ±hh:mm), or "now" to publish at once',
  example: '2026-12-01T09:30:00Z',
});

/** Parses a value the schema above accepted. */
export function toInstant(value: string, now: Date): Date {
  if (value === 'now') return now;
  const parsed = parseInstant(value);
  if (typeof parsed === 'string') throw new TypeError(parsed);
  return parsed;
}
