// The modelled HTTP origin (a CDN edge): every segment exists at a URL, a request costs the viewer's
// origin round trip before the first byte, and the bytes arrive at the viewer's fair share of its
// downlink (in pieces, so peer transfers and HTTP share it). It counts what it serves per segment:
// the ground truth for offload and copies per segment. Hands hls.js-shaped loaders to the library.
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { newStats } from '../../lib/hls/loader-stats.ts';
import { ORIGIN_NODE, PIECE_MODELLED_BYTES, type SimNetwork } from './sim-network.ts';

const TS_PACKET_BYTES = 188;

/**
 * A media segment of `packets` MPEG-TS packets as the library's checks want it: sync bytes in place,
 * and a PES with a timestamp in the first and the last packet, one frame short of `mediaSeconds` apart.
 */
export function segmentTemplate(packets: number, mediaSeconds: number): Uint8Array {
  const bytes = new Uint8Array(packets * TS_PACKET_BYTES);
  for (let offset = 0; offset < bytes.byteLength; offset += TS_PACKET_BYTES) bytes[offset] = 0x47;
  writePesStart(bytes, 0, 0);
  writePesStart(bytes, (packets - 1) * TS_PACKET_BYTES, Math.round((mediaSeconds - 0.04) * 90_000));
  return bytes;
}

/** Make the packet at byte `packet` start a video PES whose header carries a 90-kHz PTS (ISO/IEC 13818-1 §2.4.3.6-7). */
export function writePesStart(bytes: Uint8Array, packet: number, pts: number): void {
  bytes.set([0x47, 0x41, 0x00, 0x10, 0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5], packet);
  bytes.set(
    [
      0x21 | (Math.floor(pts / 2 ** 30) << 1),
      (pts >> 22) & 0xff,
      (((pts >> 15) & 0x7f) << 1) | 1,
      (pts >> 7) & 0xff,
      ((pts & 0x7f) << 1) | 1,
    ],
    packet + 13,
  );
}

export function segmentUrl(sequenceNumber: number): string {
  return `https://origin.sim/stream/seg-${sequenceNumber}.ts`;
}

const URL_PATTERN = /\/seg-(\d+)\.ts$/;
// Distinct pieces kept (and the key's stride: a piece is shorter than this many bytes).
const MAX_PIECE_KEYS = 65_536;

export interface OriginOptions {
  readonly network: SimNetwork;
  readonly byteScale: number;
  readonly segment: Uint8Array;
  /** Stream responses as hls.js's FetchLoader does when asked for progress: chunks, then an empty end. */
  readonly streaming: boolean;
}

/** The origin and its counters. */
export class SimOrigin {
  /** Real bytes served per sequence number (whole and partial responses). */
  readonly bytesBySegment = new Map<number, number>();
  readonly bytesByNode = new Map<number, number>();
  requests = 0;
  readonly options: OriginOptions;
  // Streamed pieces by offset and length (Range resumes start anywhere: the count is bounded).
  readonly #pieces = new Map<number, ArrayBuffer>();

  constructor(options: OriginOptions) {
    this.options = options;
  }

  get totalBytes(): number {
    let total = 0;
    for (const bytes of this.bytesBySegment.values()) total += bytes;
    return total;
  }

  /**
   * The template's bytes `from` to `from + bytes` for a streamed piece, one buffer per distinct
   * piece shared by every response (as a whole segment is): a copy per piece was garbage per piece.
   */
  piece(from: number, bytes: number): ArrayBuffer {
    const key = from * MAX_PIECE_KEYS + bytes;
    let buffer = bytes < MAX_PIECE_KEYS ? this.#pieces.get(key) : undefined;
    if (buffer === undefined) {
      buffer = this.options.segment.slice(from, from + bytes).buffer;
      if (bytes < MAX_PIECE_KEYS && this.#pieces.size < MAX_PIECE_KEYS) this.#pieces.set(key, buffer);
    }
    return buffer;
  }

  served(node: number, sequenceNumber: number, bytes: number): void {
    this.bytesBySegment.set(sequenceNumber, (this.bytesBySegment.get(sequenceNumber) ?? 0) + bytes);
    this.bytesByNode.set(node, (this.bytesByNode.get(node) ?? 0) + bytes);
  }

  /** hls.js's `loader` class for one viewer (hls.js builds one instance per request). */
  loaderClass(node: number): new (config: unknown) => Loader<FragmentLoaderContext> {
    return simHttpLoaderClass(this, node);
  }
}

/** One HTTP request of one viewer, shaped as hls.js's loader. */
function simHttpLoaderClass(origin: SimOrigin, node: number): new (config: unknown) => Loader<FragmentLoaderContext> {
  return class SimHttpLoader extends HttpTransfer {
    constructor(_config: unknown) {
      super(origin, node);
    }
  };
}

class HttpTransfer implements Loader<FragmentLoaderContext> {
  context: FragmentLoaderContext | null = null;
  stats: LoaderStats = newStats();
  readonly #origin: SimOrigin;
  readonly #node: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlow = false;
  #rateBytesPerMs = 0;
  #deliveredBytes = 0;
  #pieceBytes = 0;
  #sequenceNumber = -1;
  #done = false;

