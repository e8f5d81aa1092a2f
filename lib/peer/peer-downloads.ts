import { P2PError } from '../api/errors.ts';
import { ewma } from '../policy/peer-choice.ts';
import type { StrikeKind } from '../policy/peer-strikes.ts';
import { MAX_DOWNLOADS_PER_PEER, joinChunks, MIN_SEGMENT_SIZE_BOUND_BYTES, type ReceiveBudget } from './peer-limits.ts';
import type { DataFrame, PeerMessage } from './peer-protocol.ts';

/** The first bytes of a segment a peer delivered before it failed. */
export interface PartialSegment {
  readonly bytes: Uint8Array;
  readonly totalBytes: number;
  /**
   * The peer answers for these bytes (it had the segment whole); false for a relay's, which only its
   * last byte vouches for (its source may be a forger not yet found out), and for two peers' bytes.
   */
  readonly vouched: boolean;
}

/** Progress of one download from a peer. */
export interface PeerDownloadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
  /** The chunk that just arrived (a view: copy it to keep it past the call, or keep the view unchanged). */
  readonly chunk?: Uint8Array;
}

/** A running download of one segment from one peer. */
export interface PeerDownload {
  /** The segment; rejects with a `P2PError` when the peer fails, says it is absent, or on `cancel()`. */
  readonly promise: Promise<ArrayBuffer>;
  /**
   * Stop the download. With a `strike` (the peer timed out, or was too slow for the playhead) its
   * pace so far — none, for a silent peer — becomes the peer's measured throughput, and the broken
   * promise counts against the peer; `null` (silent, busy: HTTP takes over in time) is measured only.
   */
  cancel(strike?: Exclude<StrikeKind, 'unkept-claim' | 'bad-relay'> | null): void;
  /**
   * Bytes received before a failure or a cancel given up for the peer's pace, for an HTTP Range
   * resume; null when none. Once a failed download's bytes are taken they are no longer kept.
   */
  partial(): PartialSegment | null;
}

/** What the downloads of one link need from it. */
export interface PeerDownloadsOptions {
  readonly remotePeerId: string;
  readonly nowMs: () => number;
  readonly send: (message: PeerMessage) => void;
  /** The peer delivered a whole segment (so it has it). */
  readonly onDelivered: (sequenceNumber: number) => void;
  /** The peer broke the protocol or a limit: the link closes with this error. */
  readonly onFault: (error: P2PError) => void;
  /** The peer broke a promise (timed out, too slow, `absent` for a segment it claimed). */
  readonly onStrike?: ((kind: StrikeKind) => void) | undefined;
  /** Largest segment size the peer may declare (peer-limits: from measured sizes, capped). */
  readonly segmentSizeBoundBytes?: (() => number) | undefined;
  /** The instance's byte budget for partial downloads. */
  readonly receiveBudget: ReceiveBudget;
}

interface PendingDownload {
  readonly sequenceNumber: number;
  readonly requestedAtMs: number;
  /** When the response header (or `absent`) arrived; null before. */
  respondedAtMs: number | null;
  /** Received chunks, kept as they arrive (null before the response header), and the size the header declared. */
  received: Uint8Array[] | null;
  totalBytes: number;
  loadedBytes: number;
  /** Bytes another peer delivered first (the request asked for the rest), or null. */
  readonly priorPart: PartialSegment | null;
  readonly onProgress: (progress: PeerDownloadProgress) => void;
  /** Asked of a peer that relays the segment while it arrives (it said `loading` with `relay`). */
  readonly relayed: boolean;
  readonly resolve: (data: ArrayBuffer) => void;
  readonly reject: (error: P2PError) => void;
}

const MAX_FAILED_KEPT = 4;
// Relayed downloads the peer failed (`absent`: its own source failed, or it no longer relays it)
// in a row before each counts as a broken promise: an honest relay fails now and then, one that
// claims to relay and never does is struck out like any other liar.
const RELAY_FAILURES_PER_STRIKE = 2;

/** A download the peer refused with `busy` (its uplink was full): no failure of the peer, ask again later. */
export class PeerBusyError extends P2PError {
  constructor(message: string) {
    super('peer-error', message);
  }
}
const MAX_NEEDED_IN_MS = 3_600_000; // `neededInMs` sent in a request: at most an hour (a uint32 on the wire)
// Below this, a download's duration says more about timer resolution than about the peer.
const MIN_THROUGHPUT_SAMPLE_MS = 10;
const MAX_REQUEST_ID = 0xffff_ffff;

