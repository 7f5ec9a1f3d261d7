/**
 * CPU time of the processes a burst10k run involves, read from Linux's /proc (utime + stime of
 * /proc/<pid>/stat, in clock ticks of 10 ms — USER_HZ is 100 on every mainstream Linux build), and
 * Redis's own INFO cpu. Elsewhere (no /proc) the readings are null. What it cannot separate: Redis and
 * the Postgres server's background processes are shared with whoever else uses them on this machine.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Sql } from 'postgres';

const TICK_MS = 10;

/** CPU ms a process has used so far, or null when it cannot be read (gone, or no /proc). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces: state is [0], utime [11], stime [12].
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** The machine's busy and total CPU ms over all cores (/proc/stat), or null. */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, ...fields] = line.trim().split(/\s+/);
    const n = fields.map(Number);
    const idle = n[3]! + (n[4] ?? 0); // idle + iowait
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
  } catch {
    return null;
  }
}

export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

/** The server processes of this database's connections (pg_stat_activity). */
export async function databaseBackendPids(sql: Sql): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}

export interface CpuSample {
  atMs: number;
  pids: Map<number, number>;
  machine: { busy: number; total: number } | null;
  redisMs: number;
}

export async function sampleCpu(pids: number[], redis: Redis): Promise<CpuSample> {
  const map = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== null) map.set(pid, ms);
  }
  return { atMs: Date.now(), pids: map, machine: machineCpuMs(), redisMs: await redisCpuMs(redis) };
}

/** Percent of one core a group of processes used between two samples (a process new in `after` from 0). */
export function groupPercent(before: CpuSample, after: CpuSample, pids: number[]): number | null {
  const seconds = (after.atMs - before.atMs) / 1000;
  let ms = 0;
  let seen = false;
  for (const pid of pids) {
    const end = after.pids.get(pid);
    if (end === undefined) continue;
    seen = true;
    ms += end - (before.pids.get(pid) ?? 0);
  }
  return seen ? Math.round(ms / 10 / seconds) : null;
}

/** The machine's busy share over the interval, in percent of one core (2 cores → at most 200). */
export function machinePercent(before: CpuSample, after: CpuSample, cores: number): number | null {
  if (!before.machine || !after.machine) return null;
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return total > 0 ? Math.round((busy / total) * 100 * cores) : null;
}