  constructor(origin: SimOrigin, node: number) {
    this.#origin = origin;
    this.#node = node;
  }

  load(
    context: FragmentLoaderContext,
    config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ): void {
    const { network, byteScale, segment } = this.#origin.options;
    // As hls.js's FetchLoader: progress asked for with a chunk size → the body streams.
    const onProgress =
      this.#origin.options.streaming && Number.isFinite(config.highWaterMark) ? callbacks.onProgress : undefined;
    this.context = context;
    const stats = this.stats;
    stats.loading.start = performance.now();
    this.#origin.requests += 1;
    const match = URL_PATTERN.exec(context.url);
    if (match === null) {
      this.#timer = setTimeout(() => callbacks.onError({ code: 404, text: 'Not Found' }, context, null, stats), 1);
      return;
    }
    this.#sequenceNumber = Number(match[1]);
    const start = context.rangeStart ?? 0;
    const end = context.rangeEnd !== undefined && context.rangeEnd > 0 ? context.rangeEnd : segment.byteLength;
    const total = Math.max(0, Math.min(end, segment.byteLength) - start);
    // A server with Range support: 206 for a range, 200 for the whole segment.
    const code = context.rangeEnd !== undefined && context.rangeEnd > 0 ? 206 : 200;
    const pieceBytes = Math.max(1, Math.floor(PIECE_MODELLED_BYTES / byteScale));
    const next = (): void => {
      if (this.#done) return;
      if (this.#deliveredBytes >= total) {
        this.#done = true;
        stats.loading.end = performance.now();
        stats.loaded = stats.total = total;
        this.#origin.served(this.#node, this.#sequenceNumber, total);
        if (onProgress !== undefined) {
          callbacks.onSuccess({ url: context.url, data: new ArrayBuffer(0), code }, stats, context, null);
          return;
        }
        // A whole segment is the template's own buffer: nothing in the library or the modelled
        // player writes to a response (the engine caches a copy), and a copy per response was a
        // visible share of the garbage collector's work.
        const data =
          start === 0 && total === segment.byteLength && segment.byteOffset === 0 && segment.buffer.byteLength === total
            ? segment.buffer
            : segment.slice(start, start + total).buffer;
        callbacks.onSuccess({ url: context.url, data, code }, stats, context, null);
        return;
      }
      const bytes = Math.min(pieceBytes, total - this.#deliveredBytes);
      const rate = network.begin(ORIGIN_NODE, this.#node, true);
      this.#inFlow = true;
      this.#rateBytesPerMs = rate;
      this.#pieceBytes = bytes;
      this.#timer = setTimeout(pieceArrived, (bytes * byteScale) / rate);
    };
    // One callback for all pieces of this response (a closure per piece was garbage per piece).
    const pieceArrived = (): void => {
      network.end(ORIGIN_NODE, this.#node, this.#rateBytesPerMs);
      this.#inFlow = false;
      this.#deliveredBytes += this.#pieceBytes;
      if (stats.loading.first === 0) stats.loading.first = performance.now();
      stats.loaded = this.#deliveredBytes;
      if (onProgress !== undefined) {
        stats.total = total;
        const from = start + this.#deliveredBytes - this.#pieceBytes;
        onProgress(stats, context, this.#origin.piece(from, this.#pieceBytes), null);
        if (this.#done) return;
      }
      next();
    };
    this.#timer = setTimeout(next, network.link(this.#node).originRttMs);
  }

  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.stats.aborted = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#inFlow) this.#origin.options.network.end(ORIGIN_NODE, this.#node, this.#rateBytesPerMs);
    this.#inFlow = false;
    // What already left the origin was served, whether or not the viewer used it.
    if (this.#deliveredBytes > 0) this.#origin.served(this.#node, this.#sequenceNumber, this.#deliveredBytes);
  }

  destroy(): void {
    this.abort();
  }
}