/**
 * The segments one link is downloading from its peer, by request id (unique per connection):
 * requests (at most `MAX_DOWNLOADS_PER_PEER` at once), response header within the size bound,
 * chunks in order within the shared receive budget, cancel, partial bytes for a resume, and the
 * peer's smoothed RTT and throughput.
 */
export class PeerDownloads {
  readonly #options: PeerDownloadsOptions;
  readonly #pending = new Map<number, PendingDownload>();
  // Downloads that failed with bytes received, so the loader can resume them over HTTP (bounded).
  readonly #failed = new Map<number, PendingDownload>();
  #nextRequestId = 1;
  #receivedBytes = 0;
  #relayFailures = 0;
  // Bytes the peer may still send for downloads we cancelled (what each had left): frames in flight.
  #lateBytesAllowed = 0;
  #closed = false;
  // Request → response header time and response throughput, smoothed; null until measured.
  #rttMs: number | null = null;
  #throughputBytesPerSecond: number | null = null;

  constructor(options: PeerDownloadsOptions) {
    this.#options = options;
  }

  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /** Running downloads and the peer's smoothed RTT and throughput (null until measured), for choosing a peer. */
  pace(): {
    readonly activeDownloads: number;
    readonly rttMs: number | null;
    readonly throughputBytesPerSecond: number | null;
  } {
    return {
      activeDownloads: this.#pending.size,
      rttMs: this.#rttMs,
      throughputBytesPerSecond: this.#throughputBytesPerSecond,
    };
  }

