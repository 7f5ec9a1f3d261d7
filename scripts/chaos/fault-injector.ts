/**
 * Carries out the fault plan in real time and keeps the timeline (kind, start, end, what it hit).
 * Infrastructure faults run one after another on their track (a fault that takes longer than the
 * gap delays the next); worker restarts run in the background so the track keeps its pace, but a
 * worker that is down or restarting is never hit again until it is back. Platform faults run on
 * their own track, one window at a time. `finish()` waits for both tracks, then undoes everything
 * still in effect (sandbox rules and latency, proxy latency). Until `close()`, a worker that exits
 * without a fault is noted and started again.
 */
import type { Platform } from '../../src/domain/platform.ts';
import type { FaultRuleInput } from '../../src/sandbox/sandbox-faults.ts';
import type { ChaosDatabase } from './chaos-database.ts';
import { terminateWorkerSessions } from './chaos-database.ts';
import type { ChaosRedis } from './chaos-redis.ts';
import type { FaultKind } from './fault-kinds.ts';
import type { PlannedFault } from './fault-plan.ts';
import type { SandboxControl } from './sandbox-control.ts';
import type { TcpProxy } from './tcp-proxy.ts';
import { sleep } from './waiting.ts';
import type { WorkerFleet, WorkerSlot } from './worker-fleet.ts';
import type { WorkerExit } from './worker-watchdog.ts';
import { startWorkerWatchdog } from './worker-watchdog.ts';

export interface FaultEvent {
  kind: FaultKind;
  platform: Platform | null;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  detail: string;
  /** For platform rules: how many requests it actually hit. */
  hits: number | null;
  /** Set when injecting it failed (the run goes on; the report shows it). */
  error: string | null;
}

export interface FaultTargets {
  fleet: WorkerFleet;
  redis: ChaosRedis;
  db: ChaosDatabase;
  proxy: TcpProxy;
  sandbox: SandboxControl;
  queuePrefix: string;
}

export interface FaultInjector {
  timeline: FaultEvent[];
  /** Workers that exited without being hit by a fault (each was started again). */
  unexpectedExits: WorkerExit[];
  /** Resolves when every planned fault ran and everything was put back. */
  finish(): Promise<void>;
  /** Stops watching for workers that exit on their own (before the soak stops them). */
  close(): Promise<void>;
}

const PLATFORMS: readonly Platform[] = ['x', 'instagram', 'linkedin'];

/** The publish request of each platform, where a rule can name it (Instagram's path holds the user id). */
const PUBLISH_PATH: Readonly<Record<Platform, string>> = {
  x: '/2/tweets',
  instagram: '*',
  linkedin: '/rest/posts',
};

