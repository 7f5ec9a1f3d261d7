/**
 * The bench's Postgres pools, with the options connectPostgres (src/store/connect-postgres.ts) gives the
 * store, and optionally counting what they send:
 * - statements, from postgres.js's `debug` hook (called once per statement executed, `begin` and
 *   `commit` included);
 * - round trips ("turns"), from a socket of our own (postgres.js's `socket` option): per connection,
 *   every client write that follows a server read is one turn. Statements written back to back
 *   without waiting (pipelined, or a prepared statement's Bind/Execute after the Parse it already
 *   sent) count once; a statement described before it is bound (`prepare: false`, or a statement's
 *   first use on a connection) counts twice. It is plain node:net, so Deno counts the same way.
 * Both hooks are passive: nothing is delayed or re-ordered.
 */
import net from 'node:net';
import postgres from 'postgres';
import type { Sql } from 'postgres';

export interface RoundTripCounters {
  statements: number;
  begins: number;
  commits: number;
  turns: number;
  /** Connections opened while counting (their start-up handshake is in `turns`). */
  connects: number;
  /** Executions per statement text (whitespace collapsed, first 100 characters). */
  byStatement: Map<string, number>;
}

export function createCounters(): RoundTripCounters {
  return { statements: 0, begins: 0, commits: 0, turns: 0, connects: 0, byStatement: new Map() };
}

export function resetCounters(c: RoundTripCounters): void {
  c.statements =
    c.begins =
    c.commits =
    c.turns =
    c.connects =
      0;
  c.byStatement.clear();
}

/** The counters as plain JSON (for a child process to hand back). */
export interface CountersJson {
  statements: number;
  begins: number;
  commits: number;
  turns: number;
  connects: number;
  byStatement: Record<string, number>;
}

export function countersJson(c: RoundTripCounters): CountersJson {
  const { statements, begins, commits, turns, connects } = c;
  return { statements, begins, commits, turns, connects, byStatement: Object.fromEntries(c.byStatement) };
}

export function addCounters(list: CountersJson[]): CountersJson {
  const sum: CountersJson = { statements: 0, begins: 0, commits: 0, turns: 0, connects: 0, byStatement: {} };
  for (const c of list) {
    sum.statements += c.statements;
    sum.begins += c.begins;
    sum.commits += c.commits;
    sum.turns += c.turns;
    sum.connects += c.connects;
    for (const [k, v] of Object.entries(c.byStatement)) sum.byStatement[k] = (sum.byStatement[k] ?? 0) + v;
  }
  return sum;
}

/** Counters divided by the targets they served. */
export interface PerTarget {
  targets: number;
  statements: number;
  transactions: number;
  roundTrips: number;
  connects: number;
  /** Executions per target, by statement. */
  byStatement: Record<string, number>;
}

export function perTarget(c: CountersJson, targets: number, digits = 2): PerTarget {
  const f = 10 ** digits;
  const r = (n: number) => Math.round((n / targets) * f) / f;
  return {
    targets,
    statements: r(c.statements),
    transactions: r(c.begins),
    roundTrips: r(c.turns),
    connects: c.connects,
    byStatement: Object.fromEntries(
      Object.entries(c.byStatement).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, r(v)]),
    ),
  };
}

export interface BenchPoolOptions {
  max: number;
  prepare: boolean;
  counters?: RoundTripCounters;
}

export function connectBenchPostgres(url: string, options: BenchPoolOptions): Sql {
  const { counters } = options;
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 5432);
  return postgres(url, {
    prepare: options.prepare,
    max: options.max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'solospark-bench' },
    ...(counters
      ? {
        debug: (_connection: number, text: string) => countStatement(counters, text),
        socket: () => countingSocket(host, port, counters),
      }
      : {}),
  } as postgres.Options<Record<string, never>>);
}

function countStatement(c: RoundTripCounters, text: string): void {
  c.statements++;
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 100);
  const head = key.slice(0, 6).toLowerCase();
  if (head.startsWith('begin')) c.begins++;
  if (head.startsWith('commit')) c.commits++;
  c.byStatement.set(key, (c.byStatement.get(key) ?? 0) + 1);
}

/** A connected TCP socket whose writes are counted as turns (see the module comment). */
function countingSocket(host: string, port: number, c: RoundTripCounters): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      c.connects++;
      let answered = true; // the start-up message is the first turn
      socket.prependListener('data', () => {
        answered = true;
      });
      const write = socket.write;
      socket.write = function countedWrite(this: net.Socket, ...args: unknown[]): boolean {
        if (answered) {
          c.turns++;
          answered = false;
        }
        return (write as (...a: unknown[]) => boolean).apply(this, args);
      } as typeof socket.write;
      resolve(socket);
    });
  });
}

/** Opens all `max` connections now, so the measured window does not pay for their handshakes. */
export async function warmPool(sql: Sql, max: number): Promise<void> {
  await Promise.all(Array.from({ length: max }, () => sql`select pg_sleep(0.02)`));
}
