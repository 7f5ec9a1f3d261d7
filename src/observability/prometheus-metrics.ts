/**
 * The worker process's metrics in Prometheus's text format, with prom-client on a registry of its own
 * (never the library's global one, so two workers in one process — tests, the dev stack — keep apart).
 * Counters and histograms are recorded as things happen (the WorkerMetrics port, metrics.ts); the
 * gauges — queue depth, the oldest due job, readiness — are set from the readings the caller takes at
 * scrape time (`render(readings)`), so an idle worker sends Redis nothing for them.
 *
 * prom-client runs unchanged under Deno 2's Node compatibility, default process metrics included
 * (checked on Deno 2.9.6; older Deno lacked pieces of perf_hooks, prometheus/client_js#570 and #651).
 * Names and what to alert on: docs/operations.md, "Health, readiness and metrics".
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES } from '../domain/error-codes.ts';
import type { ErrorCode } from '../domain/error-codes.ts';
import { PLATFORMS } from '../domain/platform.ts';
import type {
  DeliveryOutcome,
  PublishOutcome,
  ReconcileActionKind,
  TokenRefreshOutcome,
  WorkerMetrics,
} from './metrics.ts';

export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** One queue at scrape time (src/queue/queue-snapshot.ts). */
export interface QueueReading {
  /** The queue's name: posts, publish. */
  queue: string;
  counts: Readonly<Record<QueueState, number>>;
  /** How long the oldest job that is due but has not started has been due; 0 when none. */
  oldestDueAgeMs: number;
}

/** What the caller read just before a scrape. */
export interface ScrapeReadings {
  /** Null when Redis did not answer in time: the queue gauges are left out rather than stale. */
  queues: readonly QueueReading[] | null;
  ready: boolean;
  /** Each part readiness checks (worker, redis, database) and whether it is up. */
  parts: Readonly<Record<string, boolean>>;
}

export interface PrometheusMetrics extends WorkerMetrics {
  /** The Content-Type of `render`'s text. */
  readonly contentType: string;
  /** The exposition text, gauges set from `readings`. */
  render(readings: ScrapeReadings): Promise<string>;
}

export interface PrometheusMetricsOptions {
  /** Also export prom-client's process and runtime metrics (CPU, memory, event loop). (Default: true) */
  defaultMetrics?: boolean;
}

/** Seconds; a send is bounded by PUBLISH_TIMEOUT_MS (default 30 s). */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds; the tail matters most (a minute late is what creators notice). */
const LATENESS_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600];

/** Outcomes recorded without a code: their code says nothing the outcome does not. */
const CODELESS: ReadonlySet<PublishOutcome> = new Set(['published', 'adopted', 'unconfirmed']);
const RECONCILE_KINDS: readonly ReconcileActionKind[] = [
  'post_requeued',
  'target_requeued',
  'comment_requeued',
  'missed',
  'stuck_adopted',
  'stuck_unconfirmed',
  'stuck_requeued',
  'rolled_up',
  'idempotency_keys_purged',
  'oauth_states_purged',
];
const REFRESH_OUTCOMES: readonly TokenRefreshOutcome[] = [
  'refreshed',
  'adopted',
  'reconnect_needed',
  'error',
];
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  'delivered',
  'retrying',
  'given_up',
  'refused',
  'dropped',
];

export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const publishes = new Counter({
    name: 'solospark_publishes_total',
    help:
      'Target runs by platform and outcome; code is the error code of failed, retrying and deferred runs.',
    labelNames: ['platform', 'outcome', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'solospark_publish_duration_seconds',
    help: 'Time of one send to a platform (token refresh included), success or not.',
    labelNames: ['platform'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const lateness = new Histogram({
    name: 'solospark_publish_start_lateness_seconds',
    help: "Seconds between a post's scheduled time and the start of its publishing.",
    buckets: LATENESS_BUCKETS,
    registers,
  });
  const reconcilerActions = new Counter({
    name: 'solospark_reconciler_actions_total',
    help: 'What the reconciler repaired or cleaned up, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const tokenRefreshes = new Counter({
    name: 'solospark_token_refreshes_total',
    help: 'Token refreshes by platform and outcome.',
    labelNames: ['platform', 'outcome'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'solospark_notification_deliveries_total',
    help: "Tries of notification deliveries to creators' webhook endpoints, by outcome.",
    labelNames: ['outcome'] as const,
    registers,
  });
  const queueJobs = new Gauge({
    name: 'solospark_queue_jobs',
    help: 'Jobs per queue and state (shared by all workers of the queue prefix).',
    labelNames: ['queue', 'state'] as const,
    registers,
  });
  const oldestDue = new Gauge({
    name: 'solospark_queue_oldest_due_job_age_seconds',
    help: 'How long the oldest job that is due but not started has been due (0 when none).',
    labelNames: ['queue'] as const,
    registers,
  });
  const ready = new Gauge({
    name: 'solospark_worker_ready',
    help: '1 while this worker consumes jobs (what GET /ready answers 200 for), else 0.',
    registers,
  });
  const partUp = new Gauge({
    name: 'solospark_worker_dependency_up',
    help: 'Each part readiness checks (worker, redis, database): 1 up, 0 down.',
    labelNames: ['dependency'] as const,
    registers,
  });

  // Zero series, so increase() and "> 0" alerts work from the first event on.
  for (const platform of PLATFORMS) {
    for (const outcome of CODELESS) publishes.inc({ platform, outcome }, 0);
    for (const outcome of REFRESH_OUTCOMES) tokenRefreshes.inc({ platform, outcome }, 0);
    duration.zero({ platform });
  }
  for (const kind of RECONCILE_KINDS) reconcilerActions.inc({ kind }, 0);
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);

  return {
    contentType: registry.contentType,
    publishOutcome(platform, outcome, code) {
      if (CODELESS.has(outcome)) publishes.inc({ platform, outcome });
      else publishes.inc({ platform, outcome, code: boundedCode(code) });
    },
    publishDuration(platform, seconds) {
      duration.observe({ platform }, Math.max(0, seconds));
    },
    startLateness(seconds) {
      lateness.observe(Math.max(0, seconds));
    },
    reconcilerAction(kind, count) {
      if (count > 0) reconcilerActions.inc({ kind }, count);
    },
    tokenRefresh(platform, outcome) {
      tokenRefreshes.inc({ platform, outcome });
    },
    notificationDelivery(outcome) {
      deliveries.inc({ outcome });
    },
    async render(readings) {
      queueJobs.reset();
      oldestDue.reset();
      for (const reading of readings.queues ?? []) {
        for (const state of QUEUE_STATES) {
          queueJobs.set({ queue: reading.queue, state }, reading.counts[state]);
        }
        oldestDue.set({ queue: reading.queue }, reading.oldestDueAgeMs / 1000);
      }
      ready.set(readings.ready ? 1 : 0);
      partUp.reset();
      for (const [dependency, up] of Object.entries(readings.parts)) partUp.set({ dependency }, up ? 1 : 0);
      return await registry.metrics();
    },
  };
}

/** A code from ERROR_CODES, else `unknown`: a label value never comes from outside the list. */
function boundedCode(code: ErrorCode | string | undefined): string {
  if (code === undefined) return 'unknown';
  return Object.hasOwn(ERROR_CODES, code) ? code : 'unknown';
}
