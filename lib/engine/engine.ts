import type { PeerCDNConfig } from '../api/config.ts';
import { messageOf, P2PError } from '../api/errors.ts';
import type { PeerCDNEvents, PeerCDNStats, PeerInfo } from '../api/events.ts';
import type { TypedEmitter } from '../api/typed-emitter.ts';
import type { PeerLink } from '../peer/peer-link.ts';
import { SegmentSizeLimits } from '../peer/peer-limits.ts';
import type { UploadPacer } from '../peer/peer-uploads.ts';
import type { RelaySource } from '../peer/relay-source.ts';
import { uplinkAdmission, uplinkStats, type UplinkAdmission } from '../peer/uplink-admission.ts';
import { decideSource, designatedSeeder, type SourceDecision } from '../policy/source-decision.ts';
import { uplinkClassOf } from '../policy/seeder-weight.ts';
import type { StrikeKind } from '../policy/peer-strikes.ts';
import { createPeerId } from '../shared/swarm-id.ts';
import { PeerRecords } from '../swarm/peer-records.ts';
import { Swarm } from '../swarm/swarm.ts';
import type { TrackerClientFactory } from '../swarm/tracker-client.ts';
import { AvailabilityWaiters } from './availability-waiters.ts';
import { newEngineEvents } from './engine-events.ts';
import type { FetchBytes } from './hash-manifest-store.ts';
import { HttpPace } from './http-pace.ts';
import { summarizePeers } from './peer-summary.ts';
import { Playback } from './playback.ts';
import { SegmentCache, type CachedSegment } from './segment-cache.ts';
import { ServedSegments } from './served-segments.ts';
import { SegmentChecks } from './segment-checks.ts';
import { fetchManifestBytes, SegmentVerifier, webCryptoSha256 } from './segment-verifier.ts';
import type { SegmentLoad } from './segment-load.ts';
import { countSegment, newTransferCounters } from './transfer-counters.ts';
import { onCellularOrSaveData, pacerForCap } from './upload-limiter.ts';

/** Injected dependencies of the engine (tests replace them). */
export interface EngineDependencies {
  readonly createTrackerClient: TrackerClientFactory;
  readonly random: () => number;
  readonly nowMs: () => number;
  /** False where the browser has no WebRTC: then everything comes over HTTP. Default true. */
  readonly webRtcAvailable?: boolean;
  /** GET of a hash manifest; default `fetch` without the HTTP cache. */
  readonly fetchBytes?: FetchBytes;
}

// Segments that started at least this long before the playhead are evicted first.
const BEHIND_PLAYHEAD_KEEP_SECONDS = 10;

/**
 * The state shared by all fragment loaders of one PeerCDN instance. Its parts are public and
 * used directly (cache, playback, HTTP pace, segment checks, availability waiters); the engine
 * itself owns the swarms, the counters and the events, and gathers what the source decision weighs.
 */
export class Engine {
  readonly config: PeerCDNConfig;
  readonly events: TypedEmitter<PeerCDNEvents>;
  readonly peerId: string;
  /** Whether this viewer serves peers (config, or 'auto': not on cellular / data saver). */
  readonly uploading: boolean;
  readonly cache: SegmentCache;
  /** Where playback is; `attach(hls)` makes it follow the player. */
  readonly playback = new Playback();
  readonly httpPace = new HttpPace();
  /** The `baseUrl` of each configured origin (viewers on any of them share swarms). */
  readonly originBaseUrls: readonly string[];
  /** Checks of every segment that (partly) came from a peer. */
  readonly segmentChecks: SegmentChecks;
  /** Loaders waiting for a swarm's availability to change. */
  readonly availability = new AvailabilityWaiters();
  /** What peers may get from us: cached and relayed segments once they passed our checks. */
  readonly served: ServedSegments;
  readonly #verifier: SegmentVerifier;
  readonly #uploadPacer: UploadPacer | null;
  readonly #uplink: UplinkAdmission | null;
  // Bounds on what peers may make us hold (peer-limits): declared sizes, partial downloads.
  readonly #sizeLimits = new SegmentSizeLimits();
  /** The clock, randomness and runtime it was given (tests and the simulator fix them). */
  readonly dependencies: EngineDependencies;
  readonly #swarms = new Map<string, Swarm>();
  // Per-session records of remote peers (bans, strikes), shared by every swarm.
  readonly #peerRecords: PeerRecords;
  readonly #counters = newTransferCounters();
  #destroyed = false;
  // The player appended a segment (FRAG_BUFFERED): the held offers may go out (see offersHeld below).
  #segmentAppended = false;
  // Set when something in the peer-to-peer path threw (a missing or broken runtime API): from
  // then on everything comes over HTTP.
  #p2pFailure: P2PError | null = null;

