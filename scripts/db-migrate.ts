/**
 * `npm run db:migrate`: applies pending supabase/migrations to DIRECT_URL (falls back to DATABASE_URL).
 * Exit codes: 0 applied or nothing to do, 1 a migration failed (database left as it was), 2 bad env.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { migrate } from '../src/store/migrate.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../supabase/migrations/', import.meta.url));

async function main(): Promise<number> {
  let url: string | null;
  try {
    const config = loadConfig({ ...process.env, USE_MOCK_DB: 'true' }); // migrations need no token key
    url = config.directUrl;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (!url) {
    console.error(
      'db:migrate needs a database: set DIRECT_URL (direct connection, port 5432) or DATABASE_URL, ' +
        'e.g. DIRECT_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres',
    );
    return 2;
  }
  const sql = postgres(url, { max: 1, onnotice: () => {}, prepare: false, connect_timeout: 10 });
  try {
    const result = await migrate(sql, MIGRATIONS_DIR, (line) => console.log(line));
    console.log(
      result.applied.length === 0
        ? `database is up to date (${result.alreadyApplied} migrations already applied)`
        : `applied ${result.applied.length} migration(s); ${result.alreadyApplied} were already applied`,
    );
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`db:migrate failed: ${message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

process.exitCode = await main();
