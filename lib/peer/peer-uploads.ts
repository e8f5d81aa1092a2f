import { encodeData, MAX_CHUNK_BYTES, type PeerMessage } from './peer-protocol.ts';
import { RelaySource } from './relay-source.ts';
import { SendQueueLimit, uploadChunkBytes } from './send-queue-limit.ts';
import { TokenBucket } from './token-bucket.ts';
import type { UplinkAdmission } from './uplink-admission.ts';

/** Paces uploads under a bandwidth cap (the engine's UploadLimiter behind it). */
export interface UploadPacer {
  /** Largest chunk to send at once: small enough that the first bytes leave without a long wait. */
  readonly chunkBytes: number;
  /** Book bytes; returns how long to wait before sending them. */
  delayMs(bytes: number): number;
  /** Give back bytes booked but not sent after all. */
  refund(bytes: number): void;
}

/** What one peer may ask of our uploads (see ARCHITECTURE.md, "Limits on peers"). */
export interface UploadLimits {
  /** Requests of one peer queued or being served at once; one more is a violation. */
  readonly maxQueuedRequests: number;
  /** Sustained requests per second from one peer, and the burst above it; more is a violation. */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  /** Times one segment is served to one peer; later requests for it are answered `absent`. */
  readonly maxServesPerSegment: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  // An honest downloader has one request out per fragment loader, and hls.js runs a few loaders at once.
  maxQueuedRequests: 8,
  // Segments last seconds: an honest viewer asks one peer for a few per second at most (seeks, ABR).
  requestsPerSecond: 10,
  requestBurst: 30,
  // A retry after a cancel, a seek back after eviction: a few; thousands are a drain on our uplink.
  maxServesPerSegment: 3,
};

/** What the uploads of one link need from it. */
export interface PeerUploadsOptions {
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  /** A segment still arriving from another peer that may be relayed as it arrives (see RelaySource). */
  readonly getRelay?: ((sequenceNumber: number) => RelaySource | undefined) | undefined;
  readonly onUploaded: (bytes: number) => void;
  readonly pacer?: UploadPacer | undefined;
  readonly send: (message: PeerMessage) => void;
  readonly sendBytes: (bytes: Uint8Array) => void;
  /** Bytes queued on the data channel and not yet sent (simple-peer's `bufferSize`). */
  readonly bufferedBytes: () => number;
  /** Frame bytes the link handed to the data channel so far, control messages included. */
  readonly sentFrameBytes?: () => number;
  readonly closed: () => boolean;
  readonly nowMs: () => number;
  /** The peer broke a limit: the link closes with this reason. */
  readonly onViolation: (reason: string) => void;
  readonly limits?: UploadLimits | undefined;
  /** The viewer's uplink shared by all links: a request it does not admit is answered `busy`. */
  readonly uplink?: UplinkAdmission | undefined;
}

// Segments whose serve count is remembered per link (oldest forgotten first).
const MAX_TRACKED_SEGMENTS = 256;

interface UploadRequest {
  readonly requestId: number;
  readonly sequenceNumber: number;
  /** The first byte to send (the requester has those before it from another peer). */
  readonly fromByte: number;
  /** What it adds to the uplink's backlog: the segment's size from `fromByte` when the request came. */
  readonly bytes: number;
  cancelled: boolean;
}

/**
 * The upload being sent: its source (a whole segment, or a relay still filling), chunk size, how
 * far it got, and bytes booked with the pacer but not sent.
 */
interface CurrentUpload {
  readonly request: UploadRequest;
  readonly source: RelaySource;
  readonly chunkBytes: number;
  offsetBytes: number;
  bookedBytes: number;
}

/**
 * The segments one link sends to its peer. Requests queue (bounded, rate-limited) and one drain
 * loop per link serves them one at a time: header, framed chunks, data-channel backpressure,
 * pacing under the shared upload cap; a segment still arriving (a relay) is sent as its bytes come
 * (the loop waits on its source) and answered `absent` if the relay fails. It runs synchronously while nothing holds it back and
 * otherwise waits on a single timer. One chunk booked at a time per link makes the cap's waits
 * interleave between links, so every requesting peer gets an equal share of it.
 */
export class PeerUploads {
  readonly #options: PeerUploadsOptions;
  readonly #limits: UploadLimits;
  readonly #queue: UploadRequest[] = [];
  readonly #requestRate: TokenBucket;
  readonly #serveCounts = new Map<number, number>();
  readonly #sendQueue = new SendQueueLimit();
  #current: CurrentUpload | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  // Set while the current upload waits for its relay source's next bytes: the unsubscribe.
  #sourceWait: (() => void) | null = null;
  #sentBytes = 0;
  #destroyed = false;

