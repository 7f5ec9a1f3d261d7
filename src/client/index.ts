/** The typed client of the SoloSpark Publisher API (see publisher-client.ts). */
export { createPublisherClient } from './publisher-client.ts';
export type {
  FunctionsHost,
  PublisherClient,
  PublisherClientOptions,
  ScheduleOptions,
  UpdateOptions,
} from './publisher-client.ts';
export { PublisherApiError } from './publisher-api-error.ts';
export type { ClientErrorCode } from './publisher-api-error.ts';
export type {
  Account,
  AccountConnection,
  ConnectablePlatform,
  ConnectionReturn,
  ListPostsQuery,
  Post,
  PostPage,
  PostTarget,
  PostTargetInput,
  PostValidation,
  Problem,
  SchedulePostInput,
  TargetComment,
  TargetValidation,
  ThreadPart,
  UpdatePostInput,
} from './client-types.ts';
