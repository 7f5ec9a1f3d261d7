/**
 * The Instagram adapter's options, checked once in the factory: every problem named at once.
 */
import type { ContainerWait } from './instagram-containers.ts';
import { checkCommonPublisherOptions, isHttpUrl, throwOptionProblems } from '../publisher-options.ts';

export interface InstagramPublisherOptions {
  /** INSTAGRAM_API_BASE_URL, e.g. https://graph.instagram.com (no version, no trailing slash). */
  baseUrl: string;
  /**
   * Where authorization codes are exchanged. (Default: https://api.instagram.com with the real Graph
   * host; `baseUrl` itself with any other, e.g. the sandbox, which serves both)
   */
  oauthBaseUrl?: string;
  /** The creator's approval page. (Default: https://www.instagram.com, or `baseUrl` as above) */
  authorizeBaseUrl?: string;
  /** Graph API version in paths; '' for unversioned. (Default: v25.0) */
  graphVersion?: string;
  clientId: string | null;
  clientSecret: string | null;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Accepted for symmetry: Instagram downloads media itself, this adapter never does. */
  allowPrivateMediaHosts: boolean;
  /**
   * Let http media URLs pass validation, for a sandbox that serves media over http (the dev stack sets
   * it with MEDIA_ALLOW_PRIVATE_HOSTS=true). Real Instagram fetches https only. (Default: false)
   */
  allowHttpMedia?: boolean;
  /** Per-request timeout. (Default: 30 s) */
  timeoutMs?: number;
  /** Container polling. (Default: first poll after 1 s, doubling, for at most 5 minutes) */
  containerWait?: Partial<ContainerWait>;
  /** Refresh a long-lived token once it expires within this window. (Default: 7 days) */
  refreshWindowMs?: number;
  scopes?: readonly string[];
}

export function validateInstagramOptions(options: InstagramPublisherOptions): void {
  const problems: string[] = [];
  for (
    const [name, value] of [
      ['baseUrl', options.baseUrl],
      ['oauthBaseUrl', options.oauthBaseUrl],
      ['authorizeBaseUrl', options.authorizeBaseUrl],
    ] as const
  ) {
    if (value === undefined && name !== 'baseUrl') continue;
    if (!isHttpUrl(value)) problems.push(`${name} must be an http(s) URL (e.g. https://graph.instagram.com)`);
  }
  if (options.graphVersion !== undefined && !/^(v\d+\.\d+)?$/.test(options.graphVersion)) {
    problems.push(
      `graphVersion must look like v25.0 (or be '' for unversioned paths), got ${options.graphVersion}`,
    );
  }
  checkCommonPublisherOptions(options, problems);
  throwOptionProblems('createInstagramPublisher', problems);
}
