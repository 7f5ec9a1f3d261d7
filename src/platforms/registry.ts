/**
 * Every platform's publisher, built from configuration. Adding a platform is one module under
 * src/platforms/<platform>/ and one line in PUBLISHER_FACTORIES (plus its id in src/domain/platform.ts;
 * the Record type below makes the compiler ask for the line).
 */
import type { Config } from '../config/load-config.ts';
import type { Platform } from '../domain/platform.ts';
import { createInstagramPublisher } from './instagram/instagram-publisher.ts';
import { createLinkedInPublisher } from './linkedin/linkedin-publisher.ts';
import type { Publisher } from './publisher.ts';
import { createXPublisher } from './x/x-publisher.ts';

export type PublisherRegistry = Readonly<Record<Platform, Publisher>>;

export interface PublisherDeps {
  /** Injected in tests. (Default: global fetch) */
  fetch?: typeof fetch;
  now?: () => Date;
}

type PublisherFactory = (config: Config, deps: PublisherDeps) => Publisher;

const PUBLISHER_FACTORIES: Readonly<Record<Platform, PublisherFactory>> = {
  x: (config, deps) =>
    createXPublisher({
      baseUrl: config.platforms.xApiBaseUrl,
      clientId: config.platforms.oauth.x.clientId,
      clientSecret: config.platforms.oauth.x.clientSecret,
      allowPrivateMediaHosts: config.platforms.mediaAllowPrivateHosts,
      ...deps,
    }),
  instagram: (config, deps) =>
    createInstagramPublisher({
      baseUrl: config.platforms.instagramApiBaseUrl,
      clientId: config.platforms.oauth.instagram.clientId,
      clientSecret: config.platforms.oauth.instagram.clientSecret,
      allowPrivateMediaHosts: config.platforms.mediaAllowPrivateHosts,
      allowHttpMedia: config.platforms.mediaAllowPrivateHosts,
      ...deps,
    }),
  linkedin: (config, deps) =>
    createLinkedInPublisher({
      baseUrl: config.platforms.linkedinApiBaseUrl,
      oauthBaseUrl: config.platforms.linkedinOauthBaseUrl,
      version: config.platforms.linkedinVersion,
      clientId: config.platforms.oauth.linkedin.clientId,
      clientSecret: config.platforms.oauth.linkedin.clientSecret,
      allowPrivateMediaHosts: config.platforms.mediaAllowPrivateHosts,
      ...deps,
    }),
};

export function createPublishers(config: Config, deps: PublisherDeps = {}): PublisherRegistry {
  const entries = (Object.keys(PUBLISHER_FACTORIES) as Platform[]).map((platform) => {
    const publisher = PUBLISHER_FACTORIES[platform](config, deps);
    if (publisher.platform !== platform) {
      throw new TypeError(`the ${platform} factory built a publisher for ${publisher.platform}`);
    }
    return [platform, publisher] as const;
  });
  return Object.freeze(Object.fromEntries(entries) as Record<Platform, Publisher>);
}

export function getPublisher(registry: PublisherRegistry, platform: Platform): Publisher {
  const publisher = registry[platform];
  if (!publisher) throw new TypeError(`no publisher is registered for platform "${platform}"`);
  return publisher;
}
