/**
 * A media host serving generated files of any size without holding them: `/video.mp4?bytes=N` is an
 * MP4 `ftyp` header followed by a deterministic byte pattern, written chunk by chunk with back-pressure,
 * so a 500 MB video costs this server a chunk. Knobs per request, for the streaming tests and
 * `npm run bench -- media`:
 *   `?bytes=N`           size (Default: 1 MiB)
 *   `?length=0`          send no Content-Length (chunked transfer)
 *   `?hold=N`            after N bytes, wait until `release()` (or 10 s) before sending the rest
 *   `?break=N`           after N bytes, destroy the connection
 *   `/image.png`         the same with a PNG signature first
 * `sha256Of(name, bytes)` is the SHA-256 of what it serves, for checking what a platform received.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const CHUNK = 256 * 1024;
const HEADERS: Record<string, { type: string; magic: Uint8Array }> = {
  '/video.mp4': {
    type: 'video/mp4',
    magic: new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32, 0, 0, 0, 0]),
  },
  '/image.png': {
    type: 'image/png',
    magic: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
};

/** Bytes [offset, offset + length) of the generated file `path` (`/video.mp4` or `/image.png`). */
export function generatedBytes(path: string, offset: number, length: number): Uint8Array {
  const magic = HEADERS[path]!.magic;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const at = offset + i;
    out[i] = at < magic.length ? magic[at]! : (at * 31 + (at >>> 11)) & 0xff;
  }
  return out;
}

/** The hex SHA-256 of the first `bytes` bytes of `path`. */
export function sha256Of(path: string, bytes: number): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < bytes; offset += CHUNK) {
    hash.update(generatedBytes(path, offset, Math.min(CHUNK, bytes - offset)));
  }
  return hash.digest('hex');
}

export interface MediaHost {
  url: string;
  /** Lets every held response go on, and later ones not hold at all. */
  release(): void;
  /** How many bytes the responses have written so far. */
  sent(): number;
  close(): Promise<void>;
}

export async function startMediaHost(options: { hostname?: string; port?: number } = {}): Promise<MediaHost> {
  let sent = 0;
  let releaseHeld!: () => void;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://media');
    const kind = HEADERS[url.pathname];
    if (!kind) {
      res.writeHead(404).end();
      return;
    }
    const total = Number(url.searchParams.get('bytes') ?? 1024 * 1024);
    const hold = url.searchParams.has('hold') ? Number(url.searchParams.get('hold')) : null;
    const breakAt = url.searchParams.has('break') ? Number(url.searchParams.get('break')) : null;
    res.writeHead(200, {
      'content-type': kind.type,
      ...(url.searchParams.get('length') === '0' ? {} : { 'content-length': String(total) }),
    });
    let offset = 0;
    let waited = false;
    const pump = async () => {
      while (offset < total) {
        if (breakAt !== null && offset >= breakAt) {
          req.socket.destroy();
          return;
        }
        if (hold !== null && offset >= hold && !waited) {
          waited = true;
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([held, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
          clearTimeout(timer);
        }
        const end = Math.min(total, offset + CHUNK, hold !== null && !waited ? hold : Infinity);
        const bytes = generatedBytes(url.pathname, offset, end - offset);
        offset = end;
        sent += bytes.byteLength;
        if (!res.write(bytes)) await new Promise((resolve) => res.once('drain', resolve));
        if (res.destroyed) return;
      }
      res.end();
    };
    void pump();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', resolve)
  );
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.hostname ?? '127.0.0.1'}:${port}`,
    release: () => releaseHeld(),
    sent: () => sent,
    close() {
      releaseHeld();
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