  constructor(options: PeerUploadsOptions) {
    this.#options = options;
    this.#limits = options.limits ?? DEFAULT_UPLOAD_LIMITS;
    this.#requestRate = new TokenBucket(this.#limits.requestsPerSecond, this.#limits.requestBurst, options.nowMs());
    options.uplink?.add(this);
  }

  /**
   * Bytes of the accepted requests still to hand to the channel (see UplinkAdmission): the rest of
   * the current upload — of a relay too, whose bytes all cross our uplink before its deadline (counting
   * only those arrived admitted fan-out again: simulator, live N=200, +3 points of origin share) —
   * and the queued requests; cancelled ones weigh nothing.
   */
  get backlogBytes(): number {
    let bytes = 0;
    for (const request of this.#queue) {
      const current = this.#current;
      if (request.cancelled) continue;
      bytes +=
        current?.request === request ? Math.max(0, current.source.totalBytes - current.offsetBytes) : request.bytes;
    }
    return bytes;
  }

  get drainedBytes(): number {
    return (this.#options.sentFrameBytes?.() ?? 0) - this.#options.bufferedBytes();
  }

  get queuedBytes(): number {
    return this.#options.bufferedBytes();
  }

  get sentBytes(): number {
    return this.#sentBytes;
  }

  /** Requests queued or being served. */
  get queuedRequests(): number {
    return this.#queue.length;
  }

  cancel(requestId: number): void {
    const index = this.#queue.findIndex((request) => request.requestId === requestId);
    if (index < 0) return;
    const request = this.#queue[index] as UploadRequest;
    // The upload being sent stops at its next step (and gives back what it booked); others just leave.
    if (this.#current?.request === request) {
      request.cancelled = true;
      // Waiting on a relay source: that step is now.
      if (this.#sourceWait !== null) this.#drain();
    } else this.#queue.splice(index, 1);
  }

  /**
   * A request from the peer: queued, answered `absent` (`busy` when our uplink has all it can
   * deliver in time: `neededInMs` is the peer's word for how soon it plays; also `absent` when
   * `fromByte`, where the peer's bytes from another peer end, is not within the segment), or a
   * violation that closes the link.
   */
  request(requestId: number, sequenceNumber: number, neededInMs?: number, fromByte = 0): void {
    const limits = this.#limits;
    if (this.#destroyed) return;
    if (!this.#requestRate.take(1, this.#options.nowMs())) {
      this.#options.onViolation(`more than ${limits.requestsPerSecond} requests/s (burst ${limits.requestBurst})`);
      return;
    }
    if (this.#queue.some((queued) => queued.requestId === requestId)) {
      this.#options.onViolation(`reused request id ${requestId}`);
      return;
    }
    if (this.#queue.length >= limits.maxQueuedRequests) {
      this.#options.onViolation(`more than ${limits.maxQueuedRequests} requests in flight`);
      return;
    }
    const served = this.#serveCounts.get(sequenceNumber) ?? 0;
    const source = served < limits.maxServesPerSegment ? this.#source(sequenceNumber) : undefined;
    if (source === undefined || fromByte >= source.totalBytes) {
      this.#options.send({ type: 'absent', requestId, sequenceNumber });
      return;
    }
    // Our uplink already has all it can deliver in time: the requester asks elsewhere now.
    const bytes = source.totalBytes - fromByte;
    if (this.#options.uplink?.admits(this, bytes, this.#options.nowMs(), neededInMs) === false) {
      this.#options.send({ type: 'absent', requestId, sequenceNumber, busy: true });
      return;
    }
    this.#queue.push({ requestId, sequenceNumber, fromByte, bytes, cancelled: false });
    if (this.#timer === null && this.#sourceWait === null) this.#drain();
  }

  /** Stop: clear the timer, give back booked bytes, forget the queue. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#options.uplink?.delete(this);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#sourceWait?.();
    this.#sourceWait = null;
    if (this.#current !== null) this.#options.pacer?.refund(this.#current.bookedBytes);
    this.#current = null;
    this.#queue.length = 0;
  }

  // The one drain loop of this link: sends until the queue is empty or something holds it back
  // (the channel's send queue at its limit, or the upload cap), then waits on one timer.
  #drain(): void {
    this.#timer = null;
    this.#sourceWait?.();
    this.#sourceWait = null;
    const { sendBytes, bufferedBytes, closed, pacer } = this.#options;
    while (!this.#destroyed && !closed()) {
      const current = this.#current ?? this.#start();
      if (current === null) return;
      const { request, source, chunkBytes } = current;
      if (request.cancelled || current.offsetBytes >= source.totalBytes || source.failed) {
        // The relay's own transfer failed after our header: `absent` now says "my source failed".
        if (source.failed && !request.cancelled)
          this.#options.send({ type: 'absent', requestId: request.requestId, sequenceNumber: request.sequenceNumber });
        // Unsent bytes must not delay the next upload (a cancelled slow transfer would otherwise
        // make this peer miss the next request's first-byte deadline too).
        pacer?.refund(current.bookedBytes);
        this.#current = null;
        this.#queue.shift();
        continue;
      }
      if (current.offsetBytes >= source.sendableBytes) {
        this.#sourceWait = source.onChange(() => {
          this.#sourceWait = null;
          if (this.#timer === null) this.#drain();
        });
        return;
      }
      const queuedBytes = bufferedBytes();
      const nowMs = this.#options.nowMs();
      this.#options.uplink?.sample(nowMs);
      const limitBytes = this.#sendQueue.limitBytes(queuedBytes, nowMs, chunkBytes);
      if (queuedBytes >= limitBytes) {
        this.#wait(this.#sendQueue.waitMs(queuedBytes, limitBytes, chunkBytes));
        return;
      }
      const chunk = source.read(current.offsetBytes, chunkBytes);
      if (current.bookedBytes === 0 && pacer !== undefined) {
        current.bookedBytes = chunk.byteLength;
        const delayMs = pacer.delayMs(chunk.byteLength);
        if (delayMs > 0) {
          this.#wait(delayMs);
          return;
        }
      }
      const frame = encodeData(request.requestId, current.offsetBytes, chunk);
      sendBytes(frame);
      this.#sendQueue.handed(frame.byteLength);
      current.bookedBytes = 0;
      current.offsetBytes += chunk.byteLength;
      this.#sentBytes += chunk.byteLength;
      this.#options.onUploaded(chunk.byteLength);
    }
  }

  // The next queued request as the current upload (its header sent), or null when none is left.
  #start(): CurrentUpload | null {
    for (let request = this.#queue[0]; request !== undefined; request = this.#queue[0]) {
      const { requestId, sequenceNumber } = request;
      // Looked up when its turn comes: it may have been evicted (or its relay failed) while queued.
      const source = this.#source(sequenceNumber);
      if (source === undefined || request.fromByte >= source.totalBytes) {
        this.#options.send({ type: 'absent', requestId, sequenceNumber });
        this.#queue.shift();
        continue;
      }
      const { totalBytes } = source;
      this.#countServe(sequenceNumber);
      this.#options.send({ type: 'response', requestId, sequenceNumber, byteLength: totalBytes });
      this.#current = {
        request,
        source,
        // Chosen once per upload: a sixteenth of the segment, no more than the pacer's chunk.
        chunkBytes: Math.min(
          uploadChunkBytes(totalBytes, MAX_CHUNK_BYTES),
          Math.max(1, this.#options.pacer?.chunkBytes ?? MAX_CHUNK_BYTES),
        ),
        offsetBytes: request.fromByte,
        bookedBytes: 0,
      };
      return this.#current;
    }
    return null;
  }

  // What a request for this segment is served from: the segment held whole, or a relay of it as it
  // arrives; undefined when neither (or the relay failed).
  #source(sequenceNumber: number): RelaySource | undefined {
    const data = this.#options.getSegment(sequenceNumber);
    if (data !== undefined) return RelaySource.whole(new Uint8Array(data));
    const relay = this.#options.getRelay?.(sequenceNumber);
    return relay?.failed ? undefined : relay;
  }

  #wait(delayMs: number): void {
    this.#timer = setTimeout(() => this.#drain(), delayMs);
  }

  #countServe(sequenceNumber: number): void {
    const count = (this.#serveCounts.get(sequenceNumber) ?? 0) + 1;
    this.#serveCounts.delete(sequenceNumber);
    this.#serveCounts.set(sequenceNumber, count);
    if (this.#serveCounts.size > MAX_TRACKED_SEGMENTS) {
      this.#serveCounts.delete(this.#serveCounts.keys().next().value as number);
    }
  }
}
