import type { IncomingMessage } from 'node:http';

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

/**
 * Counts response body bytes handed to the socket (Content-Length of what is sent; a client
 * that disconnects mid-body is still counted in full: the origin paid to send it).
 * Viewers are told apart by the `X-Viewer-Id` header or `viewer` query parameter set by tests.
 */
export class OriginCounters {
  #counts = OriginCounters.#empty();

  static #empty(): { -readonly [K in keyof OriginByteCounts]: OriginByteCounts[K] } {
    return { totalBytes: 0, segmentBytes: 0, playlistBytes: 0, requests: 0, segmentRequests: 0, byPath: {}, byViewer: {} };
  }

  count(req: IncomingMessage, bytes: number, kind: 'segment' | 'playlist' | 'other'): void {
    const url = new URL(req.url ?? '/', 'http://origin');
    const header = req.headers['x-viewer-id'];
    const viewer = (typeof header === 'string' ? header : null) ?? url.searchParams.get('viewer') ?? 'anonymous';
    const counts = this.#counts;
    counts.totalBytes += bytes;
    counts.requests += 1;
    counts.byPath[url.pathname] = (counts.byPath[url.pathname] ?? 0) + bytes;
    if (kind === 'playlist') counts.playlistBytes += bytes;
    if (kind === 'segment') {
      counts.segmentBytes += bytes;
      counts.segmentRequests += 1;
      const perViewer = (counts.byViewer[viewer] ??= { segmentBytes: 0, segmentRequests: 0 });
      perViewer.segmentBytes += bytes;
      perViewer.segmentRequests += 1;
    }
  }

  snapshot(): OriginByteCounts {
    return structuredClone(this.#counts);
  }

  reset(): void {
    this.#counts = OriginCounters.#empty();
  }
}
