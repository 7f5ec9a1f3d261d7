/**
 * A checksum of every table in the fuzz's database: per table, the row count and the sum of a 64-bit
 * hash of each row's text form (so any column change shows), all tables in one query. Comparing the
 * checksum before and after a request tells whether the request changed any table, and which. A sum
 * does not depend on row order, so no table's key is needed and nothing is sorted: that keeps a
 * checksum around each of 10,000 requests affordable (an md5 of the ordered rows costs twice as much).
 */
import type { Sql } from 'postgres';

export type TableChecksum = ReadonlyMap<string, string>;

export interface ChecksumReader {
  read(): Promise<TableChecksum>;
  tables: readonly string[];
}

/** The schemas the API, its triggers or the shim write to: all but Postgres's own. */
const SKIPPED_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

export async function createChecksumReader(sql: Sql): Promise<ChecksumReader> {
  const rows = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name
    from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema <> all(${sql.array(SKIPPED_SCHEMAS)})
    order by 1, 2`;
  const tables = rows.map((r) => `${r.schema}.${r.name}`);
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const query = rows.map((r, i) =>
    `select ${i} as i, count(*) || ':' || coalesce(sum(hashtextextended(fuzz_row::text, 0)::numeric), 0) as sum
     from ${quote(r.schema)}.${quote(r.name)} fuzz_row`
  ).join('\nunion all\n');
  return {
    tables,
    async read() {
      const sums = await sql.unsafe<{ i: number; sum: string }[]>(query);
      return new Map(sums.map((s) => [tables[s.i]!, s.sum]));
    },
  };
}

/** The tables whose checksum differs. */
export function changedTables(before: TableChecksum, after: TableChecksum): string[] {
  return [...after.keys()].filter((table) => before.get(table) !== after.get(table));
}
