/**
 * X post ids are snowflakes: the top 41 bits are milliseconds since X's epoch (2010-11-04T01:42:54.657Z),
 * so an id tells when its post was created without asking X [O: docs.x.com "Twitter IDs"].
 */
const X_EPOCH_MS = 1288834974657n;
const TIMESTAMP_SHIFT = 22n;
/** Snowflakes began in November 2010; a smaller id is an older sequential one and has no timestamp. */
const FIRST_SNOWFLAKE = 1n << TIMESTAMP_SHIFT;

/** When the post with this id was created, or null when the id is not a snowflake. */
export function xPostCreatedAt(id: string): Date | null {
  if (!/^[0-9]{1,19}$/.test(id)) return null;
  const value = BigInt(id);
  if (value < FIRST_SNOWFLAKE) return null;
  return new Date(Number((value >> TIMESTAMP_SHIFT) + X_EPOCH_MS));
}
