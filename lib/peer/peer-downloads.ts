import { P2PError } from '../api/errors.ts';
import { ewma } from '../policy/peer-choice.ts';
import type { DataFrame, PeerMessage } from './peer-protocol.ts';

/** The first bytes of a segment a peer delivered before it failed. */
export interface PartialSegment {
  readonly bytes: Uint8Array;
  readonly totalBytes: number;
}

/** Progress of one download from a peer. */
export interface PeerDownloadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

/** A running download of one segment from one peer. */
export interface PeerDownload {
  /** The segment; rejects with a `P2PError` when the peer fails, says it is absent, or on `cancel()`. */
  readonly promise: Promise<ArrayBuffer>;
  /** Stop the download; `tooSlow` records its pace so far as the peer's measured throughput. */
  cancel(tooSlow?: boolean): void;
  /** Bytes received before a failure or cancel, for an HTTP Range resume; null when none. */
  partial(): PartialSegment | null;
}

interface PendingDownload {
  readonly sequenceNumber: number;
  readonly requestedAtMs: number;
  /** When the response header (or `absent`) arrived; null before. */
  respondedAtMs: number | null;
  buffer: Uint8Array | null;
  loadedBytes: number;
  readonly onProgress: (progress: PeerDownloadProgress) => void;
  readonly resolve: (data: ArrayBuffer) => void;
  readonly reject: (error: P2PError) => void;
}

const MAX_FAILED_KEPT = 4;
// Below this, a download's duration says more about timer resolution than about the peer.
const MIN_THROUGHPUT_SAMPLE_MS = 10;
const MAX_REQUEST_ID = 0xffff_ffff;

/**
 * The segments one link is downloading from its peer, by request id (unique per connection):
 * requests, response header and chunks in order, cancel, partial bytes for a resume, and the
 * peer's smoothed RTT and throughput.
 */
export class PeerDownloads {
  readonly #remotePeerId: string;
  readonly #nowMs: () => number;
  readonly #send: (message: PeerMessage) => void;
  // The peer delivered a whole segment (so it has it).
  readonly #onDelivered: (sequenceNumber: number) => void;
  // The peer broke the protocol: the link closes.
  readonly #fail: (error: P2PError) => void;
  readonly #pending = new Map<number, PendingDownload>();
  // Downloads that failed with bytes received, so the loader can resume them over HTTP (bounded).
  readonly #failed = new Map<number, PendingDownload>();
  #nextRequestId = 1;
  #receivedBytes = 0;
  #closed = false;
  // Request → response header time and response throughput, smoothed; null until measured.
  #rttMs: number | null = null;
  #throughputBytesPerSecond: number | null = null;

