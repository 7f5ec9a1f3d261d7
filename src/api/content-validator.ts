/**
 * Content rules per platform, checked before a post is accepted (docs/operations.md). The API takes a
 * plain function so tests can pass a fake; `validatorFromPublishers` builds it from the platform
 * registry, whose adapters know their own rules.
 */
import type { Platform } from '../domain/platform.ts';
import { MAX_POST_TEXT_LENGTH } from '../domain/schedule-rules.ts';
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

/** What the editor needs beyond the post rules: first-comment rules and each platform's length count. */
export interface ContentRules {
  /** Every rule a first comment's text breaks on the platform (path `firstComment`). */
  validateComment(platform: Platform, text: string): ContentViolation[];
  /** The text's length as the platform counts it (X weighs URLs and CJK), and its limit. */
  measure(platform: Platform, text: string): { length: number; limit: number };
  /** A first comment's length and limit as the platform counts them. */
  measureComment(platform: Platform, text: string): { length: number; limit: number };
}

export function rulesFromPublishers(
  publishers: Readonly<
    Partial<
      Record<
        Platform,
        Pick<
          Publisher,
          'validateComment' | 'textLength' | 'maxTextLength' | 'commentLength' | 'maxCommentLength'
        >
      >
    >
  >,
): ContentRules {
  return {
    validateComment(platform, text) {
      return publishers[platform]?.validateComment(text) ?? [];
    },
    measure(platform, text) {
      const publisher = publishers[platform];
      if (!publisher) return { length: [...text].length, limit: MAX_POST_TEXT_LENGTH };
      return { length: publisher.textLength(text), limit: publisher.maxTextLength };
    },
    measureComment(platform, text) {
      const publisher = publishers[platform];
      if (!publisher) return { length: [...text].length, limit: MAX_POST_TEXT_LENGTH };
      return {
        length: (publisher.commentLength ?? publisher.textLength)(text),
        limit: publisher.maxCommentLength ?? publisher.maxTextLength,
      };
    },
  };
}

/** Without publishers (tests, routes that never check content): code points against the store's limit. */
export const PLAIN_CONTENT_RULES: ContentRules = {
  validateComment: () => [],
  measure: (_platform, text) => ({ length: [...text].length, limit: MAX_POST_TEXT_LENGTH }),
  measureComment: (_platform, text) => ({ length: [...text].length, limit: MAX_POST_TEXT_LENGTH }),
};
