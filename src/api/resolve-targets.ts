/**
 * Turns the body's `targets: [{ accountId }]` or `platforms: [...]` into the caller's accounts before
 * anything is stored (each target's content is checked by target-content-plan.ts). Each problem names
 * the field it is about and how to fix it.
 */
import type { Platform } from '../domain/platform.ts';
import { normalizePlatform } from '../domain/platform.ts';
import type { SocialAccount } from '../domain/post.ts';
import type { PostStore } from '../store/post-store.ts';
import type { ProblemError } from './validation-error.ts';
import { invalidInput } from './validation-error.ts';

export interface TargetInput {
  targets?: { accountId: string }[] | undefined;
  platforms?: string[] | undefined;
}

/** The accounts the input names, in order; throws a 422 listing every problem. */
export async function resolveTargets(
  store: PostStore,
  userId: string,
  input: TargetInput,
): Promise<SocialAccount[]> {
  if (input.targets) return await resolveAccountIds(store, userId, input.targets);
  if (input.platforms) return await resolvePlatforms(store, userId, input.platforms);
  return [];
}

async function resolveAccountIds(
  store: PostStore,
  userId: string,
  targets: { accountId: string }[],
): Promise<SocialAccount[]> {
  const errors: ProblemError[] = [];
  const accounts: SocialAccount[] = [];
  const seen = new Set<string>();
  for (const [i, { accountId }] of targets.entries()) {
    const path = `targets[${i}].accountId`;
    const id = accountId.toLowerCase();
    if (seen.has(id)) {
      errors.push({ path, message: `account ${accountId} is listed twice; list each account once` });
      continue;
    }
    seen.add(id);
    const account = await store.getAccount(id, userId);
    if (!account) {
      errors.push({
        path,
        message: `no connected account ${accountId} belongs to you; GET /accounts lists the ids you can use`,
      });
    } else if (account.status !== 'active') {
      errors.push({ path, message: `the ${account.platform} account ${accountId} needs reconnecting first` });
    } else {
      accounts.push(account);
    }
  }
  if (errors.length > 0) throw invalidInput(errors);
  return accounts;
}

async function resolvePlatforms(
  store: PostStore,
  userId: string,
  platforms: string[],
): Promise<SocialAccount[]> {
  const owned = await store.listAccounts(userId);
  const errors: ProblemError[] = [];
  const accounts: SocialAccount[] = [];
  const seen = new Set<Platform>();
  for (const [i, name] of platforms.entries()) {
    const path = `platforms[${i}]`;
    const platform = normalizePlatform(name);
    if (!platform) {
      errors.push({
        path,
        message: `unknown platform ${JSON.stringify(name)}; use x, instagram or linkedin`,
      });
      continue;
    }
    if (seen.has(platform)) {
      errors.push({ path, message: `${platform} is listed twice ("twitter" is x); list each platform once` });
      continue;
    }
    seen.add(platform);
    const onPlatform = owned.filter((a) => a.platform === platform);
    if (onPlatform.length === 0) {
      errors.push({ path, message: `you have no connected ${platform} account; connect one first` });
    } else if (onPlatform.length > 1) {
      errors.push({
        path,
        message: `you have ${onPlatform.length} connected ${platform} accounts (${
          onPlatform.map((a) => a.id).join(', ')
        }); name one with targets: [{ "accountId": "…" }]`,
      });
    } else if (onPlatform[0]!.status !== 'active') {
      errors.push({ path, message: `your ${platform} account needs reconnecting first` });
    } else {
      accounts.push(onPlatform[0]!);
    }
  }
  if (errors.length > 0) {
    const ambiguous = errors.some((e) => / connected /.test(e.message));
    throw invalidInput(errors, ambiguous ? 'account_ambiguous' : 'validation_failed');
  }
  return accounts;
}
