/**
 * Coming back to an ambiguous send the platform could not be asked about (reconcile said
 * `check_later`, target-recovery.ts), once its claim may be taken over.
 */
import type { Logger } from '../observability/logger.ts';
import type { PublishJobResult, TargetRunControl } from './target-run-control.ts';
import type { HandlerDeps } from './worker-deps.ts';
import { abandonAfterMs } from './worker-deps.ts';

/**
 * The platform could not be asked about an ambiguous send: the target stays `publishing` under its
 * claim, and this run comes back once the claim may be taken over (`extraMs` after a takeover, which
 * restamped the claim) to ask again.
 */
export async function checkLater(
  deps: Pick<HandlerDeps, 'now' | 'settings'>,
  control: TargetRunControl,
  log: Logger,
  extraMs: number,
): Promise<PublishJobResult> {
  const until = new Date(deps.now().getTime() + abandonAfterMs(deps.settings.publishTimeoutMs) + extraMs);
  log.warn(
    { checkAt: until.toISOString() },
    'the platform could not be asked whether the post is live; asking again later',
  );
  return await control.defer(until);
}
