/**
 * The APPEND part of X's chunked upload (platform-apis.md §1.3 b): the media in X_CHUNK_BYTES chunks,
 * one `POST /2/media/upload/{id}/append` each, in order, as multipart/form-data (`media`,
 * `segment_index`).
 *
 * Memory is what this file is about. A 512 MB video passes through one buffer, allocated once per
 * upload: the download is read straight into the chunk's place in a prebuilt multipart body, which is
 * then sent from there as a stream of SEND_SLICE_BYTES views, with its Content-Length. A FormData with
 * a Blob per chunk copies every chunk twice more (into the Blob, then into the serialised body), and a
 * whole-buffer body is copied once by fetch; the garbage of a few 4 MB copies is what lifts a worker's
 * RSS well past its working set before the collector catches up. Measured with `npm run bench -- media`
 * (500 MB, cost over the publisher's RSS before): FormData 63 MB (Node) / 103 MB (Deno), one buffer
 * sent whole 47 / 78 MB, streamed slices 37–53 / 45–48 MB (docs/security.md, "Media streaming").
 *
 * Node's fetch sends the stream with the given Content-Length; Deno's ignores a Content-Length on a
 * stream and sends it chunked over HTTP/1.1, as plain DATA frames over HTTP/2. The sandbox takes both.
 */
import type { HttpClient } from '../http-client.ts';
import { X_PATHS } from './x-api.ts';
import { classifyXError } from './x-errors.ts';

const MB = 1024 * 1024;
/**
 * Bytes per APPEND: under X's 5 MB per chunk (v1.1 APPEND reference), with room for the form around
 * it — 5 MB chunks were reported to get an empty 413 from X's edge (trypostit/trypost#31).
 */
export const X_CHUNK_BYTES = 4 * MB;

/** How much of the body each write hands to fetch: a view into the buffer, not a copy. */
const SEND_SLICE_BYTES = 256 * 1024;

/** Fills `into` from its start with the next bytes of the media; how many it wrote (0: the end). */
export type ChunkSource = (into: Uint8Array) => Promise<number>;

export interface AppendDeps {
  http: HttpClient;
  baseUrl: string;
  now: () => Date;
}

/** APPENDs every chunk of `source` to upload `id`; the number of bytes appended. */
export async function appendChunks(
  deps: AppendDeps,
  id: string,
  source: ChunkSource,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<number> {
  const form = createAppendForm();
  let sent = 0;
  for (let index = 0;; index += 1) {
    const filled = await fill(source, form.chunk);
    if (filled === 0) return sent;
    const body = form.body(filled, index);
    const res = await deps.http.request({
      method: 'POST',
      url: `${deps.baseUrl}${X_PATHS.mediaAppend(id)}`,
      headers: { ...auth, 'content-type': form.contentType, 'content-length': String(body.byteLength) },
      body: sliced(body),
      signal,
      idempotent: true,
    });
    if (res.status < 200 || res.status > 299) {
      throw classifyXError(res, { operation: 'media_upload', now: deps.now() });
    }
    sent += filled;
    if (filled < form.chunk.byteLength) return sent;
  }
}

/** Reads from `source` until `into` is full or the media ends. */
async function fill(source: ChunkSource, into: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < into.byteLength) {
    const got = await source(into.subarray(filled));
    if (got === 0) break;
    filled += got;
  }
  return filled;
}

/** A source over a stream: copies each read into the caller's buffer, keeping what did not fit. */
export function streamSource(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  let rest: Uint8Array | null = null;
  return async function readInto(into) {
    if (!rest) {
      const { done, value } = await reader.read();
      if (done) return 0;
      rest = value;
    }
    const take = Math.min(rest.byteLength, into.byteLength);
    into.set(rest.subarray(0, take));
    rest = take < rest.byteLength ? rest.subarray(take) : null;
    return take;
  };
}

/** A source over bytes already in memory (a large GIF, a small unsized video). */
export function bytesSource(bytes: Uint8Array): ChunkSource {
  let offset = 0;
  return function copyInto(into) {
    const take = Math.min(bytes.byteLength - offset, into.byteLength);
    into.set(bytes.subarray(offset, offset + take));
    offset += take;
    return Promise.resolve(take);
  };
}

/**
 * `bytes` as a stream of views. The buffer under them is refilled only after the answer came, when
 * fetch has written (and let go of) every view.
 */
function sliced(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      const end = Math.min(bytes.byteLength, offset + SEND_SLICE_BYTES);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
    },
  }, { highWaterMark: 0 });
}

interface AppendForm {
  contentType: string;
  /** Where the chunk's bytes go, inside the body. */
  chunk: Uint8Array;
  /** The whole body for a chunk of `filled` bytes at `index`. */
  body(filled: number, index: number): Uint8Array;
}

/**
 * `media` first, so its bytes sit at a fixed offset; `segment_index` after them. The boundary is
 * random per upload, as FormData's is: 128 random bits do not turn up in a video.
 */
function createAppendForm(): AppendForm {
  const boundary = `----SoloSparkChunk${crypto.randomUUID().replaceAll('-', '')}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\ncontent-disposition: form-data; name="media"; filename="chunk"\r\n` +
      'content-type: application/octet-stream\r\n\r\n',
  );
  const tail = (index: number) =>
    encoder.encode(
      `\r\n--${boundary}\r\ncontent-disposition: form-data; name="segment_index"\r\n\r\n${index}\r\n--${boundary}--\r\n`,
    );
  const buffer = new Uint8Array(head.byteLength + X_CHUNK_BYTES + tail(999).byteLength);
  buffer.set(head);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    chunk: buffer.subarray(head.byteLength, head.byteLength + X_CHUNK_BYTES),
    body(filled, index) {
      const end = tail(index);
      buffer.set(end, head.byteLength + filled);
      return buffer.subarray(0, head.byteLength + filled + end.byteLength);
    },
  };
}
