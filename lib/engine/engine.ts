import type { PeerCDNConfig } from '../api/config.ts';
import { P2PError } from '../api/errors.ts';
import type { PeerCDNEvents, PeerCDNStats, PeerInfo, SegmentSource } from '../api/events.ts';
import type { PartialSegment, PeerDownloadProgress } from '../peer/peer-link.ts';
import type { UploadPacer } from '../peer/peer-uploads.ts';
import { ReceiveBudget, segmentSizeBoundBytes } from '../peer/peer-limits.ts';
import { ewma } from '../policy/peer-choice.ts';
import { updateHttpThroughput, type HttpThroughput, type TransferTimings } from '../policy/transfer-timing.ts';
import { looksLikeMpegTs, mpegTsProblem } from '../policy/segment-check.ts';
import { summarizePeers } from './peer-summary.ts';
import { SegmentCache, type CachedSegment } from './segment-cache.ts';
import { createPeerId } from '../shared/swarm-id.ts';
import { decideSource, type SourceDecision } from '../policy/source-decision.ts';
import { PeerRecords } from '../swarm/peer-records.ts';
import { Swarm } from '../swarm/swarm.ts';
import type { TrackerClientFactory } from '../swarm/tracker-client.ts';
import { TypedEmitter } from '../api/typed-emitter.ts';
import { onCellularOrSaveData, UploadLimiter } from './upload-limiter.ts';

/** Injected dependencies of the engine (tests replace them). */
export interface EngineDependencies {
  readonly createTrackerClient: TrackerClientFactory;
  readonly random: () => number;
  readonly nowMs: () => number;
  /** False where the browser has no WebRTC: then everything comes over HTTP. Default true. */
  readonly webRtcAvailable?: boolean;
}

/** What the engine reads of the player: its media element (hls.js's `hls.media`), for the playhead. */
export interface Playhead {
  readonly media: HTMLMediaElement | null;
}

/** A segment handed to hls.js, as the loader reports it to the engine. */
export interface SegmentLoad {
  readonly source: SegmentSource;
  readonly swarmId: string;
  readonly sequenceNumber: number;
  readonly data: ArrayBuffer;
  readonly durationMs: number;
  readonly peerId: string | null;
  /** Bytes of an HTTP-resumed segment that came from a peer first. */
  readonly peerBytes?: number;
  /** Media time at which the segment starts playing. */
  readonly startSeconds: number;
}

/** A running download of one segment from one peer. */
export interface PeerDownload {
  readonly peerId: string;
  readonly promise: Promise<ArrayBuffer>;
  /** Stop the download; `tooSlow` records its pace so far as the peer's measured throughput. */
  cancel(tooSlow?: boolean): void;
  /** Bytes received before a failure or cancel, for an HTTP Range resume. */
  partial(): PartialSegment | null;
}

// Segments that started at least this long before the playhead are evicted first.
const BEHIND_PLAYHEAD_KEEP_SECONDS = 10;
// For this long after joining a swarm, segments not needed soon wait for the first peers.
const SWARM_WARMUP_MS = 3000;
// A signalled peer that does not connect within this time is dropped.
const CONNECT_TIMEOUT_MS = 20_000;

