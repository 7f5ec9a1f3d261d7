/**
 * The seeded load: which posts the soak schedules, for whom, on which accounts, when each is due and
 * created, and which are edited or cancelled — some well before their time, some racing it (sent
 * within ~1.5 s before the due time, when a worker may already be claiming the post).
 *
 * Every text carries a tag `cs<run>-p<n>-e<k>` (post n, edit k: 0 is the original), unique per post
 * and per version, so the oracle can tell which version a live copy is and X's duplicate rule never
 * fires. The tag is letters, digits and hyphens only — nothing LinkedIn's little text escapes — and
 * comes first, so it survives any truncation. Some texts carry URLs and characters LinkedIn reserves.
 */
import type { Platform } from '../../src/domain/platform.ts';
import type { ChaosProfile } from './chaos-options.ts';
import type { Creator } from './creators.ts';
import type { Random } from './seeded-random.ts';

export interface PlannedAction {
  atMs: number;
  kind: 'edit' | 'cancel';
  /** Sent within the last moments before the due time. */
  racing: boolean;
}

export interface PlannedPost {
  n: number;
  creator: number;
  accountIds: string[];
  platforms: Platform[];
  dueAtMs: number;
  createAtMs: number;
  media: boolean;
  burst: boolean;
  /** Edits and cancels in time order; edit k (1-based) sets the text of version tag e<k>. */
  actions: PlannedAction[];
}

const WORDS = [
  'launch',
  'update',
  'morning',
  'notes',
  'studio',
  'coffee',
  'release',
  'thread',
  'behind the scenes',
  'weekly',
  'sketch',
  'demo',
  'recap',
  'question',
  'workshop',
  'tip',
];
/** Characters LinkedIn's little text reserves; the adapter must escape them. */
const RESERVED_BITS = ['(soak)', '[draft]', '#chaos', 'a_b', '~tilde~', '*star*', '<tag>', 'pipe | bar'];

export function textFor(runId: string, n: number, edit: number, random: Random): string {
  const words = Array.from({ length: random.int(3, 10) }, () => random.pick(WORDS)).join(' ');
  const parts = [`cs${runId}-p${n}-e${edit}`, words];
  if (random.chance(0.25)) parts.push(`https://example.com/chaos/${runId}/${n}?v=${edit}`);
  if (random.chance(0.15)) parts.push(random.pick(RESERVED_BITS));
  return parts.join(' ');
}

export const TAG_PATTERN = /cs([0-9a-z]+)-p(\d+)-e(\d+)/;

export function planLoad(profile: ChaosProfile, creators: readonly Creator[], random: Random): PlannedPost[] {
  const dueTimes: { at: number; burst: boolean }[] = [];
  const burstPosts = Math.min(profile.posts, profile.bursts * profile.burstSize);
  for (let b = 0; b < profile.bursts && dueTimes.length < burstPosts; b++) {
    // A whole second, so the burst is due at the same second down to the millisecond.
    const second = Math.round(random.between(profile.dueStartMs + 2000, profile.dueEndMs - 2000) / 1000) *
      1000;
    for (let i = 0; i < profile.burstSize && dueTimes.length < burstPosts; i++) {
      dueTimes.push({ at: second, burst: true });
    }
  }
  while (dueTimes.length < profile.posts) {
    dueTimes.push({ at: Math.round(random.between(profile.dueStartMs, profile.dueEndMs)), burst: false });
  }
  dueTimes.sort((a, b) => a.at - b.at);

  return dueTimes.map(({ at, burst }, n) => {
    const creatorIndex = random.int(0, creators.length - 1);
    const creator = creators[creatorIndex]!;
    const media = random.chance(0.3);
    // Instagram needs an image: it is a possible target only for posts with media.
    const eligible = creator.accounts.filter((a) => media || a.platform !== 'instagram');
    const wanted = Math.min(eligible.length, random.pick([1, 1, 2, 2, 2, 3, 3]));
    const chosen = random.shuffle(eligible).slice(0, wanted);
    const lead = random.between(3_000, 25_000);
    const createAtMs = Math.max(0, Math.round(at - lead));
    return {
      n,
      creator: creatorIndex,
      accountIds: chosen.map((a) => a.id),
      platforms: chosen.map((a) => a.platform),
      dueAtMs: at,
      createAtMs,
      media,
      burst,
      actions: planActions(createAtMs, at, random),
    };
  });
}

function planActions(createAtMs: number, dueAtMs: number, random: Random): PlannedAction[] {
  const actions: PlannedAction[] = [];
  const calmWindow = dueAtMs - createAtMs - 3_000;
  // Mostly just before the due time, sometimes just after: both sides of the claim get exercised.
  const racingAt = () => Math.round(dueAtMs - random.between(-300, 1_500));
  const roll = random.next();
  if (roll < 0.1 && calmWindow > 1_000) {
    actions.push({
      atMs: Math.round(createAtMs + 1_000 + random.between(0, calmWindow - 1_000)),
      kind: 'edit',
      racing: false,
    });
    if (random.chance(0.4)) actions.push({ atMs: racingAt(), kind: 'edit', racing: true });
  } else if (roll < 0.18) {
    actions.push({ atMs: racingAt(), kind: 'edit', racing: true });
  } else if (roll < 0.21 && calmWindow > 1_000) {
    actions.push({
      atMs: Math.round(createAtMs + 1_000 + random.between(0, calmWindow - 1_000)),
      kind: 'cancel',
      racing: false,
    });
  } else if (roll < 0.26) {
    actions.push({ atMs: racingAt(), kind: 'cancel', racing: true });
  }
  // A racing action must still come after the create.
  return actions.filter((a) => a.atMs > createAtMs + 200).sort((a, b) => a.atMs - b.atMs);
}
