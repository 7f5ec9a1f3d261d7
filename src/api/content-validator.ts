/**
 * Content rules per platform, checked before a post is accepted (docs/operations.md). The API takes a
 * plain function so tests can pass a fake; `validatorFromPublishers` builds it from the platform
 * registry, whose adapters know their own rules.
 */
import type { Platform } from '../domain/platform.ts';
import type { ContentViolation, PublishContent, Publisher } from '../platforms/publisher.ts';

export type ValidateContent = (platform: Platform, content: PublishContent) => ContentViolation[];

export function validatorFromPublishers(
  publishers: Readonly<Partial<Record<Platform, Pick<Publisher, 'validate'>>>>,
): ValidateContent {
  return function validateContent(platform, content) {
    const publisher = publishers[platform];
    if (!publisher) {
      return [{
        platform,
        rule: 'platform_unavailable',
        message: `${platform} is not configured on this server; choose another platform`,
        path: 'platforms',
      }];
    }
    return publisher.validate(content);
  };
}
