/**
 * The steps of one account connection the OAuth routes share: which platform the path names, its
 * adapter, the app's return URI (the redirect URI registered with the platform), a fresh state, the
 * answer to a bad state, and the code exchange (whose failure names the platform's answer, never a
 * token).
 */
import { AppError, coerceError } from '../../domain/error-codes.ts';
import type { Platform } from '../../domain/platform.ts';
import { normalizePlatform, PLATFORMS } from '../../domain/platform.ts';
import { isPublishError } from '../../platforms/publish-error.ts';
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

/** The platform's adapter; 503 when this server was built without the OAuth settings. */
export function publisherFor(oauth: OAuthConnectDeps | undefined, platform: Platform): Publisher {
  if (!oauth) throw notConfigured(platform);
  return oauth.publishers[platform];
}

/**
 * Where the platform sends the browser back: the app's page `<OAUTH_APP_RETURN_URL>/<platform>`,
 * which completes with POST /accounts/:platform/callback. Register exactly that URI with the platform.
 */
export function appReturnUriFor(oauth: OAuthConnectDeps | undefined, platform: Platform): string {
  if (!oauth?.appReturnUrl) throw notConfigured(platform);
  return `${oauth.appReturnUrl.replace(/\/+$/, '')}/${platform}`;
}

function notConfigured(platform: Platform): AppError {
  return new AppError(
    'oauth_not_configured',
    "connecting accounts needs OAUTH_APP_RETURN_URL, the creator app's page the platform returns to " +
      `(e.g. https://app.example.com/connect); register <that URL>/${platform} as the redirect URI with ` +
      `${PLATFORM_NAMES[platform]}, and complete there with POST /accounts/${platform}/callback`,
    { platform },
  );
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
    // Adapter messages name the platform's answer and never carry tokens. A 4xx from the platform
    // refused this code (expired, used, another redirect URI): the client's input, not our outage.
    const status = isPublishError(err) ? err.platformStatus : null;
    if (status !== null && status >= 400 && status < 500) {
      throw new AppError(
        'oauth_code_rejected',
        `${PLATFORM_NAMES[platform]} refused the authorization code (${status}: ${
          coerceError(err).message
        }); ` +
          `codes are single-use and short-lived (X: 30 seconds). Start again with POST /accounts/${platform}/connect`,
        { platform, path: 'code' },
        { cause: err },
      );
    }
    throw new AppError(
      'oauth_exchange_failed',
      `${PLATFORM_NAMES[platform]} did not accept the authorization: ${coerceError(err).message}. ` +
        `Start again with POST /accounts/${platform}/connect`,
      { platform },
      { cause: err },
    );
  }
}
