/**
 * The body of a media download as the uploads read it (media-fetch.ts `openMedia`): counted and
 * capped as it arrives, failing with the download's PublishErrors (media-errors.ts), and timed per wait
 * on the host rather than as a whole, since a large video streams for as long as its upload takes.
 */
import type { Platform } from '../domain/platform.ts';
import { mediaInvalid, mediaUnreachable, transportFailure } from './media-errors.ts';
import type { PublishError } from './publish-error.ts';

/** An answered download whose body has not been read yet. */
export interface MediaDownload {
  /** Lower-case type without parameters, e.g. `video/mp4`. */
  contentType: string;
  /** The URL the bytes come from (after redirects). */
  url: string;
  /**
   * The size the host declared (Content-Length), which the body is held to; null when it declared none.
   */
  length: number | null;
  /** The limit for this type; the body errors with `media_invalid` past it. */
  maxBytes: number;
  /** The bytes as they arrive, read on demand. Reads reject with the download's PublishErrors. */
  body: ReadableStream<Uint8Array>;
  /** The error the body failed with, if it did (for an upload that failed because its body did). */
  failure(): PublishError | null;
  /** Stops the download (safe to call at any time, and more than once). */
  cancel(): Promise<void>;
}

export interface MeterContext {
  platform: Platform;
  /** The caller's signal: an abort is told apart from a timeout. */
  signal: AbortSignal;
  url: string;
  contentType: string;
  maxBytes: number;
  length: number | null;
  waiting: WaitTimer;
  timeoutMs: number;
}

/**
 * The answer's body, counted and capped as it is read. Pull-based with no queue of its own
 * (highWaterMark 0): nothing is read from the host before the upload asks for it.
 */
export function meteredDownload(response: Response, ctx: MeterContext): MediaDownload {
  const source = response.body;
  const reader = source ? source.getReader() : null;
  let total = 0;
  let failure: PublishError | null = null;
  let finished = false;
  const finish = async (cause?: unknown) => {
    if (finished) return;
    finished = true;
    ctx.waiting.dispose();
    // A source that already failed rejects its cancel with that same failure, which was handled.
    await reader?.cancel(cause).then(undefined, alreadyFailed);
  };
  const fail = (err: PublishError) => {
    failure ??= err;
    return failure;
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) {
        controller.error(fail(mediaInvalid(ctx.platform, ctx.url, 'it is empty')));
        return;
      }
      let next: ReadableStreamReadResult<Uint8Array>;
      ctx.waiting.start();
      try {
        next = await reader.read();
      } catch (err) {
        await finish(err);
        // Whatever broke the body off mid-way (a reset, a timeout, an abort), the host did answer: passing.
        const why = transportFailure(err, ctx, ctx.timeoutMs).reason;
        controller.error(fail(mediaUnreachable(ctx.platform, ctx.url, `the download broke off (${why})`, {
          passing: true,
          cause: err,
        })));
        return;
      }
      ctx.waiting.stop();
      if (next.done) {
        await finish();
        if (total === 0) controller.error(fail(mediaInvalid(ctx.platform, ctx.url, 'it is empty')));
        else controller.close();
        return;
      }
      total += next.value.byteLength;
      if (total > ctx.maxBytes) {
        await finish();
        controller.error(
          fail(mediaInvalid(ctx.platform, ctx.url, `it is larger than the limit of ${ctx.maxBytes} bytes`)),
        );
        return;
      }
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      await finish(reason);
    },
  }, { highWaterMark: 0 });
  return {
    contentType: ctx.contentType,
    url: ctx.url,
    length: ctx.length,
    maxBytes: ctx.maxBytes,
    body,
    failure: () => failure,
    cancel: () => finish(),
  };
}

function alreadyFailed(): void {}

export interface WaitTimer {
  /** Aborts (with a TimeoutError) when a started wait runs past the timeout. */
  signal: AbortSignal;
  start(): void;
  stop(): void;
  /** Stops for good (the download finished or failed). */
  dispose(): void;
}

/** A timeout that counts only while we wait on the host, restarted for every wait. */
export function createWaitTimer(timeoutMs: number): WaitTimer {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    start() {
      stop();
      if (disposed) return;
      timer = setTimeout(() => {
        controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
    },
    stop,
    dispose() {
      disposed = true;
      stop();
    },
  };
}