  constructor(
    remotePeerId: string, nowMs: () => number, send: (message: PeerMessage) => void,
    onDelivered: (sequenceNumber: number) => void,
    fail: (error: P2PError) => void,
  ) {
    this.#remotePeerId = remotePeerId;
    this.#nowMs = nowMs;
    this.#send = send;
    this.#onDelivered = onDelivered;
    this.#fail = fail;
  }

  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /** Running downloads and the peer's smoothed RTT and throughput (null until measured), for choosing a peer. */
  pace(): { readonly activeDownloads: number; readonly rttMs: number | null; readonly throughputBytesPerSecond: number | null } {
    return { activeDownloads: this.#pending.size, rttMs: this.#rttMs, throughputBytesPerSecond: this.#throughputBytesPerSecond };
  }

  /** Request a segment; `cancel()` on the returned handle stops it and rejects the promise. */
  start(sequenceNumber: number, onProgress: (progress: PeerDownloadProgress) => void): PeerDownload {
    const requestId = this.#takeRequestId();
    const promise = new Promise<ArrayBuffer>((resolve, reject) => {
      if (this.#closed) {
        reject(new P2PError('peer-error', `peer ${this.#remotePeerId} is closed`));
        return;
      }
      const requestedAtMs = this.#nowMs();
      this.#pending.set(requestId, {
        sequenceNumber,
        requestedAtMs,
        respondedAtMs: null,
        buffer: null,
        loadedBytes: 0,
        onProgress,
        resolve,
        reject,
      });
      this.#send({ type: 'request', requestId, sequenceNumber });
    });
    const cancel = (tooSlow = false): void => {
      const pending = this.#pending.get(requestId);
      if (pending === undefined) return;
      this.#pending.delete(requestId);
      // A transfer given up for its pace says how fast this peer is; one cancelled for a seek does not.
      if (tooSlow) this.#sampleThroughput(pending);
      this.#keepFailed(requestId, pending);
      this.#send({ type: 'cancel', requestId });
      pending.reject(new P2PError('peer-timeout', `download of ${sequenceNumber} cancelled`));
    };
    const partial = (): PartialSegment | null => {
      const pending = this.#pending.get(requestId) ?? this.#failed.get(requestId);
      if (pending === undefined || pending.buffer === null || pending.loadedBytes === 0) return null;
      return { bytes: pending.buffer.subarray(0, pending.loadedBytes), totalBytes: pending.buffer.byteLength };
    };
    return { promise, cancel, partial };
  }

  /** The peer's response header (a mismatched one fails the link). */
  onResponse(requestId: number, sequenceNumber: number, byteLength: number): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return; // cancelled by us; its data frames are ignored too
    if (pending.buffer !== null || pending.sequenceNumber !== sequenceNumber) {
      this.#fail(new P2PError('peer-protocol', `peer ${this.#remotePeerId} sent a mismatched response`));
      return;
    }
    pending.buffer = new Uint8Array(byteLength);
    this.#noteResponse(pending);
    this.#maybeFinish(requestId, pending);
  }

  /** The peer does not have what we asked for. */
  onAbsent(requestId: number, sequenceNumber: number): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return;
    this.#noteResponse(pending);
    this.#pending.delete(requestId);
    pending.reject(new P2PError('peer-error', `peer ${this.#remotePeerId} does not have ${sequenceNumber}`));
  }

  /** One chunk of a response (one out of order or beyond the announced length fails the link). */
  onData(frame: DataFrame): void {
    const pending = this.#pending.get(frame.requestId);
    if (pending === undefined) return; // a download we cancelled: late frames are expected
    const { buffer } = pending;
    // Data channels are reliable and ordered, so chunks must arrive back to back.
    if (buffer === null || frame.byteOffset !== pending.loadedBytes || frame.byteOffset + frame.payload.byteLength > buffer.byteLength) {
      this.#fail(new P2PError('peer-protocol', `peer ${this.#remotePeerId} sent an out-of-order or oversized chunk`));
      return;
    }
    buffer.set(frame.payload, frame.byteOffset);
    pending.loadedBytes += frame.payload.byteLength;
    this.#receivedBytes += frame.payload.byteLength;
    pending.onProgress({ loadedBytes: pending.loadedBytes, totalBytes: buffer.byteLength });
    this.#maybeFinish(frame.requestId, pending);
  }

  /** The link closed: every running download fails with `error` (keeping its bytes for a resume). */
  close(error: P2PError): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [requestId, pending] of this.#pending) {
      this.#keepFailed(requestId, pending);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  // Ids are unique per connection: after wrapping around, skip any still in flight.
  #takeRequestId(): number {
    let requestId = this.#nextRequestId;
    while (this.#pending.has(requestId)) requestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    this.#nextRequestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    return requestId;
  }

  #keepFailed(requestId: number, pending: PendingDownload): void {
    if (pending.loadedBytes === 0) return;
    this.#failed.set(requestId, pending);
    if (this.#failed.size > MAX_FAILED_KEPT) this.#failed.delete(this.#failed.keys().next().value as number);
  }

  #noteResponse(pending: PendingDownload): void {
    const nowMs = this.#nowMs();
    pending.respondedAtMs = nowMs;
    this.#rttMs = ewma(this.#rttMs, nowMs - pending.requestedAtMs);
  }

  #maybeFinish(requestId: number, pending: PendingDownload): void {
    if (pending.buffer === null || pending.loadedBytes !== pending.buffer.byteLength) return;
    this.#pending.delete(requestId);
    this.#onDelivered(pending.sequenceNumber);
    this.#sampleThroughput(pending);
    pending.resolve(pending.buffer.buffer as ArrayBuffer);
  }

  #sampleThroughput(pending: PendingDownload): void {
    const startMs = pending.respondedAtMs ?? pending.requestedAtMs;
    const elapsedMs = Math.max(this.#nowMs() - startMs, MIN_THROUGHPUT_SAMPLE_MS);
    if (pending.loadedBytes > 0) {
      this.#throughputBytesPerSecond = ewma(this.#throughputBytesPerSecond, (pending.loadedBytes * 1000) / elapsedMs);
    }
  }
}
