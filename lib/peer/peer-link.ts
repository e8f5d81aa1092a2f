import { P2PError } from '../api/errors.ts';
import type { PeerSwarmInfo } from '../api/events.ts';
import { offersWanted, type PeerUsefulness } from '../policy/peer-choice.ts';
import type { StrikeKind } from '../policy/peer-strikes.ts';
import { creditedUplinkClass } from '../policy/seeder-weight.ts';
import type { PeerView } from '../policy/source-decision.ts';
import { PeerDownloads } from './peer-downloads.ts';
import {
  CONTROL_MESSAGE_BURST,
  CONTROL_MESSAGES_PER_SECOND,
  MAX_REMOTE_AVAILABILITY_ENTRIES,
  ReceiveBudget,
} from './peer-limits.ts';
import { BusyBackoff } from './busy-backoff.ts';
import { TokenBucket } from './token-bucket.ts';
import type { UplinkAdmission } from './uplink-admission.ts';
import { PeerUploads, type UploadPacer } from './peer-uploads.ts';
import type { RelaySource } from './relay-source.ts';
import {
  availabilityMessages,
  encodeControl,
  parseFrame,
  PROTOCOL_VERSION,
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
  on(event: 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** What a link needs from its owner. */
export interface PeerLinkOptions {
  readonly remotePeerId: string;
  readonly peer: DataChannelPeer;
  /** Segments this viewer can serve, for the initial `hello`. */
  readonly initialHave: readonly number[];
  /** This viewer's region hint, told in `hello`; null for none. */
  readonly region?: string | null;
  /** This viewer's uplink class now (policy/seeder-weight.ts), told in `hello` and `have`; 0 when absent. */
  readonly uplinkClass?: () => number;
  /** Look up a segment to upload; undefined when it is not held (or upload is off). */
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  /** A segment we are receiving from another peer and relay while it arrives; undefined when none. */
  readonly getRelay?: ((sequenceNumber: number) => RelaySource | undefined) | undefined;
  readonly onUploaded: (bytes: number) => void;
  readonly nowMs: () => number;
  /** Paces uploads under a bandwidth cap; none means as fast as the channel takes them. */
  readonly uploadPacer?: UploadPacer | undefined;
  /** The uplink shared by all links (admits or refuses requests as `busy`); none admits all. */
  readonly uplink?: UplinkAdmission | undefined;
  readonly onAvailabilityChanged: (link: PeerLink) => void;
  readonly onClosed: (link: PeerLink, error: P2PError | null) => void;
  /** The peer broke a promise (a timeout, a too-slow transfer, `absent` for a segment it claimed). */
  readonly onStrike?: (link: PeerLink, kind: StrikeKind) => void;
  /** Largest segment size the peer may declare (peer-limits: from measured sizes, capped). */
  readonly segmentSizeBoundBytes?: () => number;
  /** The instance's byte budget for partial downloads; a link of its own when absent. */
  readonly receiveBudget?: ReceiveBudget;
}

// A peer's "loading" claim is trusted this long; then we stop waiting for it.
const LOADING_CLAIM_MS = 10_000;
// A peer whose latest announced segment is within this many of ours is at our part of the stream.
const NEARBY_SEGMENTS = 3;
const NEARBY_FRESH_MS = 30_000;
// Bounds memory a misbehaving peer can make us spend on its claims.
const MAX_LOADING_CLAIMS = 256;

/**
 * One connected peer in one swarm: the data channel and the wire protocol, dispatching each
 * parsed message to the peer's availability, our downloads from it, or our uploads to it.
 */
export class PeerLink {
  readonly remotePeerId: string;
  /** The region hint the peer gave in its `hello` (validated, not verified); null for none or before it. */
  region: string | null = null;
  /** The uplink class the peer told last (bounded by the parser; a claim that only ranks it as a seeder); 0 before. */
  uplinkClass = 0;
  /** Segments we are downloading from the peer: `downloads.start(sequenceNumber, onProgress)`. */
  readonly downloads: PeerDownloads;
  readonly #options: PeerLinkOptions;
  readonly #uploads: PeerUploads;
  readonly #connectedAtMs: number;
  #closed = false;
  readonly #have = new Set<number>();
  // Sequence number → when the peer said it is loading it (over HTTP, or from a peer it relays).
  readonly #loading = new Map<number, number>();
  readonly #relaying = new Map<number, number>();
  // Segments it was the designated seeder of and did not fetch, in a row (see creditedUplinkClass).
  #designationMisses = 0;
  #latestSequenceNumber: number | null = null;
  #latestAtMs = 0;
  // The peer's `busy` answers: while it backs off it is not asked; its end wakes waiting loaders.
  readonly #busy = new BusyBackoff(() => this.#options.onAvailabilityChanged(this));
  // Frame bytes handed to the data channel (what it sent is this less what it still queues).
  #sentFrameBytes = 0;
  #introduced = false;
  readonly #controlRate: TokenBucket;

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.remotePeerId = options.remotePeerId;
    this.#connectedAtMs = options.nowMs();
    this.#controlRate = new TokenBucket(CONTROL_MESSAGES_PER_SECOND, CONTROL_MESSAGE_BURST, this.#connectedAtMs);
    const { peer } = options;
    this.downloads = new PeerDownloads({
      remotePeerId: options.remotePeerId,
      nowMs: options.nowMs,
      send: (message) => this.#send(message),
      onDelivered: (sequenceNumber) => {
        this.#busy.delivered();
        this.#addAvailable([sequenceNumber]);
      },
      onFault: (error) => this.#close(error),
      onStrike: (kind) => options.onStrike?.(this, kind),
      segmentSizeBoundBytes: options.segmentSizeBoundBytes,
      receiveBudget: options.receiveBudget ?? new ReceiveBudget(),
    });
    this.#uploads = new PeerUploads({
      getSegment: options.getSegment,
      getRelay: options.getRelay,
      onUploaded: options.onUploaded,
      pacer: options.uploadPacer,
      uplink: options.uplink,
      send: (message) => this.#send(message),
      sendBytes: (bytes) => this.#sendBytes(bytes),
      bufferedBytes: () => peer.bufferSize,
      sentFrameBytes: () => this.#sentFrameBytes,
      closed: () => this.#closed,
      nowMs: options.nowMs,
      onViolation: (reason) => this.#violation(reason),
    });
    peer.on('data', (data) => this.#onData(data));
    peer.on('close', () => this.#close(null));
    // The remote side closed the channel: simple-peer then ends its stream, but on streamx (not the
    // bundles' Duplex) it never emits `close` for a teardown it started itself, so a peer that left
    // stayed linked. `end` comes either way.
    peer.on('end', () => this.#close(null));
    peer.on('error', (error) =>
      this.#close(new P2PError('peer-error', `peer ${this.remotePeerId}: ${error.message}`, { cause: error })),
    );
    // The newest segments first, and no more than a peer keeps of ours.
    // Newest first, by number (the receiver takes the first as where we are; the cache's order is
    // by use: an old segment just uploaded came first).
    const initialHave = [...options.initialHave].sort((a, b) => b - a).slice(0, MAX_REMOTE_AVAILABILITY_ENTRIES);
    for (const message of availabilityMessages(PROTOCOL_VERSION, initialHave, options.region, options.uplinkClass?.()))
      this.#send(message);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the peer's `hello` (its initial availability) has arrived. */
  get introduced(): boolean {
    return this.#introduced;
  }

  /** It was the designated seeder of a segment that we then had to fetch ourselves: it did not seed it. */
  missedDesignation(): void {
    this.#designationMisses += 1;
  }

  has(sequenceNumber: number): boolean {
    return this.#have.has(sequenceNumber);
  }

  /**
   * What this peer offers for one segment, for the source decision: whether it has it, whether it
   * is fetching it over HTTP (a claim trusted for 10 s), whether it was lately at this part of the
   * stream (a candidate seeder), and the pace of our downloads from it. A peer that answered `busy`
   * moments ago is not asked until its back-off ends: it is `busy` for what it has (waited for, a
   * few times in a row).
   */
  view(sequenceNumber: number): PeerView {
    const nowMs = this.#options.nowMs();
    const fresh = (sinceMs: number | undefined): boolean => sinceMs !== undefined && nowMs - sinceMs < LOADING_CLAIM_MS;
    const latest = this.#latestSequenceNumber;
    const asked = !this.#busy.backingOff;
    return {
      peerId: this.remotePeerId,
      has: asked && this.#have.has(sequenceNumber),
      loading: fresh(this.#loading.get(sequenceNumber)),
      relaying: asked && fresh(this.#relaying.get(sequenceNumber)),
      nearby:
        latest !== null &&
        Math.abs(latest - sequenceNumber) <= NEARBY_SEGMENTS &&
        nowMs - this.#latestAtMs < NEARBY_FRESH_MS,
      farRegion: this.#farRegion(),
      busy: this.#busy.waitedFor && this.#have.has(sequenceNumber),
      uplinkClass: creditedUplinkClass(this.uplinkClass, this.#designationMisses),
      ...this.downloads.pace(),
    };
  }

  /** The peer told a region hint other than ours. */
  #farRegion(): boolean {
    return !!this.region && !!this.#options.region && this.region !== this.#options.region;
  }

  /** What the swarm weighs when it looks for a peer to replace. */
  usefulness(held: ReadonlySet<number>): PeerUsefulness {
    return {
      peerId: this.remotePeerId,
      connectedForMs: this.#options.nowMs() - this.#connectedAtMs,
      receivedBytes: this.downloads.receivedBytes,
      sentBytes: this.#uploads.sentBytes,
      offersWanted: offersWanted([this.#have, this.#loading.keys(), this.#relaying.keys()], held),
      farRegion: this.#farRegion(),
      ...this.downloads.pace(),
    };
  }

  info(swarmId: string): PeerSwarmInfo {
    return {
      swarmId,
      segmentsAvailable: this.#have.size,
      latestSequenceNumber: this.#latestSequenceNumber,
      activeDownloads: this.downloads.pace().activeDownloads,
      receivedBytes: this.downloads.receivedBytes,
      sentBytes: this.#uploads.sentBytes,
      connectedForMs: this.#options.nowMs() - this.#connectedAtMs,
    };
  }

  /** Tell the peer we are fetching a segment: over HTTP, or from a peer while relaying it (`relay`). */
  announceLoading(sequenceNumber: number, relay = false): void {
    this.#send({ type: 'loading', sequenceNumbers: [sequenceNumber], relay });
  }

  announceHave(sequenceNumber: number): void {
    const uplinkClass = this.#options.uplinkClass?.();
    this.#send({ type: 'have', sequenceNumbers: [sequenceNumber], ...(uplinkClass ? { uplinkClass } : {}) });
  }

  announceLost(sequenceNumber: number): void {
    this.#send({ type: 'lost', sequenceNumbers: [sequenceNumber] });
  }

  /** Close the link for a fault of the peer's (reported with the peer's close). */
  fail(error: P2PError): void {
    this.#close(error);
  }

  destroy(): void {
    this.#close(null);
  }

  // The peer broke the protocol or a limit: disconnect, with the reason in the close event.
  #violation(reason: string): void {
    this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId}: ${reason}`));
  }

  #close(error: P2PError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#busy.destroy();
    this.downloads.close(error ?? new P2PError('peer-error', `peer ${this.remotePeerId} closed`));
    this.#uploads.destroy();
    const { peer } = this.#options;
    for (const event of ['data', 'close', 'end', 'error']) peer.removeAllListeners(event);
    // simple-peer emits 'error' asynchronously during teardown; keep one listener so it is not thrown.
    peer.on('error', () => undefined);
    peer.destroy();
    this.#options.onClosed(this, error);
  }

  #send(message: PeerMessage): void {
    this.#sendBytes(encodeControl(message));
  }

  #sendBytes(bytes: Uint8Array): void {
    if (this.#closed || !this.#options.peer.connected) return;
    try {
      this.#options.peer.send(bytes);
      this.#sentFrameBytes += bytes.byteLength;
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
      this.downloads.onData(parsed.frame);
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
        // Newest first (the sender's order): the peer is at that part of the stream, as after a
        // `have` (issue 15: a peer met after its last `have` did not count as nearby, so a viewer
        // of its region fetched from afar what it was about to relay).
        if (message.have.length > 0) this.#noteActivity(message.have[0] as number);
        // parseFrame gives every hello a region: a valid hint or null.
        this.region = message.region as string | null;
        this.uplinkClass = message.uplinkClass ?? 0;
        this.#introduced = true;
        this.#options.onAvailabilityChanged(this);
        return;
      case 'have':
        this.uplinkClass = message.uplinkClass ?? 0;
        this.#addAvailable(message.sequenceNumbers);
        for (const sn of message.sequenceNumbers) {
          this.#loading.delete(sn);
          this.#relaying.delete(sn);
        }
        if (message.sequenceNumbers.length > 0)
          this.#noteActivity(message.sequenceNumbers[message.sequenceNumbers.length - 1] as number);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'loading': {
        // A relay claim is a source to ask now; an HTTP fetch one to wait for.
        const claims = message.relay ? this.#relaying : this.#loading;
        // It fetches or relays segments: its class counts again (a false claim is struck when asked).
        this.#designationMisses = 0;
        for (const sn of message.sequenceNumbers) {
          if (claims.size >= MAX_LOADING_CLAIMS) claims.clear();
          claims.set(sn, this.#options.nowMs());
          this.#noteActivity(sn);
        }
        this.#options.onAvailabilityChanged(this);
        return;
      }
      case 'lost':
        for (const sn of message.sequenceNumbers) this.#have.delete(sn);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'request':
        this.#noteActivity(message.sequenceNumber);
        this.#uploads.request(message.requestId, message.sequenceNumber, message.neededInMs, message.fromByte);
        return;
      case 'cancel':
        this.#uploads.cancel(message.requestId);
        return;
      case 'absent':
        if (this.downloads.onAbsent(message.requestId, message.sequenceNumber, message.busy)) {
          // It still has the segment: not asked for a while, then asked again.
          this.#busy.refused();
          return;
        }
        this.#have.delete(message.sequenceNumber);
        this.#relaying.delete(message.sequenceNumber);
        return;
      case 'response':
        this.downloads.onResponse(message.requestId, message.sequenceNumber, message.byteLength);
        return;
    }
  }

  // Whether the peer has or is loading a segment that is not in `held`.

  // Add announced segments up to the per-peer bound; beyond it they are ignored (an honest peer
  // with a larger cache announces its newest first; a flood is cut off by the message rate limit).
  #addAvailable(sequenceNumbers: readonly number[]): void {
    for (const sn of sequenceNumbers) {
      if (this.#have.size >= MAX_REMOTE_AVAILABILITY_ENTRIES) return;
      this.#have.add(sn);
    }
  }

  // The peer announced or asked for this segment: it is at that part of the stream.
  #noteActivity(sequenceNumber: number): void {
    this.#latestSequenceNumber = sequenceNumber;
    this.#latestAtMs = this.#options.nowMs();
  }
}
