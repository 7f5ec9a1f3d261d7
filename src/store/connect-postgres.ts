/**
 * Opens the Postgres pool the stores (posts, accounts, notifications) run on. Its own module so a
 * caller that needs only a connection does not load an adapter.
 */
import postgres from 'postgres';

/** Connections to the pool. postgres.js reuses them; on Supabase use the pooler URL (port 6543). */
const DEFAULT_MAX_CONNECTIONS = 10;

/** A statement the pool is about to send, as `onStatement` sees it. */
export interface SentStatement {
  text: string;
  /** How many parameters it binds. */
  parameters: number;
}

export interface ConnectPostgresOptions {
  /** (Default: 10) */
  max?: number;
  /** Named prepared statements. (Default: usesPreparedStatements(url)) */
  prepare?: boolean;
  /**
   * Called for every statement sent (postgres.js's `debug` hook), for benches and tests that count
   * statements per request. Never in production: with it, postgres.js also makes the query text and
   * parameters of a failed statement enumerable on the error, where a logger would print them.
   */
  onStatement?: (statement: SentStatement) => void;
  /**
   * Opens each connection's socket, already connected (postgres.js's `socket` option), for benches
   * and tests that count round trips on the wire. (Default: postgres.js connects itself)
   */
  socket?: () => Promise<unknown>;
}

/**
 * Whether the pool may use named prepared statements. Supabase's transaction pooler (Supavisor or
 * PgBouncer on port 6543) hands each transaction to any server connection, where a named statement
 * may not exist, so there they are off; direct connections and session mode (port 5432) support them.
 * Without them postgres.js describes every statement that has parameters before executing it (two
 * round trips instead of one) and cannot pipeline the statements after it; with them a statement is
 * described once per connection and then costs one round trip, pipelined with its neighbours.
 */
export function usesPreparedStatements(url: string): boolean {
  try {
    return new URL(url).port !== TRANSACTION_POOLER_PORT;
  } catch {
    return false;
  }
}

/** The pool options the configuration asks for (DATABASE_PREPARED_STATEMENTS). */
export function postgresOptions(
  config: { databasePreparedStatements: boolean | null },
): ConnectPostgresOptions {
  return config.databasePreparedStatements === null ? {} : { prepare: config.databasePreparedStatements };
}

/** Supabase's transaction-mode pooler port (Supavisor, and PgBouncer before it). */
const TRANSACTION_POOLER_PORT = '6543';

/**
 * Opens a pool for the store; named prepared statements unless the URL is the transaction pooler
 * (usesPreparedStatements) or `options.prepare` says otherwise. postgres.js parses timestamptz into
 * Date (an absolute instant: no time-zone setting is involved) and returns uuid as a lowercase string.
 */
export function connectPostgres(url: string, options: ConnectPostgresOptions = {}): postgres.Sql {
  const { onStatement } = options;
  return postgres(url, {
    prepare: options.prepare ?? usesPreparedStatements(url),
    max: options.max ?? DEFAULT_MAX_CONNECTIONS,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'solospark-publisher' },
    ...(onStatement
      ? {
        debug: (_connection: number, text: string, parameters: unknown[]) =>
          onStatement({ text, parameters: parameters.length }),
      }
      : {}),
    // Not in postgres.js's types, but an option of its own (connection.js `createSocket`).
    ...(options.socket ? { socket: options.socket } as Record<string, unknown> : {}),
  });
}