  /**
   * Request a segment; `cancel()` on the returned handle stops it and rejects the promise.
   * `relayed`: the peer said it is receiving it and relays it as it arrives (so an `absent`, even
   * after the header, is its source failing: see onAbsent). `neededInMs`: how soon playback needs
   * it (null: unknown), told to the peer so its uplink can judge whether it would deliver in time.
   * `priorPart`: the first bytes, from another peer: only the rest is asked for (progress, partial and promise count them).
   */
  start(
    sequenceNumber: number,
    onProgress: (progress: PeerDownloadProgress) => void,
    relayed = false,
    neededInMs: number | null = null,
    priorPart: PartialSegment | null = null,
  ): PeerDownload {
    const { remotePeerId } = this.#options;
    const requestId = this.#takeRequestId();
    const promise = new Promise<ArrayBuffer>((resolve, reject) => {
      if (this.#closed) {
        reject(new P2PError('peer-error', `peer ${remotePeerId} is closed`));
        return;
      }
      if (this.#pending.size >= MAX_DOWNLOADS_PER_PEER) {
        reject(new P2PError('peer-error', `already ${MAX_DOWNLOADS_PER_PEER} downloads from peer ${remotePeerId}`));
        return;
      }
      const requestedAtMs = this.#options.nowMs();
      this.#pending.set(requestId, {
        sequenceNumber,
        requestedAtMs,
        respondedAtMs: null,
        received: null,
        totalBytes: 0,
        loadedBytes: 0,
        priorPart,
        onProgress,
        relayed,
        resolve,
        reject,
      });
      this.#options.send({
        type: 'request',
        requestId,
        sequenceNumber,
        ...(neededInMs === null ? {} : { neededInMs: Math.min(MAX_NEEDED_IN_MS, Math.max(0, Math.round(neededInMs))) }),
        ...(priorPart === null ? {} : { fromByte: priorPart.bytes.byteLength }),
      });
    });
    const cancel = (strike?: Exclude<StrikeKind, 'unkept-claim' | 'bad-relay'> | null): void => {
      const pending = this.#pending.get(requestId);
      if (pending === undefined) return;
      this.#pending.delete(requestId);
      // A transfer given up for its pace says how fast this peer is (a silent one: 0 B/s); one
      // cancelled for a seek does not.
      if (strike !== undefined) {
        this.#sampleThroughput(pending, true);
        if (strike) this.#options.onStrike?.(strike);
      }
      // Kept for a Range resume only when given up for its pace (a seek or teardown resumes nothing).
      this.#end(
        requestId,
        pending,
        strike !== undefined,
        new P2PError('peer-timeout', `download of ${sequenceNumber} cancelled`),
      );
    };
    const partial = (): PartialSegment | null => {
      const failed = this.#failed.get(requestId);
      const pending = this.#pending.get(requestId) ?? failed;
      // Taken: the resume holds a copy; the budget (released already once the link closed) gets them back.
      if (failed !== undefined) {
        this.#failed.delete(requestId);
        if (!this.#closed) this.#options.receiveBudget.release(ownBytes(failed));
      }
      if (pending === undefined || pending.received === null || ownBytes(pending) === 0) return null;
      return {
        bytes: new Uint8Array(joinChunks(pending.received, pending.loadedBytes)),
        totalBytes: pending.totalBytes,
        vouched: !pending.relayed && pending.priorPart === null,
      };
    };
    return { promise, cancel, partial };
  }

  /** The peer's response header (a mismatched one, or one above the size bound, is a violation). */
  onResponse(requestId: number, sequenceNumber: number, byteLength: number): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return; // cancelled by us; its data frames are ignored too
    if (pending.received !== null || pending.sequenceNumber !== sequenceNumber) {
      this.#fault(`peer ${this.#options.remotePeerId} sent a mismatched response`);
      return;
    }
    const boundBytes = this.#options.segmentSizeBoundBytes?.() ?? MIN_SEGMENT_SIZE_BOUND_BYTES;
    if (byteLength > boundBytes) {
      this.#fault(
        `peer ${this.#options.remotePeerId}: declared a segment of ${byteLength} bytes (bound ${boundBytes})`,
      );
      return;
    }
    const { priorPart } = pending; // two peers disagreeing on the size: either may be wrong (no fault)
    if (priorPart !== null && byteLength !== priorPart.totalBytes) {
      const message = `peer ${this.#options.remotePeerId}: ${byteLength} bytes, another peer ${priorPart.totalBytes}`;
      this.#end(requestId, pending, false, new P2PError('peer-error', message));
      return;
    }
    pending.received = priorPart === null ? [] : [priorPart.bytes];
    pending.loadedBytes = priorPart?.bytes.byteLength ?? 0;
    pending.totalBytes = byteLength;
    this.#noteResponse(pending);
    this.#maybeFinish(requestId, pending);
  }

  /**
   * The peer does not have what we asked for — or, for a relayed download, its own source failed
   * (also after the header: the bytes so far are dropped, never resumed, as they may be its source's forgery).
   * `busy` before the header: it has it but its uplink is full, which breaks no promise.
   * @returns whether it counted as `busy`.
   */
  onAbsent(requestId: number, sequenceNumber: number, busy = false): boolean {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return false;
    const refused = busy && pending.received === null;
    // A refusal says nothing of the peer's pace: no RTT sample from it.
    if (pending.received === null && !refused) this.#noteResponse(pending);
    this.#pending.delete(requestId);
    this.#options.receiveBudget.release(ownBytes(pending));
    // We asked because it claimed the segment: an unkept claim (for a relay, every second one in a row).
    if (!refused && (!pending.relayed || ++this.#relayFailures % RELAY_FAILURES_PER_STRIKE === 0))
      this.#options.onStrike?.('unkept-claim');
    const { remotePeerId } = this.#options;
    if (refused) pending.reject(new PeerBusyError(`peer ${remotePeerId} is too busy to send ${sequenceNumber}`));
    else {
      const what = pending.relayed ? 'could not relay' : 'does not have';
      pending.reject(new P2PError('peer-error', `peer ${remotePeerId} ${what} ${sequenceNumber}`));
    }
    return refused;
  }

  /** One chunk of a response (one out of order or beyond the declared length is a violation). */
  onData(frame: DataFrame): void {
    const pending = this.#pending.get(frame.requestId);
    if (pending === undefined) {
      // A download we cancelled: its frames in flight are expected, up to what it had left to send.
      // More, or data for no request at all, is a flood of our downlink.
      this.#lateBytesAllowed -= frame.payload.byteLength;
      if (this.#lateBytesAllowed < 0) this.#fault(`peer ${this.#options.remotePeerId} sent data for no request`);
      return;
    }
    const { received } = pending;
    // Data channels are reliable and ordered, so chunks must arrive back to back.
    if (
      received === null ||
      frame.byteOffset !== pending.loadedBytes ||
      frame.byteOffset + frame.payload.byteLength > pending.totalBytes
    ) {
      this.#fault(`peer ${this.#options.remotePeerId} sent an out-of-order or oversized chunk`);
      return;
    }
    const budget = this.#options.receiveBudget;
    if (!budget.reserve(frame.payload.byteLength)) {
      // Every partial download together has used the instance's budget: this one ends (HTTP takes over).
      this.#end(
        frame.requestId,
        pending,
        false,
        new P2PError(
          'peer-error',
          `partial downloads hold the whole receive budget (segment ${pending.sequenceNumber})`,
        ),
      );
      return;
    }
    // Kept as the view it is: each data-channel message arrives in a buffer of its own, which
    // holds only this chunk and a 9-byte header; a copy per chunk was a copy of every segment.
    received.push(frame.payload);
    pending.loadedBytes += frame.payload.byteLength;
    this.#receivedBytes += frame.payload.byteLength;
    pending.onProgress({ loadedBytes: pending.loadedBytes, totalBytes: pending.totalBytes, chunk: frame.payload });
    this.#maybeFinish(frame.requestId, pending);
  }

  /** The link closed: every running download fails with `error` (keeping its bytes for a resume). */
  close(error: P2PError): void {
    if (this.#closed) return;
    // Partials stay readable for an HTTP resume, but no longer count against the shared budget.
    const budget = this.#options.receiveBudget;
    for (const each of [...this.#failed.values(), ...this.#pending.values()]) budget.release(ownBytes(each));
    this.#closed = true;
    for (const [requestId, pending] of this.#pending) {
      this.#keepFailed(requestId, pending);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #fault(message: string): void {
    this.#options.onFault(new P2PError('peer-protocol', message));
  }

  // Ids are unique per connection: after wrapping around, skip any still in flight.
  #takeRequestId(): number {
    let requestId = this.#nextRequestId;
    while (this.#pending.has(requestId)) requestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    this.#nextRequestId = requestId >= MAX_REQUEST_ID ? 1 : requestId + 1;
    return requestId;
  }

  // We end a running download: its bytes kept for a Range resume (`keep`), what the peer still
  // sends of it allowed for, the peer told, the requester rejected with `error`. The budget gets
  // the bytes back unless they are kept on an open link (a strike's ban may have closed it).
  #end(requestId: number, pending: PendingDownload, keep: boolean, error: P2PError): void {
    this.#pending.delete(requestId);
    if (keep) this.#keepFailed(requestId, pending);
    if (!keep || this.#closed) this.#options.receiveBudget.release(ownBytes(pending));
    // At most what a full set of downloads could still send: the allowance of cancels long past
    // (honest frames in flight end within moments) would let a peer flood our downlink later.
    const boundBytes = this.#options.segmentSizeBoundBytes?.() ?? MIN_SEGMENT_SIZE_BOUND_BYTES;
    this.#lateBytesAllowed = Math.min(
      MAX_DOWNLOADS_PER_PEER * boundBytes,
      this.#lateBytesAllowed + (pending.received === null ? boundBytes : pending.totalBytes - pending.loadedBytes),
    );
    this.#options.send({ type: 'cancel', requestId });
    pending.reject(error);
  }

  #keepFailed(requestId: number, pending: PendingDownload): void {
    if (ownBytes(pending) === 0) return;
    this.#failed.set(requestId, pending);
    if (this.#failed.size > MAX_FAILED_KEPT) {
      const oldest = this.#failed.keys().next().value as number;
      // A closed link's partials gave their bytes back already.
      if (!this.#closed) this.#options.receiveBudget.release(ownBytes(this.#failed.get(oldest) as PendingDownload));
      this.#failed.delete(oldest);
    }
  }

  #noteResponse(pending: PendingDownload): void {
    const nowMs = this.#options.nowMs();
    pending.respondedAtMs = nowMs;
    this.#rttMs = ewma(this.#rttMs, nowMs - pending.requestedAtMs);
  }

  #maybeFinish(requestId: number, pending: PendingDownload): void {
    if (pending.received === null || pending.loadedBytes !== pending.totalBytes) return;
    this.#pending.delete(requestId);
    this.#options.receiveBudget.release(ownBytes(pending));
    if (pending.relayed) this.#relayFailures = 0;
    this.#options.onDelivered(pending.sequenceNumber);
    this.#sampleThroughput(pending);
    pending.resolve(joinChunks(pending.received, pending.loadedBytes));
  }

  #sampleThroughput(pending: PendingDownload, givenUp = false): void {
    const startMs = pending.respondedAtMs ?? pending.requestedAtMs;
    const elapsedMs = Math.max(this.#options.nowMs() - startMs, MIN_THROUGHPUT_SAMPLE_MS);
    const bytes = ownBytes(pending);
    if (bytes > 0 || givenUp) {
      this.#throughputBytesPerSecond = ewma(this.#throughputBytesPerSecond, (bytes * 1000) / elapsedMs);
    }
  }
}

// The bytes this peer sent of a download (its prior part came from another: not ours to count or budget).
const ownBytes = (pending: PendingDownload): number =>
  pending.received === null ? 0 : pending.loadedBytes - (pending.priorPart?.bytes.byteLength ?? 0);