  constructor(config: PeerCDNConfig, dependencies: EngineDependencies) {
    this.config = config;
    this.dependencies = dependencies;
    this.peerId = createPeerId(dependencies.random);
    this.#peerRecords = new PeerRecords(dependencies.nowMs);
    this.uploading =
      config.uploadEnabled === 'auto' ? !onCellularOrSaveData(globalThis.navigator) : config.uploadEnabled;
    this.#uploadPacer = pacerForCap(config.uploadMaxBytesPerSecond, dependencies.nowMs);
    this.#uplink = uplinkAdmission(config.uploadBacklogMs, config.uploadMaxBytesPerSecond);
    this.events = newEngineEvents();
    this.originBaseUrls = config.origins.map((origin) => origin.baseUrl);
    this.#verifier = new SegmentVerifier({
      manifestUrl: config.segmentHashesUrl,
      fetchBytes: dependencies.fetchBytes ?? fetchManifestBytes,
      nowMs: dependencies.nowMs,
      delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      sha256: webCryptoSha256(),
    });
    this.segmentChecks = new SegmentChecks(config.validateSegment, this.#verifier, config.requireSegmentHashes);
    this.cache = new SegmentCache(
      config.cacheMaxBytes,
      (segment) => this.#onEvicted(segment),
      (segment) => this.playback.isBehind(segment.startSeconds, BEHIND_PLAYHEAD_KEEP_SECONDS),
    );
    this.served = new ServedSegments(this.cache, dependencies.nowMs);
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get p2pEnabled(): boolean {
    return (
      !this.#destroyed &&
      this.#p2pFailure === null &&
      this.config.trackerUrls.length > 0 &&
      this.dependencies.webRtcAvailable !== false
    );
  }

  /**
   * Where to get a segment that is not cached and how long to wait (`decideSource`), from the swarm's
   * peers, the playhead, this viewer's HTTP pace and how long this load has waited; `afterWait`: it
   * just waited for peers, so an HTTP decision strikes each that said it was fetching the segment.
   */
  decide(
    swarmId: string,
    sequenceNumber: number,
    startSeconds: number,
    waitedMs: number,
    afterWait = false,
  ): SourceDecision {
    const secondsUntilNeeded = this.playback.secondsUntil(startSeconds);
    const swarm = this.p2pEnabled ? this.#swarm(swarmId) : null;
    if (swarm === null) return { kind: 'http' };
    const situation = {
      secondsUntilNeeded,
      waitedMs,
      startingUp: this.playback.startingUp,
      warmingUp: swarm.warmingUp,
      httpDeliveryMs: this.httpPace.deliveryMs(),
      expectedSegmentBytes: this.httpPace.typicalSegmentBytes,
      uplinkClass: this.#toldUplinkClass,
    };
    const views = swarm.views(sequenceNumber);
    const decision = decideSource(this.peerId, sequenceNumber, views, situation, this.config);
    if (decision.kind === 'http' && afterWait)
      swarm.waitedInVain(views, designatedSeeder(this.peerId, sequenceNumber, views, situation.uplinkClass));
    return decision;
  }

  /** A connected peer's link, to download from it or drop it; null when it is gone (or P2P is off). */
  peerLink(swarmId: string, peerId: string): PeerLink | null {
    // No swarms exist while P2P is off (disableP2P and destroy close them).
    const link = this.#swarms.get(swarmId)?.link(peerId);
    return link === undefined || link.closed ? null : link;
  }

  /** Tell the swarm we are fetching this segment over HTTP, so peers wait for us instead. */
  announceLoading(swarmId: string, sequenceNumber: number): void {
    if (this.uploading) this.#swarms.get(swarmId)?.announceLoading(sequenceNumber);
  }

  /**
   * A peer download of a segment began (its header declared `totalBytes`): relay it to our peers
   * while it arrives (RelaySource: the caller appends the chunks and fails it if the download or
   * its checks fail; the engine confirms it once the segment passed them). Null when not uploading.
   */
  beginRelay(swarmId: string, sequenceNumber: number, totalBytes: number): RelaySource | null {
    const swarm = this.uploading ? this.#swarms.get(swarmId) : undefined;
    if (swarm === undefined) return null;
    swarm.announceLoading(sequenceNumber, true);
    return this.served.beginRelay(swarmId, sequenceNumber, totalBytes);
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
    this.#p2pFailure = new P2PError('p2p-unavailable', `peer-to-peer disabled, HTTP only: ${messageOf(cause)}`, {
      cause,
    });
    this.leaveSwarms();
    this.served.stopRelays();
    this.events.emit('error', this.#p2pFailure);
  }

  /** Close every swarm (a new stream: hls.js `loadSource()`); a rendition's is joined again when used. */
  leaveSwarms(): void {
    for (const swarm of this.#swarms.values())
      try {
        swarm.destroy();
      } catch {
        // Closing it failed (P2P may be failing already): nothing of it is used again either way.
      }
    this.#swarms.clear();
  }

  /** Record a segment handed to hls.js, keep it for peers and tell them. */
  segmentLoaded(load: SegmentLoad): void {
    const { source, swarmId, sequenceNumber, data, durationMs, peerId } = load;
    const { peerBytes = 0, startSeconds, durationSeconds = 0, verified = false, peerVouched = true } = load;
    if (this.#destroyed) return;
    const bytes = data.byteLength;
    this.httpPace.segmentSeen(bytes, durationSeconds);
    this.#sizeLimits.seen(bytes, source === 'http' && peerBytes === 0);
    // A peer id comes with a peer's segment or an HTTP resume of one (its first `peerBytes`).
    const region = peerId === null ? null : (this.peerLink(swarmId, peerId)?.region ?? '');
    countSegment(this.#counters, source, bytes, peerBytes, region);
    if (source !== 'cache') {
      const isNew = !this.cache.has(swarmId, sequenceNumber);
      // Keep a copy: hls.js transfers the buffer it receives to its transmux worker, detaching it.
      const copy = data.slice(0);
      const stored = this.cache.put({ swarmId, sequenceNumber, data: copy, downloadMs: durationMs, startSeconds });
      const fromPeer = source === 'peer' || peerBytes > 0;
      if (fromPeer && verified) this.#counters.segmentsVerified += 1;
      const sender = peerVouched ? peerId : null;
      const announce = this.served.loaded({ swarmId, sequenceNumber, stored, isNew, fromPeer, verified, sender });
      if (announce && this.uploading) this.#swarms.get(swarmId)?.announceHave(sequenceNumber);
    }
    // A resumed segment is reported as HTTP: it came from the origin in the end.
    const reportedPeerId = source === 'peer' ? peerId : null;
    this.events.emit('segment-loaded', {
      source,
      swarmId,
      sequenceNumber,
      byteLength: bytes,
      durationMs,
      peerId: reportedPeerId,
    });
  }

  /**
   * hls.js appended a segment (FRAG_BUFFERED): an unverified peer segment may now be announced and
   * uploaded; the first one releases the offers held during startup.
   */
  segmentBuffered(swarmId: string, sequenceNumber: number): void {
    if (this.#destroyed) return;
    if (!this.#segmentAppended) {
      this.#segmentAppended = true;
      for (const swarm of this.#swarms.values()) swarm.releaseOffers();
    }
    if (!this.served.buffered(swarmId, sequenceNumber)) return;
    if (this.uploading && this.cache.has(swarmId, sequenceNumber))
      this.#swarms.get(swarmId)?.announceHave(sequenceNumber);
  }

  /**
   * hls.js could not parse or append a segment. If it was an unverified peer segment: drop it (it
   * was never announced), ban the peer that sent it, and load it over HTTP when hls.js retries.
   */
  segmentFailedInPlayer(swarmId: string, sequenceNumber: number, details: string): void {
    if (this.#destroyed) return;
    const peerId = this.served.failedInPlayer(swarmId, sequenceNumber);
    if (peerId === null) return;
    const error = new P2PError(
      'segment-corrupt',
      `hls.js failed on segment ${sequenceNumber} from peer ${peerId} (${details})`,
    );
    this.banPeer(swarmId, peerId, error);
    this.events.emit('error', error);
  }

  /** Count bytes that came over HTTP without a cacheable segment (byte ranges, init segments, loads cut short). */
  httpBytesLoaded(bytes: number): void {
    this.#counters.httpBytes += bytes;
  }

  /**
   * Ban a peer for the rest of the session — it sent a bad segment (`corrupt`), or broke too many
   * promises: its connections in every swarm close, and the swarms refuse the id when it comes back.
   */
  banPeer(swarmId: string, peerId: string, error: P2PError, corrupt = true): void {
    if (this.#destroyed) return;
    if (corrupt) this.#counters.segmentsRejected += 1;
    const isNew = this.#peerRecords.ban(peerId, error.message);
    for (const swarm of this.#swarms.values()) swarm.ban(peerId, error);
    if (isNew) this.events.emit('peer-banned', { swarmId, peerId, reason: error.message });
  }

  /** A broken promise the loader saw (relayed bytes that failed a check), for the session's records. */
  strikePeer(swarmId: string, peerId: string, kind: StrikeKind): void {
    if (!this.#destroyed) this.#swarms.get(swarmId)?.strike(peerId, kind);
  }

  /** A peer transfer failed or was too slow (then HTTP or, once, another peer): count it, report it. */
  peerFallback(error: P2PError): void {
    this.#counters.peerFallbacks += 1;
    this.events.emit('error', error);
  }

  /** One entry per distinct remote viewer, however many swarms (renditions) we share with it. */
  peers(): PeerInfo[] {
    return summarizePeers([...this.#swarms.values()].flatMap((swarm) => swarm.peerInfos()));
  }

  stats(): PeerCDNStats {
    return {
      ...this.#counters,
      p2pBytesByRegion: { ...this.#counters.p2pBytesByRegion },
      connectedPeers: this.peers().length,
      bannedPeers: this.#peerRecords.bannedCount,
      bannedPeerRefusals: this.#peerRecords.refusals,
      peerStrikes: this.#peerRecords.strikeCount,
      ...uplinkStats(this.#uplink),
      swarms: this.#swarms.size,
      cacheBytes: this.cache.byteLength,
    };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.leaveSwarms();
    this.#peerRecords.clear();
    this.#verifier.destroy();
    this.served.clear();
    this.cache.clear();
    this.availability.clear();
    this.playback.follow(null);
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
      region: config.region,
      iceServers: config.iceServers,
      maxPeers: config.maxPeersPerSwarm,
      offersPerAnnounce: config.offersPerAnnounce,
      createTrackerClient: this.dependencies.createTrackerClient,
      peerRecords: this.#peerRecords,
      heldSequenceNumbers: () => (this.uploading ? this.served.held(swarmId) : []),
      getSegment: (sequenceNumber) => (this.uploading ? this.served.whole(swarmId, sequenceNumber) : undefined),
      // Empty unless uploading (beginRelay).
      getRelay: (sequenceNumber) => this.served.relay(swarmId, sequenceNumber),
      transferredBytes: () => ({
        uploaded: this.#counters.uploadedBytes,
        downloaded: this.#counters.p2pBytes + this.#counters.httpBytes,
      }),
      onUploaded: (bytes) => {
        this.#counters.uploadedBytes += bytes;
      },
      nowMs: this.dependencies.nowMs,
      uploadPacer: this.#uploadPacer,
      uplink: this.#uplink,
      uplinkClass: this.#tellUplinkClass,
      segmentSizeBoundBytes: () => this.#sizeLimits.boundBytes(),
      receiveBudget: this.#sizeLimits.receiveBudget,
      onAvailabilityChanged: (id) => this.availability.notify(id),
      onPeerConnected: (id, peerId) => this.events.emit('peer-connected', { swarmId: id, peerId }),
      onPeerClosed: (id, peerId, error) => {
        if (!this.#destroyed) this.events.emit('peer-closed', { swarmId: id, peerId, error });
      },
      onStruckOut: (id, peerId, error) => this.banPeer(id, peerId, error, false),
      onError: (error) => this.events.emit('error', error),
      // Offers wait until the player appended its first segment: making them (an RTCPeerConnection
      // each, ICE gathering) while the playlists and the first segment load, or while hls.js
      // transmuxes and appends it, slows the player's startup (unless startup was told to wait for peers).
      offersHeld: () => config.startupPeerWaitMs === 0 && !this.#segmentAppended && this.playback.startingUp,
    });
  }

  // Our uplink class as last told to peers (what they rank us by, so ours too); 0 while not uploading.
  #toldUplinkClass = 0;
  #tellUplinkClass = (): number =>
    (this.#toldUplinkClass = uplinkClassOf(this.uploading ? this.#uplink : null, this.httpPace.bitrateBytesPerMs));

  #onEvicted(segment: CachedSegment): void {
    if (this.uploading) this.#swarms.get(segment.swarmId)?.announceLost(segment.sequenceNumber);
  }
}
