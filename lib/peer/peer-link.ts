import { P2PError } from '../api/errors.ts';
import type { PeerSwarmInfo } from '../api/events.ts';
import type { PeerUsefulness } from '../policy/peer-choice.ts';
import type { PeerView } from '../policy/source-decision.ts';
import { ewma } from '../policy/peer-choice.ts';
import { PeerUploads, type UploadPacer } from './peer-uploads.ts';
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
  buffer: Uint8Array | null;
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

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.remotePeerId = options.remotePeerId;
    this.#connectedAtMs = options.nowMs();
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
    for (const message of availabilityMessages(PROTOCOL_VERSION, options.initialHave)) this.#send(message);
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
      const requestedAtMs = this.#options.nowMs();
      this.#downloads.set(requestId, {
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
      if (pending === undefined || pending.buffer === null || pending.loadedBytes === 0) return null;
      return { bytes: pending.buffer.subarray(0, pending.loadedBytes), totalBytes: pending.buffer.byteLength };
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
        for (const sn of message.have) this.#remoteHave.add(sn);
        this.#introduced = true;
        this.#options.onAvailabilityChanged(this);
        return;
      case 'have':
        for (const sn of message.sequenceNumbers) {
          this.#remoteHave.add(sn);
          this.#remoteLoading.delete(sn);
          this.#noteActivity(sn);
        }
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
        pending.reject(new P2PError('peer-error', `peer ${this.remotePeerId} does not have ${message.sequenceNumber}`));
        return;
      }
      case 'response': {
        const pending = this.#downloads.get(message.requestId);
        if (pending === undefined) return; // cancelled by us; its data frames are ignored too
        if (pending.buffer !== null || pending.sequenceNumber !== message.sequenceNumber) {
          this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent a mismatched response`));
          return;
        }
        pending.buffer = new Uint8Array(message.byteLength);
        this.#noteResponse(pending);
        this.#maybeFinish(message.requestId, pending);
        return;
      }
    }
  }

  #keepFailed(requestId: number, pending: PendingDownload): void {
    if (pending.loadedBytes === 0) return;
    this.#failed.set(requestId, pending);
    if (this.#failed.size > MAX_FAILED_KEPT) this.#failed.delete(this.#failed.keys().next().value as number);
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
    const { buffer } = pending;
    // Data channels are reliable and ordered, so chunks must arrive back to back.
    if (buffer === null || frame.byteOffset !== pending.loadedBytes || frame.byteOffset + frame.payload.byteLength > buffer.byteLength) {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent an out-of-order or oversized chunk`));
      return;
    }
    buffer.set(frame.payload, frame.byteOffset);
    pending.loadedBytes += frame.payload.byteLength;
    this.#receivedBytes += frame.payload.byteLength;
    pending.onProgress({ loadedBytes: pending.loadedBytes, totalBytes: buffer.byteLength });
    this.#maybeFinish(frame.requestId, pending);
  }

  #maybeFinish(requestId: number, pending: PendingDownload): void {
    if (pending.buffer === null || pending.loadedBytes !== pending.buffer.byteLength) return;
    this.#downloads.delete(requestId);
    this.#remoteHave.add(pending.sequenceNumber);
    this.#sampleThroughput(pending);
    pending.resolve(pending.buffer.buffer as ArrayBuffer);
  }

  #sampleThroughput(pending: PendingDownload): void {
    const startMs = pending.respondedAtMs ?? pending.requestedAtMs;
    const elapsedMs = Math.max(this.#options.nowMs() - startMs, MIN_THROUGHPUT_SAMPLE_MS);
    if (pending.loadedBytes > 0) {
      this.#throughputBytesPerSecond = ewma(this.#throughputBytesPerSecond, (pending.loadedBytes * 1000) / elapsedMs);
    }
  }
}
