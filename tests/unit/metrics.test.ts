import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_METRICS } from '../../src/observability/metrics.ts';
import { createPrometheusMetrics } from '../../src/observability/prometheus-metrics.ts';
import type { ScrapeReadings } from '../../src/observability/prometheus-metrics.ts';
import type { ReconcileReport } from '../../src/worker/reconciler.ts';
import { RECONCILE_ACTION_KINDS, recordReconcileReport } from '../../src/worker/reconcile-metrics.ts';
import type { ReconcileCounts } from '../../src/worker/reconcile-metrics.ts';
import { parseSamples, sampleValue } from '../support/prometheus-text.ts';

const IDLE: ScrapeReadings = {
  queues: [],
  ready: true,
  parts: { worker: true, redis: true, database: true },
};

// Compile-time: reconcile-metrics.ts names exactly the fields of ReconcileReport.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const reportFieldsMatch: SameKeys<ReconcileReport, ReconcileCounts> = true;

describe('worker metrics', () => {
  it('exports counters and histograms in the Prometheus text format with its content type', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    metrics.publishOutcome('x', 'published');
    metrics.publishOutcome('x', 'published');
    metrics.publishOutcome('linkedin', 'failed', 'content_invalid');
    metrics.publishOutcome('instagram', 'retrying', 'platform_unavailable');
    metrics.publishOutcome('instagram', 'deferred', 'rate_limited');
    metrics.publishDuration('x', 0.3);
    metrics.startLateness(1.5);
    metrics.tokenRefresh('x', 'refreshed');
    metrics.notificationDelivery('delivered');

    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
    const samples = parseSamples(await metrics.render(IDLE));
    const publishes = (labels: Record<string, string>) =>
      sampleValue(samples, 'solospark_publishes_total', labels);
    assert.equal(publishes({ platform: 'x', outcome: 'published' }), 2);
    assert.equal(publishes({ platform: 'linkedin', outcome: 'failed', code: 'content_invalid' }), 1);
    assert.equal(publishes({ platform: 'instagram', outcome: 'retrying', code: 'platform_unavailable' }), 1);
    assert.equal(publishes({ platform: 'instagram', outcome: 'deferred', code: 'rate_limited' }), 1);
    assert.equal(sampleValue(samples, 'solospark_publish_duration_seconds_count', { platform: 'x' }), 1);
    assert.equal(
      sampleValue(samples, 'solospark_publish_duration_seconds_bucket', { platform: 'x', le: '0.25' }),
      0,
    );
    assert.equal(
      sampleValue(samples, 'solospark_publish_duration_seconds_bucket', { platform: 'x', le: '0.5' }),
      1,
    );
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_count'), 1);
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_bucket', { le: '2' }), 1);
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_bucket', { le: '1' }), 0);
    assert.equal(
      sampleValue(samples, 'solospark_token_refreshes_total', { platform: 'x', outcome: 'refreshed' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'solospark_notification_deliveries_total', { outcome: 'delivered' }),
      1,
    );
  });

  it('starts the series alerts watch at zero, so the first unconfirmed target is an increase', async () => {
    const samples = parseSamples(await createPrometheusMetrics({ defaultMetrics: false }).render(IDLE));
    for (const platform of ['x', 'instagram', 'linkedin']) {
      for (const outcome of ['published', 'adopted', 'unconfirmed']) {
        assert.equal(sampleValue(samples, 'solospark_publishes_total', { platform, outcome }), 0);
      }
      assert.equal(
        sampleValue(samples, 'solospark_token_refreshes_total', { platform, outcome: 'reconnect_needed' }),
        0,
      );
      assert.equal(sampleValue(samples, 'solospark_publish_duration_seconds_count', { platform }), 0);
    }
    for (const kind of Object.values(RECONCILE_ACTION_KINDS)) {
      assert.equal(sampleValue(samples, 'solospark_reconciler_actions_total', { kind }), 0);
    }
    assert.equal(sampleValue(samples, 'solospark_notification_deliveries_total', { outcome: 'given_up' }), 0);
  });

  it('counts a code outside the list of error codes as unknown, so no label carries free text', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    metrics.publishOutcome('x', 'failed', 'post 4b1c… of user 9d2e was refused');
    metrics.publishOutcome('x', 'failed');
    const samples = parseSamples(await metrics.render(IDLE));
    assert.equal(
      sampleValue(samples, 'solospark_publishes_total', {
        platform: 'x',
        outcome: 'failed',
        code: 'unknown',
      }),
      2,
    );
    const values = samples.flatMap((s) => Object.values(s.labels));
    assert.ok(values.every((v) => /^[a-z0-9_.+Inf-]+$/i.test(v)), `unexpected label value in ${values}`);
  });

  it('counts every field of a reconcile pass under its kind', async () => {
    assert.equal(reportFieldsMatch, true);
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const report: ReconcileReport = {
      restored: 2,
      missed: 1,
      adopted: 1,
      unconfirmed: 1,
      requeued: 3,
      targetsRestored: 4,
      commentsRestored: 8,
      rolledUp: 5,
      idempotencyKeysPurged: 6,
      oauthStatesPurged: 7,
    };
    recordReconcileReport(metrics, report);
    recordReconcileReport(metrics, { ...report, restored: 1 });
    const samples = parseSamples(await metrics.render(IDLE));
    const kind = (k: string) => sampleValue(samples, 'solospark_reconciler_actions_total', { kind: k });
    assert.equal(kind('post_requeued'), 3);
    assert.equal(kind('target_requeued'), 8);
    assert.equal(kind('comment_requeued'), 16);
    assert.equal(kind('missed'), 2);
    assert.equal(kind('stuck_adopted'), 2);
    assert.equal(kind('stuck_unconfirmed'), 2);
    assert.equal(kind('stuck_requeued'), 6);
    assert.equal(kind('rolled_up'), 10);
    assert.equal(kind('idempotency_keys_purged'), 12);
    assert.equal(kind('oauth_states_purged'), 14);
  });

  it('shows queue depth and the oldest due job from the readings of each scrape', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    const first = parseSamples(
      await metrics.render({
        ...IDLE,
        queues: [
          {
            queue: 'posts',
            counts: { waiting: 1, delayed: 40, active: 2, failed: 0 },
            oldestDueAgeMs: 125_000,
          },
          { queue: 'publish', counts: { waiting: 0, delayed: 3, active: 1, failed: 0 }, oldestDueAgeMs: 0 },
        ],
      }),
    );
    assert.equal(sampleValue(first, 'solospark_queue_jobs', { queue: 'posts', state: 'delayed' }), 40);
    assert.equal(sampleValue(first, 'solospark_queue_jobs', { queue: 'publish', state: 'active' }), 1);
    assert.equal(sampleValue(first, 'solospark_queue_oldest_due_job_age_seconds', { queue: 'posts' }), 125);
    assert.equal(sampleValue(first, 'solospark_queue_oldest_due_job_age_seconds', { queue: 'publish' }), 0);
  });

  it('leaves the queue gauges out while Redis does not answer, rather than showing old numbers', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    await metrics.render({
      ...IDLE,
      queues: [{
        queue: 'posts',
        counts: { waiting: 9, delayed: 9, active: 9, failed: 9 },
        oldestDueAgeMs: 9,
      }],
    });
    const down = parseSamples(
      await metrics.render({
        queues: null,
        ready: false,
        parts: { worker: true, redis: false, database: true },
      }),
    );
    assert.equal(down.filter((s) => s.name.startsWith('solospark_queue_')).length, 0);
    assert.equal(sampleValue(down, 'solospark_worker_ready'), 0);
    assert.equal(sampleValue(down, 'solospark_worker_dependency_up', { dependency: 'redis' }), 0);
    assert.equal(sampleValue(down, 'solospark_worker_dependency_up', { dependency: 'database' }), 1);
  });

  it('observes a start before the scheduled time (a clock ahead) as zero lateness', async () => {
    const metrics = createPrometheusMetrics({ defaultMetrics: false });
    metrics.startLateness(-0.4);
    const samples = parseSamples(await metrics.render(IDLE));
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_bucket', { le: '0.1' }), 1);
    assert.equal(sampleValue(samples, 'solospark_publish_start_lateness_seconds_sum'), 0);
  });

  it("adds the runtime's process metrics by default, under Node and Deno alike", async () => {
    const samples = parseSamples(await createPrometheusMetrics().render(IDLE));
    assert.ok(sampleValue(samples, 'process_cpu_user_seconds_total')! >= 0);
    assert.ok(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes'));
  });

  it('records nothing through NO_METRICS', () => {
    assert.doesNotThrow(() => {
      NO_METRICS.publishOutcome('x', 'published');
      NO_METRICS.reconcilerAction('missed', 1);
    });
    assert.ok(Object.isFrozen(NO_METRICS));
  });
});
