/**
 * What the API is built from. Every dependency is a port, so tests pass the memory store, a fake
 * queue and fake validators, and the entries pass the real ones.
 */
import type { Logger } from '../observability/logger.ts';
import type { PublisherRegistry } from '../platforms/registry.ts';
import type { PostStore } from '../store/post-store.ts';
import type { AuthVerifier } from './auth/verify-supabase-jwt.ts';
import type { ContentRules, ValidateContent } from './content-validator.ts';
import type { PostScheduler } from './post-scheduler.ts';
import type { NotificationApiDeps } from './routes/notifications.ts';

export interface ApiDeps {
  store: PostStore;
  postScheduler: PostScheduler;
  /** Content rules per platform (see validatorFromPublishers). */
  validateContent: ValidateContent;
  /** First-comment rules and length counts per platform (rulesFromPublishers). (Default: PLAIN_CONTENT_RULES) */
  contentRules?: ContentRules;
  auth: AuthVerifier;
  logger: Logger;
  /** The clock. (Default: () => new Date()) */
  now?: () => Date;
  /** /notifications and /notification-endpoints; without it those routes are absent. (Default: none) */
  notifications?: NotificationApiDeps;
  /** Connecting accounts (POST /accounts/:platform/connect and …/callback); absent = those routes answer 503. */
  oauth?: OAuthConnectDeps;
}

export interface OAuthConnectDeps {
  /** The adapters whose authorizationUrl / exchangeCode run the flow. */
  publishers: PublisherRegistry;
  /**
   * The creator app's return page (OAUTH_APP_RETURN_URL). The redirect URI registered with each
   * platform is `<appReturnUrl>/<platform>`; the app completes there with POST
   * /accounts/:platform/callback and the creator's token. Null = connecting is not configured.
   */
  appReturnUrl: string | null;
}

/**
 * Route groups an app can serve: `system` (/health, /ready, /reference), `posts`, `accounts` (with the
 * OAuth flow) and `notifications` (/notifications and /notification-endpoints; needs
 * `deps.notifications`). Each Edge Function serves the groups its gateway path reaches.
 */
export type ApiRouteGroup = 'system' | 'posts' | 'accounts' | 'notifications';

export interface ApiOptions {
  /** Prefix of every route, e.g. '/functions/v1'. (Default: none) */
  basePath?: string;
  /** Origins allowed by CORS; empty = no CORS headers (same-origin only). (Default: []) */
  corsOrigins?: readonly string[];
  /** Largest accepted request body in bytes. (Default: 65536) */
  bodyLimitBytes?: number;
  /** How long /ready waits for each dependency. (Default: 2000) */
  readyTimeoutMs?: number;
  /** The route groups to serve. (Default: all; `notifications` only when its deps are given) */
  routes?: readonly ApiRouteGroup[];
}
