/**
 * What `npm run bench -- api` reports: the result types (printed as JSON) and the table, which marks
 * the targets of POST /posts against the bare baseline — req/s ratio ≥ 0.8, p99 ratio ≤ 1.5.
 */
import type { Measurement } from './load.ts';
import type { LoopStats } from './server.ts';

export const TARGET_RATIO = 0.8;
export const TARGET_P99_RATIO = 1.5;

/** The work one request caused, on average over the measured run. */
export interface PerRequest {
  statements: number;
  /** Postgres round trips: times a connection wrote after it had read (pipelined statements count once). */
  postgresRoundTrips: number;
  /** Commands on the app's Redis connection (BullMQ's scripts count one each). */
  redisCommands: number;
}

export type RouteResult = Measurement & {
  perRequest: PerRequest;
  /** Node: the server's event-loop delay and GC pauses during each measured run. */
  serverLoop?: LoopStats[];
};

export type Runtime = 'node' | 'deno';

/** One runtime's runs (a run left out with --only is absent). */
export interface RuntimeResult {
  runtime: Runtime;
  version: string;
  hello?: Measurement;
  /** The real API's POST /posts (all rounds pooled). */
  createPost?: RouteResult;
  /** The bare baseline's POST /posts (all rounds pooled, alternating with the API's). */
  bareCreatePost?: RouteResult;
  updatePost?: RouteResult;
  deletePost?: RouteResult;
  listPosts?: RouteResult;
  /** createPost against bareCreatePost, and whether the targets are met. */
  vsBare?: {
    requestsPerSecond: number;
    p99: number;
    ratioMet: boolean;
    p99Met: boolean;
    /** The same ratios for each round (bare run, then API run) alone. */
    rounds: { requestsPerSecond: number; p99: number }[];
  };
  /** createPost req/s ÷ hello req/s. */
  vsHello?: number;
}

function statusText(m: Measurement): string {
  const bad = Object.entries(m.statuses).filter(([s]) => !(Number(s) >= 200 && Number(s) < 300));
  const text = bad.length === 0 ? '0' : `${m.errors} (${bad.map(([s, n]) => `${s}×${n}`).join(' ')})`;
  return m.exhausted ? `${text} ran out` : text;
}

export function formatTable(results: readonly RuntimeResult[]): string {
  const rows = [[
    'runtime',
    'route',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'stmts',
    'pg RTT',
    'redis',
    'req/s vs bare',
    'p99 vs bare',
  ]];
  for (const r of results) {
    const line = (route: string, m: Measurement | undefined, perRequest?: PerRequest, vsBare = ['', '']) =>
      m && rows.push([
        r.version,
        route,
        String(m.requestsPerSecond),
        String(m.p50Ms),
        String(m.p99Ms),
        statusText(m),
        perRequest ? String(perRequest.statements) : '',
        perRequest ? String(perRequest.postgresRoundTrips) : '',
        perRequest ? String(perRequest.redisCommands) : '',
        ...vsBare,
      ]);
    const v = r.vsBare;
    line('GET /hello (Hono hello-world)', r.hello);
    line('POST /posts (bare baseline)', r.bareCreatePost, r.bareCreatePost?.perRequest);
    line(
      'POST /posts',
      r.createPost,
      r.createPost?.perRequest,
      v && [
        `${v.requestsPerSecond.toFixed(2)} ${v.ratioMet ? '✓' : '✗'} (≥ ${TARGET_RATIO})`,
        `${v.p99.toFixed(2)} ${v.p99Met ? '✓' : '✗'} (≤ ${TARGET_P99_RATIO})`,
      ],
    );
    line('PATCH /posts/:id', r.updatePost, r.updatePost?.perRequest);
    line('DELETE /posts/:id', r.deletePost, r.deletePost?.perRequest);
    line('GET /posts (first page)', r.listPosts, r.listPosts?.perRequest);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...row[i]!].length)));
  const pad = (cell: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - [...cell].length);
    return i >= 2 && i <= 4 || i >= 6 && i <= 8 ? fill + cell : cell + fill;
  };
  const rounds = results.filter((r) => r.vsBare).map((r) =>
    `${r.version}: POST /posts vs bare by round: ` +
    r.vsBare!.rounds.map((x) => `${x.requestsPerSecond.toFixed(2)}× req/s, ${x.p99.toFixed(2)}× p99`).join(
      '; ',
    )
  );
  const loops = results.flatMap((r) =>
    ([['POST /posts', r.createPost], ['bare baseline', r.bareCreatePost]] as const).flatMap(([name, m]) =>
      m?.serverLoop
        ? [
          `${r.version}: server during ${name}, by round: ` + m.serverLoop.map((l) =>
            `event-loop delay p99 ${l.eventLoopDelayP99Ms} ms (max ${l.eventLoopDelayMaxMs}), ` +
            `GC ${l.gcPauseMs} ms in ${l.gcPauses} pauses (max ${l.gcMaxPauseMs})`
          ).join('; '),
        ]
        : []
    )
  );
  return [...rows.map((row) => row.map(pad).join('  ').trimEnd()), '', ...rounds, ...loops].join('\n');
}
