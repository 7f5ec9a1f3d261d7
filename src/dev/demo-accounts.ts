/**
 * The demo creator's connected accounts: one sandbox account per platform, with tokens issued by the
 * sandbox's own token registry (so the sandbox accepts them and publishing really goes through),
 * stored encrypted in the store like any account connected through OAuth. The sandbox's authorize
 * pages approve as these same accounts, so connecting through the OAuth flow (dev-connect-pages.ts)
 * gives them fresh tokens instead of a second account per platform — which would make the banner's
 * `platforms: [...]` post ambiguous.
 */
import type { Platform } from '../domain/platform.ts';
import type { SocialAccount } from '../domain/post.ts';
import type { Sandbox } from '../sandbox/create-sandbox.ts';
import type { TokenRecord } from '../sandbox/sandbox-tokens.ts';
import type { PostStore } from '../store/post-store.ts';

export type DemoAccounts = Record<Platform, SocialAccount>;

export async function connectDemoAccounts(
  store: PostStore,
  sandbox: Sandbox,
  userId: string,
): Promise<DemoAccounts> {
  const x = sandbox.x.connectAccount({ username: 'solospark_demo', name: 'SoloSpark Demo' });
  const instagram = sandbox.instagram.connectAccount({ username: 'solospark.demo' });
  const linkedin = sandbox.linkedin.connectAccount({ name: 'SoloSpark Demo' });
  const save = (platform: Platform, externalId: string, displayName: string, token: TokenRecord) =>
    store.createAccount({
      userId,
      platform,
      externalId,
      displayName,
      scopes: [...token.scopes],
      tokens: {
        accessToken: token.accessToken,
        refreshToken: token.refreshToken,
        expiresAt: token.expiresAt,
      },
    });
  sandbox.knobs.setSettings({
    'x.demoUsername': x.user.username,
    'instagram.authorizeAs': instagram.userId,
    'linkedin.authorizeAs': linkedin.urn,
  });
  return {
    x: await save('x', x.user.id, '@solospark_demo (sandbox)', x.token),
    instagram: await save('instagram', instagram.userId, 'solospark.demo (sandbox)', instagram.token),
    linkedin: await save('linkedin', linkedin.urn, 'SoloSpark Demo (sandbox)', linkedin.token),
  };
}
