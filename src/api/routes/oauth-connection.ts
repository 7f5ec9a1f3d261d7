/**
 * The steps of one account connection the OAuth routes share: which platform the path names, its
 * adapter and redirect URI, a fresh state, the answer to a bad state, and the code exchange (whose
 * failure names the platform's answer, never a token).
 */
import { AppError, coerceError } from '../../domain/error-codes.ts';
import type { Platform } from '../../domain/platform.ts';
import { normalizePlatform, PLATFORMS } from '../../domain/platform.ts';
import type { ConnectedAccount, Publisher } from '../../platforms/publisher.ts';
import type { OAuthConnectDeps } from '../api-deps.ts';

/** Budget for the code exchange and profile lookup (X codes live 30 s). */
const EXCHANGE_TIMEOUT_MS = 20_000;

/** How the answers and the page name each platform. */
export const PLATFORM_NAMES: Readonly<Record<Platform, string>> = {
  x: 'X',
  instagram: 'Instagram',
  linkedin: 'LinkedIn',
};

export function platformOf(input: string): Platform {
  const platform = normalizePlatform(input);
  if (!platform) {
    throw new AppError(
      'validation_failed',
      `unknown platform ${JSON.stringify(input)}; use one of ${PLATFORMS.join(', ')}`,
      { path: 'platform' },
    );
  }
  return platform;
}

export function connectionFor(
  oauth: OAuthConnectDeps | undefined,
  platform: Platform,
): { publisher: Publisher; redirectUri: string } {
  if (!oauth?.redirectBaseUrl) {
    throw new AppError(
      'oauth_not_configured',
      'connecting accounts needs OAUTH_REDIRECT_BASE_URL, the public URL of this API (e.g. ' +
        'https://<ref>.supabase.co/functions/v1, or http://localhost:8787 locally); register ' +
        `<that URL>/accounts/${platform}/callback as the redirect URI with ${PLATFORM_NAMES[platform]}`,
      { platform },
    );
  }
  const base = oauth.redirectBaseUrl.replace(/\/+$/, '');
  return { publisher: oauth.publishers[platform], redirectUri: `${base}/accounts/${platform}/callback` };
}

/** 32 random bytes, base64url: 43 characters, within X's 500-character limit. */
export function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function stateInvalid(platform: Platform, why: string): AppError {
  return new AppError(
    'oauth_state_invalid',
    `${why}; start again with POST /accounts/${platform}/connect`,
    { platform, path: 'state' },
  );
}

export async function exchange(
  publisher: Publisher,
  platform: Platform,
  params: { code: string; redirectUri: string; codeVerifier: string },
): Promise<ConnectedAccount> {
  try {
    return await publisher.exchangeCode(params, AbortSignal.timeout(EXCHANGE_TIMEOUT_MS));
  } catch (err) {
    // Adapter messages name the platform's answer and never carry tokens.
    throw new AppError(
      'oauth_exchange_failed',
      `${PLATFORM_NAMES[platform]} did not accept the authorization: ${coerceError(err).message}. ` +
        `Start again with POST /accounts/${platform}/connect`,
      { platform },
      { cause: err },
    );
  }
}