/** The state shared by all fragment loaders of one PeerCDN instance: cache, swarms, counters. */
export class Engine {
  readonly config: PeerCDNConfig;
  readonly events: TypedEmitter<PeerCDNEvents>;
  readonly peerId: string;
  /** Whether this viewer serves peers (config, or 'auto': not on cellular / data saver). */
  readonly uploading: boolean;
  readonly #uploadPacer: UploadPacer | null;
  // Bounds on what peers may make us hold (peer-limits): declared sizes, partial downloads.
  #largestSegmentBytes: number | null = null;
  readonly #receiveBudget = new ReceiveBudget();
  readonly #dependencies: EngineDependencies;
  readonly #cache: SegmentCache;
  readonly #swarms = new Map<string, Swarm>();
  // Per-session records of remote peers (bans, strikes), shared by every swarm.
  readonly #peerRecords: PeerRecords;
  readonly #availabilityWaiters = new Map<string, Set<() => void>>();
  #playhead: Playhead | null = null;
  #startupStartSeconds: number | null = null;
  #httpThroughput: HttpThroughput | null = null;
  // Swarms whose HTTP segments are MPEG-TS: segments from their peers must be too.
  readonly #mpegTsSwarms = new Set<string>();
  // Smoothed size of segments loaded, for comparing a peer's pace with HTTP's.
  #segmentBytesEstimate: number | null = null;
  #counters = {
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    cacheHitBytes: 0,
    segmentsFromHttp: 0,
    segmentsFromPeers: 0,
    segmentsFromCache: 0,
    peerFallbacks: 0,
  };
  #destroyed = false;
  // Set when something in the peer-to-peer path threw (a missing or broken runtime API): from
  // then on everything comes over HTTP.
  #p2pFailure: P2PError | null = null;

  constructor(config: PeerCDNConfig, dependencies: EngineDependencies) {
    this.config = config;
    this.#dependencies = dependencies;
    this.peerId = createPeerId(dependencies.random);
    this.#peerRecords = new PeerRecords(dependencies.nowMs);
    this.uploading =
      config.uploadEnabled === 'auto' ? !onCellularOrSaveData(globalThis.navigator) : config.uploadEnabled;
    this.#uploadPacer =
      config.uploadMaxBytesPerSecond === null
        ? null
        : new UploadLimiter(config.uploadMaxBytesPerSecond, dependencies.nowMs()).pacer(dependencies.nowMs);
    this.events = new TypedEmitter<PeerCDNEvents>((error, event) => {
      // A listener that throws is reported once through `error`, except an `error` listener:
      // re-emitting `error` to it would throw again and again (a frozen tab), so that is dropped.
      if (event === 'error') return;
      queueMicrotask(() =>
        this.events.emit('error', new P2PError('listener-error', `a '${String(event)}' listener threw`, { cause: error })),
      );
    });
    this.#cache = new SegmentCache(
      config.cacheMaxBytes,
      (segment) => this.#onEvicted(segment),
      (segment) => this.#isBehindPlayhead(segment),
    );
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get p2pEnabled(): boolean {
    return (
      !this.#destroyed &&
      this.#p2pFailure === null &&
      this.config.trackerUrls.length > 0 &&
      this.#dependencies.webRtcAvailable !== false
    );
  }

  cached(swarmId: string, sequenceNumber: number): CachedSegment | undefined {
    return this.#cache.get(swarmId, sequenceNumber);
  }

  /** Where to get a segment that is not cached (see `decideSource`). */
  decide(swarmId: string, sequenceNumber: number, secondsUntilNeeded: number | null): SourceDecision {
    const swarm = this.p2pEnabled ? this.#swarm(swarmId) : null;
    if (swarm === null) return { kind: 'http' };
    return decideSource(this.peerId, sequenceNumber, swarm.views(sequenceNumber), {
      secondsUntilNeeded,
      httpWindowSeconds: this.config.httpWindowSeconds,
      // Warming up: just joined, and the tracker has not said that nobody else is here.
      warmingUp: this.#dependencies.nowMs() - swarm.createdAtMs < SWARM_WARMUP_MS && swarm.othersAtTracker !== 0,
      httpDeliveryMs: this.#httpDeliveryMs(),
      expectedSegmentBytes: this.#segmentBytesEstimate,
    });
  }

  /** Tell the engine where playback is, so segments far ahead are not fetched from the origin. */
  setPlayhead(playhead: Playhead | null): void {
    this.#playhead = playhead;
  }

  /** Whether playback has yet to start (known only after `attach(hls)`). */
  get startingUp(): boolean {
    const media = this.#playhead?.media ?? null;
    return media !== null && media.readyState === 0;
  }

  /** Seconds of playback until media time `startSeconds` is reached; null when unknown. */
  secondsUntil(startSeconds: number): number | null {
    const media = this.#playhead?.media ?? null;
    if (media === null) return null;
    if (media.readyState === 0) {
      // Before the first segment is buffered, playback will start at the first segment asked for.
      this.#startupStartSeconds ??= startSeconds;
      return startSeconds - this.#startupStartSeconds;
    }
    this.#startupStartSeconds = null;
    return (startSeconds - media.currentTime) / (media.playbackRate > 0 ? media.playbackRate : 1);
  }

  /** Start a download from one connected peer; null when that peer is gone. */
  downloadFromPeer(
    swarmId: string,
    peerId: string,
    sequenceNumber: number,
    onProgress: (progress: PeerDownloadProgress) => void,
  ): PeerDownload | null {
    if (!this.p2pEnabled) return null;
    const link = this.#swarms.get(swarmId)?.link(peerId);
    if (link === undefined || link.closed) return null;
    const { promise, cancel, partial } = link.download(sequenceNumber, onProgress);
    return { peerId: link.remotePeerId, promise, cancel, partial };
  }

  /** Call `listener` on the next availability change in the swarm; returns a function that unsubscribes. */
  onNextAvailabilityChange(swarmId: string, listener: () => void): () => void {
    let waiters = this.#availabilityWaiters.get(swarmId);
    if (waiters === undefined) {
      waiters = new Set();
      this.#availabilityWaiters.set(swarmId, waiters);
    }
    waiters.add(listener);
    const set = waiters;
    return () => {
      set.delete(listener);
    };
  }

  /** Tell the swarm we are fetching this segment over HTTP, so peers wait for us instead. */
  announceLoading(swarmId: string, sequenceNumber: number): void {
    if (this.uploading) this.#swarms.get(swarmId)?.announceLoading(sequenceNumber);
  }

  /** Make sure the swarm exists so peers are found before the first segment is needed. */
  joinSwarm(swarmId: string): void {
    if (this.p2pEnabled) this.#swarm(swarmId);
  }

  /**
   * Something in the peer-to-peer path threw: report it once as an `error` event (code
   * `p2p-unavailable`), close every swarm and serve everything over HTTP from now on.
   */
  disableP2P(cause: unknown): void {
    if (this.#destroyed || this.#p2pFailure !== null) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#p2pFailure = new P2PError('p2p-unavailable', `peer-to-peer disabled, HTTP only: ${message}`, { cause });
    for (const swarm of this.#swarms.values()) {
      try {
        swarm.destroy();
      } catch {
        // Already failing: what matters is that nothing of it is used again.
      }
    }
    this.#swarms.clear();
    this.events.emit('error', this.#p2pFailure);
  }

  /** Record a segment handed to hls.js, keep it for peers and tell them. */
  segmentLoaded(load: SegmentLoad): void {
    const { source, swarmId, sequenceNumber, data, durationMs, peerId, peerBytes = 0, startSeconds } = load;
    if (this.#destroyed) return;
    const bytes = data.byteLength;
    this.#segmentBytesEstimate = ewma(this.#segmentBytesEstimate, bytes);
    this.#largestSegmentBytes = Math.max(this.#largestSegmentBytes ?? 0, bytes);
    if (source === 'http' && peerBytes === 0 && looksLikeMpegTs(new Uint8Array(data))) this.#mpegTsSwarms.add(swarmId);
    if (source === 'http') {
      // A segment resumed over HTTP after a peer failed: its first `peerBytes` came from the peer.
      this.#counters.httpBytes += bytes - peerBytes;
      this.#counters.p2pBytes += peerBytes;
      this.#counters.segmentsFromHttp += 1;
    } else if (source === 'peer') {
      this.#counters.p2pBytes += bytes;
      this.#counters.segmentsFromPeers += 1;
    } else {
      this.#counters.cacheHitBytes += bytes;
      this.#counters.segmentsFromCache += 1;
    }
    if (source !== 'cache') {
      const isNew = !this.#cache.has(swarmId, sequenceNumber);
      // Keep a copy: hls.js transfers the buffer it receives to its transmux worker, detaching it.
      const copy = data.slice(0);
      const stored = this.#cache.put({ swarmId, sequenceNumber, data: copy, downloadMs: durationMs, startSeconds });
      if (stored && isNew && this.uploading) this.#swarms.get(swarmId)?.announceHave(sequenceNumber);
    }
    this.events.emit('segment-loaded', { source, swarmId, sequenceNumber, byteLength: bytes, durationMs, peerId });
  }

  /** What this viewer's HTTP segment loads achieved lately (for the stats reported to ABR). */
  get httpThroughput(): HttpThroughput | null {
    return this.#httpThroughput;
  }

  httpTransferMeasured(timings: TransferTimings): void {
    this.#httpThroughput = updateHttpThroughput(this.#httpThroughput, timings);
  }

  /** Count bytes that came over HTTP without a cacheable segment (byte ranges, init segments). */
  httpBytesLoaded(bytes: number): void {
    this.#counters.httpBytes += bytes;
  }

  /** What is wrong with a segment that (partly) came from a peer, or null when it passes every check. */
  async segmentProblem(swarmId: string, sequenceNumber: number, data: ArrayBuffer, url: string): Promise<string | null> {
    if (this.#mpegTsSwarms.has(swarmId)) {
      const problem = mpegTsProblem(new Uint8Array(data));
      if (problem !== null) return problem;
    }
    const validate = this.config.validateSegment;
    if (validate === null) return null;
    try {
      return (await validate(data, { url, swarmId, sequenceNumber })) ? null : 'rejected by validateSegment';
    } catch (error) {
      return `validateSegment failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /**
   * Ban a peer that sent a bad segment for the rest of the session: its connections in every
   * swarm close, and the swarms refuse the id when it comes back.
   */
  banPeer(swarmId: string, peerId: string, error: P2PError): void {
    if (this.#destroyed) return;
    const isNew = this.#peerRecords.ban(peerId, error.message);
    for (const swarm of this.#swarms.values()) swarm.ban(peerId, error);
    if (isNew) this.events.emit('peer-banned', { swarmId, peerId, reason: error.message });
  }

  /** Whether a peer id is banned for this session. */
  isBanned(peerId: string): boolean {
    return this.#peerRecords.isBanned(peerId);
  }

  peerFallback(error: P2PError): void {
    this.#counters.peerFallbacks += 1;
    this.events.emit('error', error);
  }

  /** One entry per distinct remote viewer, however many swarms (renditions) we share with it. */
  peers(): PeerInfo[] {
    return summarizePeers([...this.#swarms.values()].flatMap((swarm) => swarm.peerInfos()));
  }

  stats(): PeerCDNStats {
    const peerIds = new Set<string>();
    for (const swarm of this.#swarms.values()) for (const [peerId] of swarm.peerInfos()) peerIds.add(peerId);
    return {
      ...this.#counters,
      connectedPeers: peerIds.size,
      swarms: this.#swarms.size,
      cacheBytes: this.#cache.byteLength,
    };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const swarm of this.#swarms.values()) swarm.destroy();
    this.#swarms.clear();
    this.#peerRecords.clear();
    this.#cache.clear();
    this.#availabilityWaiters.clear();
    this.#playhead = null;
    this.events.removeAllListeners();
  }

  // The swarm of `swarmId`, joined on first use; null when joining threw (P2P is then disabled).
  #swarm(swarmId: string): Swarm | null {
    const existing = this.#swarms.get(swarmId);
    if (existing !== undefined) return existing;
    try {
      const swarm = this.#newSwarm(swarmId);
      this.#swarms.set(swarmId, swarm);
      return swarm;
    } catch (error) {
      this.disableP2P(error);
      return null;
    }
  }

  #newSwarm(swarmId: string): Swarm {
    const { config } = this;
    return new Swarm({
      swarmId,
      peerId: this.peerId,
      trackerUrls: config.trackerUrls,
      iceServers: config.iceServers,
      maxPeers: config.maxPeersPerSwarm,
      offersPerAnnounce: config.offersPerAnnounce,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      createTrackerClient: this.#dependencies.createTrackerClient,
      peerRecords: this.#peerRecords,
      heldSequenceNumbers: () => (this.uploading ? this.#cache.sequenceNumbers(swarmId) : []),
      getSegment: (sequenceNumber) =>
        this.uploading ? this.#cache.get(swarmId, sequenceNumber)?.data : undefined,
      transferredBytes: () => ({
        uploaded: this.#counters.uploadedBytes,
        downloaded: this.#counters.p2pBytes + this.#counters.httpBytes,
      }),
      onUploaded: (bytes) => {
        this.#counters.uploadedBytes += bytes;
      },
      nowMs: this.#dependencies.nowMs,
      uploadPacer: this.#uploadPacer,
      segmentSizeBoundBytes: () => segmentSizeBoundBytes(this.#largestSegmentBytes),
      receiveBudget: this.#receiveBudget,
      onAvailabilityChanged: (id) => this.#notifyAvailability(id),
      onPeerConnected: (id, peerId) => this.events.emit('peer-connected', { swarmId: id, peerId }),
      onPeerClosed: (id, peerId, error) => {
        if (!this.#destroyed) this.events.emit('peer-closed', { swarmId: id, peerId, error });
      },
      onError: (error) => this.events.emit('error', error),
    });
  }

  #httpDeliveryMs(): number | null {
    const http = this.#httpThroughput;
    const bytes = this.#segmentBytesEstimate;
    return http === null || bytes === null ? null : http.firstByteMs + bytes / http.bytesPerMs;
  }

  // Segments well behind the playhead go first when memory is short: this viewer will not play
  // them again (live: they are leaving the window), while what lies ahead is about to play.
  #isBehindPlayhead(segment: CachedSegment): boolean {
    const media = this.#playhead?.media ?? null;
    if (media === null || media.readyState === 0) return false;
    return segment.startSeconds + BEHIND_PLAYHEAD_KEEP_SECONDS < media.currentTime;
  }

  #notifyAvailability(swarmId: string): void {
    const waiters = this.#availabilityWaiters.get(swarmId);
    if (waiters === undefined) return;
    this.#availabilityWaiters.delete(swarmId);
    for (const waiter of waiters) waiter();
  }

  #onEvicted(segment: CachedSegment): void {
    if (this.uploading) this.#swarms.get(segment.swarmId)?.announceLost(segment.sequenceNumber);
  }
}
