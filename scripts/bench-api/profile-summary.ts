/**
 * Where a V8 CPU profile (.cpuprofile, as `--profile` writes them) spent its time: self time by
 * package or file, and by function, top N of each, as shares of the time the process was not idle. Self time is the time a function was on top of
 * the stack; a sample's time is the delta to the next sample, as DevTools counts it.
 *
 *   npm run bench -- api --profile-summary <file.cpuprofile> [--top 25]
 */
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle (the process was running JavaScript, native code or the garbage collector). */
  busyMs: number;
  byGroup: { group: string; selfMs: number }[];
  byFunction: { name: string; group: string; line: number; selfMs: number }[];
}

/** The package (node_modules/<name>), the project file, the Node module, or a V8 pseudo-frame. */
export function groupOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native ${functionName || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const project = /\/(src|scripts|tests)\/(.*)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : url;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us);
  }
  const groups = new Map<string, number>();
  const functions = new Map<string, { name: string; group: string; line: number; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id)!;
    const group = groupOf(frame);
    totalUs += us;
    if (group === '(idle)') {
      idleUs += us; // in the header line, not in the lists: the shares are of busy time
      continue;
    }
    groups.set(group, (groups.get(group) ?? 0) + us);
    const key = `${frame.functionName}\0${group}\0${frame.lineNumber}`;
    const fn = functions.get(key) ??
      { name: frame.functionName || '(anonymous)', group, line: frame.lineNumber + 1, us: 0 };
    fn.us += us;
    functions.set(key, fn);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(totalUs),
    busyMs: ms(totalUs - idleUs),
    byGroup: [...groups].sort((a, b) => b[1] - a[1]).slice(0, top).map(([group, us]) => ({
      group,
      selfMs: ms(us),
    })),
    byFunction: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({
      name: f.name,
      group: f.group,
      line: f.line,
      selfMs: ms(f.us),
    })),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (ms: number) => `${(ms / Math.max(summary.busyMs, 1e-9) * 100).toFixed(1)} %`;
  const lines = [
    `sampled ${summary.totalMs} ms, busy ${summary.busyMs} ms ` +
    `(${(summary.busyMs / Math.max(summary.totalMs, 1e-9) * 100).toFixed(1)} %); shares are of busy time`,
    '',
    'self time by package / file:',
    ...summary.byGroup.map((g) =>
      `  ${String(g.selfMs).padStart(9)} ms  ${pct(g.selfMs).padStart(7)}  ${g.group}`
    ),
    '',
    'self time by function:',
    ...summary.byFunction.map((f) =>
      `  ${String(f.selfMs).padStart(9)} ms  ${pct(f.selfMs).padStart(7)}  ${f.name}  ${f.group}${
        f.line > 0 ? `:${f.line}` : ''
      }`
    ),
  ];
  return lines.join('\n');
}

export async function readProfileSummary(file: string, top = 25): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
}
