/**
 * The LinkedIn adapter's options, checked once in the factory: every problem named at once.
 */
import { checkCommonPublisherOptions, isHttpUrl, throwOptionProblems } from '../publisher-options.ts';

export interface LinkedInPublisherOptions {
  /** LINKEDIN_API_BASE_URL, e.g. https://api.linkedin.com */
  baseUrl: string;
  /** LINKEDIN_OAUTH_BASE_URL. (Default: https://www.linkedin.com) */
  oauthBaseUrl?: string;
  /** LINKEDIN_VERSION, YYYYMM. (Default: 202601) */
  version?: string;
  clientId: string | null;
  clientSecret: string | null;
  fetch?: typeof fetch;
  now?: () => Date;
  /** MEDIA_ALLOW_PRIVATE_HOSTS: let the image download reach private addresses (dev and tests only). */
  allowPrivateMediaHosts: boolean;
  /** Resolves media host names (tests). (Default: DNS) */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Per-request timeout. (Default: 30 s) */
  timeoutMs?: number;
  /** Largest image downloaded. (Default: 20 MB) */
  maxImageBytes?: number;
  /** With a refresh token: refresh once the token expires within this window. (Default: 7 days) */
  refreshWindowMs?: number;
  /** Without a refresh token: report the account for reconnection this long before expiry. (Default: 1 hour) */
  reconnectMarginMs?: number;
  scopes?: readonly string[];
}

export function validateLinkedInOptions(options: LinkedInPublisherOptions): void {
  const problems: string[] = [];
  if (!isHttpUrl(options.baseUrl)) {
    problems.push('baseUrl must be an http(s) URL (e.g. https://api.linkedin.com)');
  }
  if (options.oauthBaseUrl !== undefined && !isHttpUrl(options.oauthBaseUrl)) {
    problems.push('oauthBaseUrl must be an http(s) URL (e.g. https://www.linkedin.com)');
  }
  if (options.version !== undefined && !/^\d{6}(\.\d{2})?$/.test(options.version)) {
    problems.push(
      `version must be a LINKEDIN_VERSION such as 202601, got ${JSON.stringify(options.version)}`,
    );
  }
  checkCommonPublisherOptions(options, problems);
  throwOptionProblems('createLinkedInPublisher', problems);
}
