// The origin's byte counters, and the body writer that tells them what never reached the socket.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes and requests the origin served, in total, per path and per viewer. */
export interface OriginByteCounts {
  readonly totalBytes: number;
  readonly segmentBytes: number;
  readonly playlistBytes: number;
  readonly requests: number;
  readonly segmentRequests: number;
  readonly byPath: Record<string, number>;
  readonly byViewer: Record<string, { segmentBytes: number; segmentRequests: number }>;
}

/** What a response is counted as, and under which path and viewer. */
export interface CountKey {
  readonly path: string;
  readonly viewer: string;
  readonly kind: 'segment' | 'playlist' | 'other';
}

/** Bodies go out in chunks this big, so an aborted response is counted to within a chunk. */
const WRITE_CHUNK_BYTES = 64 * 1024;

type MutableCounts = { -readonly [K in keyof OriginByteCounts]: OriginByteCounts[K] };

const emptyCounts = (): MutableCounts => ({
  totalBytes: 0,
  segmentBytes: 0,
  playlistBytes: 0,
  requests: 0,
  segmentRequests: 0,
  byPath: {},
  byViewer: {},
});

/** The counting key of a request: its pathname, and the viewer named by `X-Viewer-Id` or `?viewer=`. */
export function countKeyOf(req: IncomingMessage, kind: CountKey['kind']): CountKey {
  const url = new URL(req.url ?? '/', 'http://origin');
  const header = req.headers['x-viewer-id'];
  const viewer =
    (typeof header === 'string' && header !== '' ? header : null) ?? url.searchParams.get('viewer') ?? 'anonymous';
  return { path: url.pathname, viewer, kind };
}

/**
 * Counts response body bytes (headers excluded). A response is counted in full when its body
 * starts out, so counts are final as soon as a client has the body (no lag behind the client);
 * if the client goes away first, the function `count` returns takes back what never reached the
 * socket. So a finished response counts exactly its body, an aborted one the whole chunks the
 * kernel accepted (see `writeBody`), which may include bytes the client never read.
 */
export class OriginCounters {
  #counts = emptyCounts();

  count(key: CountKey, bytes: number): (unsentBytes: number) => void {
    this.#add(key, bytes, 1);
    const counts = this.#counts;
    // After a reset the response is no longer in the counts: nothing to take back.
    return (unsentBytes) => {
      if (this.#counts === counts && unsentBytes > 0) this.#add(key, -unsentBytes, 0);
    };
  }

  snapshot(): OriginByteCounts {
    return structuredClone(this.#counts);
  }

  reset(): void {
    this.#counts = emptyCounts();
  }

  #add(key: CountKey, bytes: number, requests: number): void {
    const counts = this.#counts;
    counts.totalBytes += bytes;
    counts.requests += requests;
    counts.byPath[key.path] = (counts.byPath[key.path] ?? 0) + bytes;
    if (key.kind === 'playlist') counts.playlistBytes += bytes;
    if (key.kind === 'segment') {
      counts.segmentBytes += bytes;
      counts.segmentRequests += requests;
      const perViewer = (counts.byViewer[key.viewer] ??= { segmentBytes: 0, segmentRequests: 0 });
      perViewer.segmentBytes += bytes;
      perViewer.segmentRequests += requests;
    }
  }
}

/**
 * Writes `body` in chunks with backpressure and ends the response. If the response closes before
 * the whole body was written to the socket (the client went away), reports the bytes that were not.
 */
export function writeBody(res: ServerResponse, body: Buffer, onUnsent: (unsentBytes: number) => void): void {
  let writtenBytes = 0;
  let offset = 0;
  res.once('close', () => {
    if (!res.writableFinished) onUnsent(body.byteLength - writtenBytes);
  });
  const pump = (): void => {
    while (offset < body.byteLength && !res.destroyed) {
      const chunk = body.subarray(offset, offset + WRITE_CHUNK_BYTES);
      offset += chunk.byteLength;
      // The callback runs once the chunk is handed to the kernel, with an error if it never is.
      const more = res.write(chunk, (error) => {
        if (error == null) writtenBytes += chunk.byteLength;
      });
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** The counts of several origins serving one stream, added up (per path and per viewer too). */
export function sumCounts(all: readonly OriginByteCounts[]): OriginByteCounts {
  const sum = emptyCounts();
  for (const counts of all) {
    sum.totalBytes += counts.totalBytes;
    sum.segmentBytes += counts.segmentBytes;
    sum.playlistBytes += counts.playlistBytes;
    sum.requests += counts.requests;
    sum.segmentRequests += counts.segmentRequests;
    for (const [path, bytes] of Object.entries(counts.byPath)) sum.byPath[path] = (sum.byPath[path] ?? 0) + bytes;
    for (const [viewer, { segmentBytes, segmentRequests }] of Object.entries(counts.byViewer)) {
      const entry = (sum.byViewer[viewer] ??= { segmentBytes: 0, segmentRequests: 0 });
      entry.segmentBytes += segmentBytes;
      entry.segmentRequests += segmentRequests;
    }
  }
  return sum;
}
