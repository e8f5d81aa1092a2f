import { P2PError } from '../api/errors.ts';
import type { PeerSwarmInfo } from '../api/events.ts';
import type { PeerUsefulness } from '../policy/peer-choice.ts';
import type { PeerView } from '../policy/source-decision.ts';
import { ewma } from '../policy/peer-choice.ts';
import { PeerUploads, type UploadPacer } from './peer-uploads.ts';
import { TokenBucket } from './token-bucket.ts';
import {
  CONTROL_MESSAGE_BURST,
  CONTROL_MESSAGES_PER_SECOND,
  MAX_DOWNLOADS_PER_PEER,
  MAX_REMOTE_AVAILABILITY_ENTRIES,
  MIN_SEGMENT_SIZE_BOUND_BYTES,
  ReceiveBudget,
  ReceiveBuffer,
} from './peer-limits.ts';
import {
  availabilityMessages,
  encodeControl,
  parseFrame,
  PROTOCOL_VERSION,
  type DataFrame,
  type PeerMessage,
} from './peer-protocol.ts';

/** The part of a simple-peer instance a link uses. */
export interface DataChannelPeer {
  readonly connected: boolean;
  /** Bytes queued on the data channel (simple-peer's name for the channel's `bufferedAmount`). */
  readonly bufferSize: number;
  send(data: Uint8Array): void;
  destroy(): void;
  on(event: 'data', listener: (data: Uint8Array | string) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** What a link needs from its owner. */
export interface PeerLinkOptions {
  readonly remotePeerId: string;
  readonly peer: DataChannelPeer;
  /** Segments this viewer can serve, for the initial `hello`. */
  readonly initialHave: readonly number[];
  /** Look up a segment to upload; undefined when it is not held (or upload is off). */
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  readonly onUploaded: (bytes: number) => void;
  readonly nowMs: () => number;
  /** Paces uploads under a bandwidth cap; none means as fast as the channel takes them. */
  readonly uploadPacer?: UploadPacer | undefined;
  readonly onAvailabilityChanged: (link: PeerLink) => void;
  readonly onClosed: (link: PeerLink, error: P2PError | null) => void;
  /** Largest segment size the peer may declare (peer-limits: from measured sizes, capped). */
  readonly segmentSizeBoundBytes?: () => number;
  /** The instance's byte budget for partial downloads; a link of its own when absent. */
  readonly receiveBudget?: ReceiveBudget;
}

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

interface PendingDownload {
  readonly sequenceNumber: number;
  readonly requestedAtMs: number;
  /** When the response header (or `absent`) arrived; null before. */
  respondedAtMs: number | null;
  /** Received bytes (null before the response header) and the size the header declared. */
  received: ReceiveBuffer | null;
  totalBytes: number;
  loadedBytes: number;
  readonly onProgress: (progress: PeerDownloadProgress) => void;
  readonly resolve: (data: ArrayBuffer) => void;
  readonly reject: (error: P2PError) => void;
}

// A peer's "loading" claim is trusted this long; then we stop waiting for it.
const LOADING_CLAIM_MS = 10_000;
// A peer whose latest announced segment is within this many of ours is at our part of the stream.
const NEARBY_SEGMENTS = 3;
const NEARBY_FRESH_MS = 30_000;

const MAX_FAILED_KEPT = 4;
// Bounds memory a misbehaving peer can make us spend on its claims.
const MAX_LOADING_CLAIMS = 256;
// Below this, a download's duration says more about timer resolution than about the peer.
const MIN_THROUGHPUT_SAMPLE_MS = 10;
const MAX_REQUEST_ID = 0xffff_ffff;

/** One connected peer in one swarm: availability, downloads from it, uploads to it. */
export class PeerLink {
  readonly remotePeerId: string;
  readonly #options: PeerLinkOptions;
  readonly #remoteHave = new Set<number>();
  readonly #remoteLoading = new Map<number, number>();
  #latestSequenceNumber: number | null = null;
  #receivedBytes = 0;
  #latestAtMs = 0;
  readonly #downloads = new Map<number, PendingDownload>();
  // Downloads that failed with bytes received, so the loader can resume them over HTTP (bounded).
  readonly #failed = new Map<number, PendingDownload>();
  readonly #uploads: PeerUploads;
  #introduced = false;
  #nextRequestId = 1;
  #closed = false;
  readonly #connectedAtMs: number;
  // Request → response header time and response throughput, smoothed; null until measured.
  #rttMs: number | null = null;
  #throughputBytesPerSecond: number | null = null;
  readonly #controlRate: TokenBucket;
  readonly #receiveBudget: ReceiveBudget;

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.remotePeerId = options.remotePeerId;
    this.#connectedAtMs = options.nowMs();
    this.#controlRate = new TokenBucket(CONTROL_MESSAGES_PER_SECOND, CONTROL_MESSAGE_BURST, this.#connectedAtMs);
    this.#receiveBudget = options.receiveBudget ?? new ReceiveBudget();
    const { peer } = options;
    this.#uploads = new PeerUploads({
      getSegment: options.getSegment,
      onUploaded: options.onUploaded,
      pacer: options.uploadPacer,
      send: (message) => this.#send(message),
      sendBytes: (bytes) => this.#sendBytes(bytes),
      bufferedBytes: () => peer.bufferSize,
      closed: () => this.#closed,
      nowMs: options.nowMs,
      onViolation: (reason) => this.#violation(reason),
    });
    peer.on('data', (data) => this.#onData(data));
    peer.on('close', () => this.#close(null));
    peer.on('error', (error) =>
      this.#close(new P2PError('peer-error', `peer ${this.remotePeerId}: ${error.message}`, { cause: error })),
    );
    // The newest segments first, and no more than a peer keeps of ours.
    const initialHave = options.initialHave.slice(-MAX_REMOTE_AVAILABILITY_ENTRIES).reverse();
    for (const message of availabilityMessages(PROTOCOL_VERSION, initialHave)) this.#send(message);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get activeDownloads(): number {
    return this.#downloads.size;
  }

  /** Whether the peer's `hello` (its initial availability) has arrived. */
  get introduced(): boolean {
    return this.#introduced;
  }

  has(sequenceNumber: number): boolean {
    return this.#remoteHave.has(sequenceNumber);
  }

  /** What this peer offers for one segment, for the source decision. */
  view(sequenceNumber: number): PeerView {
    const nowMs = this.#options.nowMs();
    const loadingSinceMs = this.#remoteLoading.get(sequenceNumber);
    const latest = this.#latestSequenceNumber;
    return {
      peerId: this.remotePeerId,
      has: this.#remoteHave.has(sequenceNumber),
      loading: loadingSinceMs !== undefined && nowMs - loadingSinceMs < LOADING_CLAIM_MS,
      nearby:
        latest !== null &&
        Math.abs(latest - sequenceNumber) <= NEARBY_SEGMENTS &&
        nowMs - this.#latestAtMs < NEARBY_FRESH_MS,
      activeDownloads: this.#downloads.size,
      rttMs: this.#rttMs,
      throughputBytesPerSecond: this.#throughputBytesPerSecond,
    };
  }

  /** What the swarm weighs when it looks for a peer to replace. */
  usefulness(held: ReadonlySet<number>): PeerUsefulness {
    let offersWanted = false;
    for (const sn of this.#remoteHave) if (!held.has(sn)) offersWanted = true;
    for (const sn of this.#remoteLoading.keys()) if (!held.has(sn)) offersWanted = true;
    return {
      peerId: this.remotePeerId,
      connectedForMs: this.#options.nowMs() - this.#connectedAtMs,
      receivedBytes: this.#receivedBytes,
      sentBytes: this.#uploads.sentBytes,
      activeDownloads: this.#downloads.size,
      offersWanted,
    };
  }

  info(swarmId: string): PeerSwarmInfo {
    return {
      swarmId,
      segmentsAvailable: this.#remoteHave.size,
      latestSequenceNumber: this.#latestSequenceNumber,
      activeDownloads: this.#downloads.size,
      receivedBytes: this.#receivedBytes,
      sentBytes: this.#uploads.sentBytes,
      connectedForMs: this.#options.nowMs() - this.#connectedAtMs,
    };
  }

  announceLoading(sequenceNumber: number): void {
    this.#send({ type: 'loading', sequenceNumbers: [sequenceNumber] });
  }

  announceHave(sequenceNumber: number): void {
    this.#send({ type: 'have', sequenceNumbers: [sequenceNumber] });
  }

  announceLost(sequenceNumber: number): void {
    this.#send({ type: 'lost', sequenceNumbers: [sequenceNumber] });
  }

  /** Download a segment; `cancel()` on the returned handle stops it and rejects the promise. */
  download(
    sequenceNumber: number,
    onProgress: (progress: PeerDownloadProgress) => void,
  ): { readonly promise: Promise<ArrayBuffer>; cancel(tooSlow?: boolean): void; partial(): PartialSegment | null } {
    const requestId = this.#takeRequestId();
    const promise = new Promise<ArrayBuffer>((resolve, reject) => {
      if (this.#closed) {
        reject(new P2PError('peer-error', `peer ${this.remotePeerId} is closed`));
        return;
      }
      if (this.#downloads.size >= MAX_DOWNLOADS_PER_PEER) {
        reject(new P2PError('peer-error', `already ${MAX_DOWNLOADS_PER_PEER} downloads from peer ${this.remotePeerId}`));
        return;
      }
      const requestedAtMs = this.#options.nowMs();
      this.#downloads.set(requestId, {
        sequenceNumber,
        requestedAtMs,
        respondedAtMs: null,
        received: null,
        totalBytes: 0,
        loadedBytes: 0,
        onProgress,
        resolve,
        reject,
      });
      this.#send({ type: 'request', requestId, sequenceNumber });
    });
    const cancel = (tooSlow = false): void => {
      const pending = this.#downloads.get(requestId);
      if (pending === undefined) return;
      this.#downloads.delete(requestId);
      // A transfer given up for its pace says how fast this peer is; one cancelled for a seek does not.
      if (tooSlow) this.#sampleThroughput(pending);
      this.#keepFailed(requestId, pending);
      this.#send({ type: 'cancel', requestId });
      pending.reject(new P2PError('peer-timeout', `download of ${sequenceNumber} cancelled`));
    };
    const partial = (): PartialSegment | null => {
      const pending = this.#downloads.get(requestId) ?? this.#failed.get(requestId);
      if (pending === undefined || pending.received === null || pending.loadedBytes === 0) return null;
      return { bytes: pending.received.bytes(), totalBytes: pending.totalBytes };
    };
    return { promise, cancel, partial };
  }

  destroy(): void {
    this.#close(null);
  }

  // Ids are unique per connection: after wrapping around, skip any still in flight.
  #takeRequestId(): number {
    let requestId = this.#nextRequestId;
    while (this.#downloads.has(requestId)) requestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    this.#nextRequestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    return requestId;
  }

  /** Close the link for a fault of the peer's (reported with the peer's close). */
  fail(error: P2PError): void {
    this.#close(error);
  }

  // The peer broke the protocol or a limit: disconnect, with the reason in the close event.
  #violation(reason: string): void {
    this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId}: ${reason}`));
  }

  #close(error: P2PError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [requestId, pending] of this.#downloads) {
      this.#keepFailed(requestId, pending);
      pending.reject(error ?? new P2PError('peer-error', `peer ${this.remotePeerId} closed`));
    }
    this.#downloads.clear();
    // Partials stay readable for an HTTP resume, but no longer count against the shared budget.
    for (const failed of this.#failed.values()) this.#receiveBudget.release(failed.loadedBytes);
    this.#uploads.destroy();
    this.#options.peer.removeAllListeners('data');
    this.#options.peer.removeAllListeners('close');
    this.#options.peer.removeAllListeners('error');
    // simple-peer emits 'error' asynchronously during teardown; keep one listener so it is not thrown.
    this.#options.peer.on('error', () => undefined);
    this.#options.peer.destroy();
    this.#options.onClosed(this, error);
  }

  #send(message: PeerMessage): void {
    this.#sendBytes(encodeControl(message));
  }

  #sendBytes(bytes: Uint8Array): void {
    if (this.#closed || !this.#options.peer.connected) return;
    try {
      this.#options.peer.send(bytes);
    } catch (error) {
      this.#close(new P2PError('peer-error', `send to ${this.remotePeerId} failed`, { cause: error }));
    }
  }

  #onData(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent a text frame`));
      return;
    }
    const parsed = parseFrame(data);
    if (parsed.kind === 'control' && !this.#controlRate.take(1, this.#options.nowMs())) {
      this.#violation(`more than ${CONTROL_MESSAGES_PER_SECOND} control messages/s (burst ${CONTROL_MESSAGE_BURST})`);
      return;
    }
    if (parsed.kind === 'invalid') {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId}: ${parsed.reason}`));
    } else if (parsed.kind === 'data') {
      this.#onDataFrame(parsed.frame);
    } else {
      this.#onMessage(parsed.message);
    }
  }

  #onMessage(message: PeerMessage): void {
    switch (message.type) {
      case 'hello':
        if (message.version !== PROTOCOL_VERSION) {
          this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} speaks version ${message.version}`));
          return;
        }
        this.#addAvailable(message.have);
        this.#introduced = true;
        this.#options.onAvailabilityChanged(this);
        return;
      case 'have':
        this.#addAvailable(message.sequenceNumbers);
        for (const sn of message.sequenceNumbers) this.#remoteLoading.delete(sn);
        if (message.sequenceNumbers.length > 0) this.#noteActivity(message.sequenceNumbers[message.sequenceNumbers.length - 1] as number);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'loading':
        for (const sn of message.sequenceNumbers) {
          if (this.#remoteLoading.size >= MAX_LOADING_CLAIMS) this.#remoteLoading.clear();
          this.#remoteLoading.set(sn, this.#options.nowMs());
          this.#noteActivity(sn);
        }
        this.#options.onAvailabilityChanged(this);
        return;
      case 'lost':
        for (const sn of message.sequenceNumbers) this.#remoteHave.delete(sn);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'request':
        this.#noteActivity(message.sequenceNumber);
        this.#uploads.request(message.requestId, message.sequenceNumber);
        return;
      case 'cancel':
        this.#uploads.cancel(message.requestId);
        return;
      case 'absent': {
        const pending = this.#downloads.get(message.requestId);
        this.#remoteHave.delete(message.sequenceNumber);
        if (pending === undefined) return;
        this.#noteResponse(pending);
        this.#downloads.delete(message.requestId);
        this.#receiveBudget.release(pending.loadedBytes);
        pending.reject(new P2PError('peer-error', `peer ${this.remotePeerId} does not have ${message.sequenceNumber}`));
        return;
      }
      case 'response': {
        const pending = this.#downloads.get(message.requestId);
        if (pending === undefined) return; // cancelled by us; its data frames are ignored too
        if (pending.received !== null || pending.sequenceNumber !== message.sequenceNumber) {
          this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent a mismatched response`));
          return;
        }
        const boundBytes = this.#options.segmentSizeBoundBytes?.() ?? MIN_SEGMENT_SIZE_BOUND_BYTES;
        if (message.byteLength > boundBytes) {
          this.#violation(`declared a segment of ${message.byteLength} bytes (bound ${boundBytes})`);
          return;
        }
        pending.received = new ReceiveBuffer();
        pending.totalBytes = message.byteLength;
        this.#noteResponse(pending);
        this.#maybeFinish(message.requestId, pending);
        return;
      }
    }
  }

  #keepFailed(requestId: number, pending: PendingDownload): void {
    if (pending.loadedBytes === 0) return;
    this.#failed.set(requestId, pending);
    if (this.#failed.size > MAX_FAILED_KEPT) {
      const oldest = this.#failed.keys().next().value as number;
      this.#receiveBudget.release((this.#failed.get(oldest) as PendingDownload).loadedBytes);
      this.#failed.delete(oldest);
    }
  }

  // Add announced segments up to the per-peer bound; beyond it they are ignored (an honest peer
  // with a larger cache announces its newest first; a flood is cut off by the message rate limit).
  #addAvailable(sequenceNumbers: readonly number[]): void {
    for (const sn of sequenceNumbers) {
      if (this.#remoteHave.size >= MAX_REMOTE_AVAILABILITY_ENTRIES) return;
      this.#remoteHave.add(sn);
    }
  }

  #noteResponse(pending: PendingDownload): void {
    const nowMs = this.#options.nowMs();
    pending.respondedAtMs = nowMs;
    this.#rttMs = ewma(this.#rttMs, nowMs - pending.requestedAtMs);
  }

  #noteActivity(sequenceNumber: number): void {
    this.#latestSequenceNumber = sequenceNumber;
    this.#latestAtMs = this.#options.nowMs();
  }

  #onDataFrame(frame: DataFrame): void {
    const pending = this.#downloads.get(frame.requestId);
    if (pending === undefined) return; // a download we cancelled: late frames are expected
    const { received } = pending;
    // Data channels are reliable and ordered, so chunks must arrive back to back.
    if (received === null || frame.byteOffset !== pending.loadedBytes || frame.byteOffset + frame.payload.byteLength > pending.totalBytes) {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent an out-of-order or oversized chunk`));
      return;
    }
    if (!this.#receiveBudget.reserve(frame.payload.byteLength)) {
      // Every partial download together has used the instance's budget: this one ends (HTTP takes over).
      this.#downloads.delete(frame.requestId);
      this.#receiveBudget.release(pending.loadedBytes);
      this.#send({ type: 'cancel', requestId: frame.requestId });
      pending.reject(new P2PError('peer-error', `partial downloads hold the whole receive budget; ${pending.sequenceNumber} comes over HTTP`));
      return;
    }
    received.append(frame.payload);
    pending.loadedBytes += frame.payload.byteLength;
    this.#receivedBytes += frame.payload.byteLength;
    pending.onProgress({ loadedBytes: pending.loadedBytes, totalBytes: pending.totalBytes });
    this.#maybeFinish(frame.requestId, pending);
  }

  #maybeFinish(requestId: number, pending: PendingDownload): void {
    if (pending.received === null || pending.loadedBytes !== pending.totalBytes) return;
    this.#downloads.delete(requestId);
    this.#receiveBudget.release(pending.loadedBytes);
    if (this.#remoteHave.size < MAX_REMOTE_AVAILABILITY_ENTRIES) this.#remoteHave.add(pending.sequenceNumber);
    this.#sampleThroughput(pending);
    const bytes = pending.received.bytes();
    pending.resolve(
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer),
    );
  }

  #sampleThroughput(pending: PendingDownload): void {
    const startMs = pending.respondedAtMs ?? pending.requestedAtMs;
    const elapsedMs = Math.max(this.#options.nowMs() - startMs, MIN_THROUGHPUT_SAMPLE_MS);
    if (pending.loadedBytes > 0) {
      this.#throughputBytesPerSecond = ewma(this.#throughputBytesPerSecond, (pending.loadedBytes * 1000) / elapsedMs);
    }
  }
}
