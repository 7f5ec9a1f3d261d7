/**
 * Opens the Postgres pool the stores (posts, accounts, notifications) run on. Its own module so a
 * caller that needs only a connection does not load an adapter.
 */
import postgres from 'postgres';

/** Connections to the pool. postgres.js reuses them; on Supabase use the pooler URL (port 6543). */
const DEFAULT_MAX_CONNECTIONS = 10;

/**
 * Opens a pool for the store. `prepare: false` because Supabase's transaction pooler (Supavisor,
 * PgBouncer) hands each transaction to any server connection, where a named prepared statement may
 * not exist. postgres.js parses timestamptz into Date (an absolute instant: no time-zone setting
 * is involved) and returns uuid as a lowercase string.
 */
export function connectPostgres(url: string, options: { max?: number } = {}): postgres.Sql {
  return postgres(url, {
    prepare: false,
    max: options.max ?? DEFAULT_MAX_CONNECTIONS,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'solospark-publisher' },
  });
}