export function startFaultInjector(
  plan: readonly PlannedFault[],
  targets: FaultTargets,
  startAt: number,
  log: (line: string) => void,
): FaultInjector {
  const timeline: FaultEvent[] = [];
  const restarts = new Set<Promise<void>>();
  const busy = new Set<WorkerSlot>();

  const record = (planned: PlannedFault, startedAt: number, detail: string): FaultEvent => {
    const event: FaultEvent = {
      kind: planned.kind,
      platform: planned.platform,
      startedAt,
      endedAt: startedAt,
      detail,
      hits: null,
      error: null,
    };
    timeline.push(event);
    return event;
  };

  async function runInfra(planned: PlannedFault): Promise<void> {
    const startedAt = Date.now();
    const { fleet, redis, db, proxy } = targets;
    switch (planned.kind) {
      case 'worker_kill9':
      case 'worker_sigterm': {
        const free = fleet.slots.filter((s) => !busy.has(s) && s.current.running());
        if (free.length === 0) {
          record(planned, startedAt, 'skipped: every worker is down or restarting').error =
            'no worker to hit';
          return;
        }
        // A kill -9 should land mid-publish: prefer a worker whose latest output is a send in progress.
        const sending = free.filter((s) => s.current.outputTail().slice(-2048).includes('"publish attempt"'));
        const pool = planned.kind === 'worker_kill9' && sending.length > 0 ? sending : free;
        const slot = pool[planned.slot % pool.length]!;
        const signal = planned.kind === 'worker_kill9' ? 'SIGKILL' : 'SIGTERM';
        const event = record(planned, startedAt, `${slot.name} ${signal}`);
        busy.add(slot);
        const restart = (async () => {
          slot.current.signal(signal);
          const exit = await slot.current.exited;
          event.detail += ` (exit ${exit.code ?? exit.signal} after ${Date.now() - startedAt} ms)`;
          await sleep(planned.durationMs);
          await fleet.restart(slot);
        })().catch((err) => {
          event.error = err instanceof Error ? err.message : String(err);
        }).finally(() => {
          event.endedAt = Date.now();
          busy.delete(slot);
          restarts.delete(restart);
        });
        restarts.add(restart);
        return;
      }
      case 'redis_restart_empty':
      case 'redis_restart_keep': {
        const keepData = planned.kind === 'redis_restart_keep';
        const event = record(
          planned,
          startedAt,
          `SIGKILL, down ${planned.durationMs} ms, ${keepData ? 'with its data' : 'data deleted'}`,
        );
        await guard(event, () => redis.restart({ keepData, downMs: planned.durationMs }));
        return;
      }
      case 'queue_keys_deleted': {
        const event = record(planned, startedAt, '');
        await guard(event, async () => {
          const deleted = await redis.deleteKeys(`{${targets.queuePrefix}}:*`);
          event.detail = `${deleted} keys under {${targets.queuePrefix}}`;
        });
        return;
      }
      case 'pg_sessions_killed': {
        const event = record(planned, startedAt, '');
        await guard(event, async () => {
          const ended = await terminateWorkerSessions(db, proxy.upstreamPorts());
          event.detail = `${ended} worker sessions terminated`;
        });
        return;
      }
      case 'db_connections_cut': {
        const event = record(planned, startedAt, '');
        event.detail = `${proxy.cutAll()} proxied connections cut`;
        event.endedAt = Date.now();
        return;
      }
      case 'db_slow': {
        const event = record(
          planned,
          startedAt,
          `+${planned.value} ms per answer for ${planned.durationMs} ms`,
        );
        proxy.setLatency(planned.value);
        await sleep(planned.durationMs);
        proxy.setLatency(0);
        event.endedAt = Date.now();
        return;
      }
      default:
        throw new Error(`${planned.kind} is not an infrastructure fault`);
    }
  }

  async function runPlatform(planned: PlannedFault): Promise<void> {
    const platform = planned.platform!;
    const startedAt = Date.now();
    const { sandbox } = targets;
    if (planned.kind === 'platform_slow') {
      const event = record(
        planned,
        startedAt,
        `+${planned.value} ms per request for ${planned.durationMs} ms`,
      );
      await guard(event, async () => {
        await sandbox.setLatency(planned.value, platform);
        await sleep(planned.durationMs);
        await sandbox.setLatency(0, platform);
      });
      return;
    }
    const rule: FaultRuleInput = {
      platform,
      method: 'POST',
      path: PUBLISH_PATH[platform],
      times: planned.times,
      mode: 'status',
    };
    let detail = '';
    switch (planned.kind) {
      case 'platform_5xx':
        Object.assign(rule, { mode: 'status', status: planned.value });
        detail = `${planned.value}`;
        break;
      case 'platform_429_reset':
        Object.assign(rule, { mode: 'rate_limit', resetAfterSeconds: planned.value });
        detail = `reset in ${planned.value} s`;
        break;
      case 'platform_429_no_reset':
        // A bare 429 with no reset headers: the adapter has to pick a wait itself.
        Object.assign(rule, { mode: 'status', status: 429 });
        detail = 'no reset header';
        break;
      case 'platform_timeout':
        Object.assign(rule, { mode: 'timeout' });
        break;
      case 'platform_drop':
        Object.assign(rule, { mode: 'drop' });
        break;
      default:
        throw new Error(`${planned.kind} is not a platform fault`);
    }
    const event = record(
      planned,
      startedAt,
      `${detail ? `${detail}, ` : ''}up to ${planned.times} requests to ${rule.path}`,
    );
    await guard(event, async () => {
      await sandbox.injectFault(rule);
      await sleep(planned.durationMs);
      const left = (await sandbox.faults()).reduce((sum, f) => sum + f.remaining, 0);
      await sandbox.clearFaults();
      event.hits = planned.times - left;
    });
  }

  async function guard(event: FaultEvent, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      event.error = err instanceof Error ? err.message : String(err);
      log(`fault ${event.kind} failed: ${event.error}`);
    } finally {
      event.endedAt = Date.now();
    }
  }

  async function track(
    faults: readonly PlannedFault[],
    run: (f: PlannedFault) => Promise<void>,
  ): Promise<void> {
    for (const planned of faults) {
      const wait = startAt + planned.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      await run(planned);
    }
  }

  // A worker that dies on its own is a finding too: the watchdog notes it and brings it back.
  const watchdog = startWorkerWatchdog(targets.fleet, busy, log);

  const infra = track(plan.filter((f) => f.platform === null), runInfra);
  const platforms = track(plan.filter((f) => f.platform !== null), runPlatform);

  return {
    timeline,
    unexpectedExits: watchdog.exits,
    async finish() {
      await Promise.all([infra, platforms]);
      await Promise.all([...restarts]);
      // Put everything back, whatever a failed step may have left.
      targets.proxy.setLatency(0);
      await targets.sandbox.clearFaults().catch((err) => log(`could not clear sandbox faults: ${err}`));
      for (const platform of PLATFORMS) {
        await targets.sandbox.setLatency(0, platform).catch((err) =>
          log(`could not reset ${platform} latency: ${err}`)
        );
      }
    },
    close: () => watchdog.close(),
  };
}
