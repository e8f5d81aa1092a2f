import { P2PError } from '../api/errors.ts';
import { choosePeerToReplace } from '../policy/peer-choice.ts';
import { PeerLink } from '../peer/peer-link.ts';
import { TokenBucket } from '../peer/token-bucket.ts';
import { wireIdToHex } from '../shared/swarm-id.ts';
import type { PeerSwarmInfo } from '../api/events.ts';
import type { StrikeKind } from '../policy/peer-strikes.ts';
import type { PeerView } from '../policy/source-decision.ts';
import type { SwarmOptions } from './swarm-options.ts';
import type { SignalledPeer, TrackerClient, TrackerUpdate } from './tracker-client.ts';

export type { SwarmOptions } from './swarm-options.ts';

/**
 * With others at the tracker but fewer of them connected or connecting than it could have (up to
 * `earlyAnnouncePeers`), the swarm announces again after this long (doubling per try up to the
 * maximum, back to the start once a peer connects): bittorrent-tracker's client would wait the
 * tracker's whole interval (minutes) after a failed connection, leaving this viewer on HTTP alone,
 * in a small swarm without the one peer that holds what it needs, or in a large one with the few
 * peers its first offers found.
 */
export const EARLY_REANNOUNCE_MS = 15_000;
const EARLY_REANNOUNCE_MAX_MS = 60_000;
/**
 * Peers below which a swarm asks the tracker again early (half its cap); beyond it the tracker's
 * interval does. A joiner's first offers reach a few peers (a fifth of pairs cannot connect), and
 * later joiners' offers bring more only to early ones: with 3 (before), half the viewers of a
 * flash crowd had 3-6 peers for minutes, and a segment's first copies reached fewer of them in
 * time (simulator, 200 viewers: origin share live 29.2% → 26.8%, VOD 16.4% → 15.1%, seeds 1-3; 1,000
 * live 27.7% → 24.9%; tracker messages per viewer-minute 12.7 → 14.5; 8 peers: the same share, more
 * messages; a cap of 20: worse).
 */
export function earlyAnnouncePeers(maxPeers: number): number {
  return Math.ceil(maxPeers / 2);
}
// For this long after joining a swarm, segments not needed soon wait for the first peers.
const WARMUP_MS = 3000;
const CONNECT_TIMEOUT_MS = 20_000;
// A round of offers (offersPerAnnounce to each tracker) refills over this long: a tracker answering
// with a 1-ms announce interval made offers, RTCPeerConnections, each ms (the interval itself is
// bounded too: bittorrent-tracker-client.ts).
const OFFER_ROUND_MS = 5_000;
// Remote offers are accepted at most maxPeers per this long (a burst of maxPeers): a tracker relaying
// the same peer's offer again and again (each replacing the last attempt) made a connection each.
const INCOMING_OFFERS_ROUND_MS = 5_000;

/** One swarm (one rendition of one stream): its tracker client and its connected peers. */
export class Swarm {
  readonly swarmId: string;
  readonly #createdAtMs: number;
  readonly #options: SwarmOptions;
  readonly #client: TrackerClient;
  readonly #links = new Map<string, PeerLink>();
  // Who offered each kept connection (remote peer id -> offerer's peer id), for the duplicate rule.
  readonly #offerers = new Map<string, string>();
  // Signalled peers not connected yet, each with what ends its attempt.
  readonly #connecting = new Map<SignalledPeer, () => void>();
  // Other viewers by each tracker's latest answer, by tracker URL.
  readonly #othersByTracker = new Map<string, number>();
  #earlyAnnounceTimer: ReturnType<typeof setTimeout> | null = null;
  #earlyAnnounceWaitMs = EARLY_REANNOUNCE_MS;
  #offersWithheld = false;
  #destroyed = false;
  readonly #offerBudget: TokenBucket;
  readonly #incomingOfferBudget: TokenBucket;

  constructor(options: SwarmOptions) {
    this.#options = options;
    this.swarmId = options.swarmId;
    this.#createdAtMs = options.nowMs();
    const round = options.offersPerAnnounce * options.trackerUrls.length;
    this.#offerBudget = new TokenBucket((round * 1000) / OFFER_ROUND_MS, round, this.#createdAtMs);
    this.#incomingOfferBudget = new TokenBucket(
      (options.maxPeers * 1000) / INCOMING_OFFERS_ROUND_MS,
      options.maxPeers,
      this.#createdAtMs,
    );
    this.#client = options.createTrackerClient({
      infoHashHex: wireIdToHex(options.swarmId),
      peerIdHex: wireIdToHex(options.peerId),
      announceUrls: options.trackerUrls.map((url) => withRegionHint(url, options.region ?? null)),
      rtcConfig: { iceServers: [...options.iceServers] },
      acceptsOffer: (remotePeerId) => this.#acceptsOffer(remotePeerId),
      getAnnounceParameters: () => {
        const { uploaded, downloaded } = options.transferredBytes();
        const free = options.maxPeers - this.#links.size - this.#connecting.size;
        // Every offer is an RTCPeerConnection until answered or timed out: at the cap, offer one
        // only when a useless peer could make room for it (bittorrent-tracker's WebSocket client
        // sends an announce with no offers when numwant is 0).
        let wanted = free > 0 ? free : this.#replaceablePeer() === null ? 0 : 1;
        if (wanted > 0 && options.offersHeld?.() === true) {
          this.#offersWithheld = true;
          wanted = 0;
        }
        const numwant = Math.min(options.offersPerAnnounce, wanted);
        return {
          numwant: this.#offerBudget.take(numwant, options.nowMs()) ? numwant : 0,
          uploaded,
          downloaded,
          left: 1,
        };
      },
    });
    // A client that throws while starting (a broken runtime) is closed before the error goes on
    // to the engine, which then stays on HTTP.
    try {
      this.#client.on('peer', (peer) => this.#onSignalledPeer(peer));
      this.#client.on('update', (update) => this.#onTrackerUpdate(update));
      for (const kind of ['warning', 'error'] as const)
        this.#client.on(kind, (error) =>
          options.onError(new P2PError(`tracker-${kind}`, `tracker: ${error.message}`, { cause: error })),
        );
      this.#client.start();
    } catch (error) {
      try {
        this.#client.destroy();
      } catch {
        // Closing what failed to start may fail too; the first error is the one reported.
      }
      throw error;
    }
  }

  get peerCount(): number {
    return this.#links.size;
  }

  /**
   * Other viewers in this swarm by the trackers' last answers (the most any tracker counted);
   * null before any tracker answered. 0 means nobody else is watching: nothing to wait for.
   */
  get othersAtTracker(): number | null {
    if (this.#othersByTracker.size === 0) return null;
    return Math.max(...this.#othersByTracker.values());
  }

  /** Joined moments ago, and the tracker has not said that nobody else is here. */
  get warmingUp(): boolean {
    return this.#options.nowMs() - this.#createdAtMs < WARMUP_MS && this.othersAtTracker !== 0;
  }

  /** Announce again with the offers held back (`offersHeld`), if an announce went out without them. */
  releaseOffers(): void {
    if (!this.#offersWithheld || this.#destroyed) return;
    this.#offersWithheld = false;
    this.#client.reannounce?.();
  }

  /** What every connected peer that has told its availability, and is not in a strike back-off, offers for this segment. */
  views(sequenceNumber: number): PeerView[] {
    // A peer whose `hello` has not arrived yet is not a peer without segments: leave it out
    // until it speaks (its hello triggers a new decision).
    const views: PeerView[] = [];
    for (const link of this.#links.values())
      if (link.introduced && !this.#options.peerRecords.isIgnored(link.remotePeerId))
        views.push(link.view(sequenceNumber));
    return views;
  }

  /**
   * A peer broke a promise (`kind`): it counts in the session's records, kept across reconnects;
   * enough strikes and it is ignored for downloads a while, then dropped and banned.
   */
  strike(peerId: string, kind: StrikeKind): void {
    const { strikes, ban } = this.#options.peerRecords.strike(peerId);
    if (ban)
      this.#options.onStruckOut(
        this.swarmId,
        peerId,
        new P2PError('peer-unreliable', `peer ${peerId} broke ${strikes} promises (last: ${kind}); banned`),
      );
    // Loads waiting on it decide again (without it, if it is now ignored).
    else this.#options.onAvailabilityChanged(this.swarmId);
  }

  /**
   * A load waited for peers and goes to HTTP: each peer that said it was fetching the segment broke
   * that promise (a strike), and the designated seeder that did not start on it missed its turn.
   */
  waitedInVain(views: readonly PeerView[], designated: PeerView | undefined): void {
    for (const view of views) if (view.loading) this.strike(view.peerId, 'unkept-claim');
    if (designated && !designated.has && !designated.busy && !designated.loading && !designated.relaying)
      this.#links.get(designated.peerId)?.missedDesignation();
  }

  /** Each connected peer's id and its connection in this swarm. */
  peerInfos(): (readonly [peerId: string, info: PeerSwarmInfo])[] {
    return [...this.#links.values()].map((link) => [link.remotePeerId, link.info(this.swarmId)] as const);
  }

  link(peerId: string): PeerLink | undefined {
    return this.#links.get(peerId);
  }

  /** Ban a peer for the session and close its connection; it is refused if it comes back. */
  ban(peerId: string, error: P2PError): void {
    this.#options.peerRecords.ban(peerId, error.message);
    this.#links.get(peerId)?.fail(error);
  }

  /** Tell every peer we are fetching a segment (`relay`: from a peer, relaying it as it arrives). */
  announceLoading(sequenceNumber: number, relay = false): void {
    for (const link of this.#links.values()) link.announceLoading(sequenceNumber, relay);
  }

  announceHave(sequenceNumber: number): void {
    for (const link of this.#links.values()) link.announceHave(sequenceNumber);
  }

  announceLost(sequenceNumber: number): void {
    for (const link of this.#links.values()) link.announceLost(sequenceNumber);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const peer of this.#connecting.keys()) destroyQuietly(peer);
    this.#connecting.clear();
    for (const link of [...this.#links.values()]) link.destroy();
    this.#links.clear();
    if (this.#earlyAnnounceTimer !== null) clearTimeout(this.#earlyAnnounceTimer);
    this.#client.destroy();
  }

  // Called when this swarm may have too few peers (a tracker answer, a connection made, failed or
  // closed): one timer; when it fires and fewer are connected or connecting than the tracker counts
  // (up to earlyAnnouncePeers), announce again for new offers.
  #whenShortOfPeers(): void {
    if (this.#destroyed || this.#earlyAnnounceTimer !== null || this.#links.size >= this.#peersWanted()) return;
    this.#earlyAnnounceTimer = setTimeout(() => {
      this.#earlyAnnounceTimer = null;
      if (this.#destroyed || this.#links.size + this.#connecting.size >= this.#peersWanted()) return;
      this.#earlyAnnounceWaitMs = Math.min(2 * this.#earlyAnnounceWaitMs, EARLY_REANNOUNCE_MAX_MS);
      this.#client.reannounce?.();
    }, this.#earlyAnnounceWaitMs);
  }

  #peersWanted(): number {
    return Math.min(this.othersAtTracker ?? 0, earlyAnnouncePeers(this.#options.maxPeers));
  }

  // A connected peer that stayed useless (see `isUseless`), if any.
  #replaceablePeer(): PeerLink | null {
    const held = new Set(this.#options.heldSequenceNumbers());
    const peerId = choosePeerToReplace([...this.#links.values()].map((link) => link.usefulness(held)));
    return peerId === null ? null : (this.#links.get(peerId) ?? null);
  }

  #onTrackerUpdate(update: TrackerUpdate): void {
    const { complete, incomplete } = update;
    if (!Number.isFinite(complete) || !Number.isFinite(incomplete)) return;
    this.#othersByTracker.set(update.announce ?? '', Math.max(0, complete + incomplete - 1));
    // Someone may be waiting for peers that, by this answer, do not exist.
    this.#options.onAvailabilityChanged(this.swarmId);
    this.#whenShortOfPeers();
  }

  #onSignalledPeer(peer: SignalledPeer): void {
    // The tracker tells the remote id before the connection exists: refuse a banned one at once.
    if (this.#destroyed || this.#options.peerRecords.refuse(hexToText(peer.id ?? ''))) {
      destroyQuietly(peer);
      return;
    }
    // The same peer offers (or answers) again before its last attempt connected: the new attempt
    // replaces it. Else offers that never connect (one peer's SDP, sent again and again) held a slot
    // each for the connect timeout, and at the cap everyone else was refused.
    for (const [other, end] of this.#connecting) if (other.id === peer.id && other.initiator === peer.initiator) end();
    if (this.#links.size + this.#connecting.size >= this.#options.maxPeers) {
      // At the cap a new peer on offer replaces one that stayed useless; otherwise it is refused.
      const replaced = this.#replaceablePeer();
      if (replaced === null) {
        destroyQuietly(peer);
        return;
      }
      replaced.destroy();
    }
    const settle = (): void => {
      clearTimeout(timer);
      this.#connecting.delete(peer);
    };
    // An error or close before the connection came, or the connect timeout: short of peers, perhaps.
    const failed = (): void => {
      const connecting = this.#connecting.has(peer);
      settle();
      destroyQuietly(peer);
      if (connecting) this.#whenShortOfPeers();
    };
    const timer = setTimeout(failed, this.#options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    this.#connecting.set(peer, failed);
    peer.once('error', failed);
    peer.once('close', failed);
    peer.once('connect', () => {
      settle();
      this.#onConnected(peer);
    });
  }

  // Whether a remote offer may cost a connection: not from a banned peer, within the budget of remote
  // offers, and with a slot for it (a free one, one its own earlier attempt holds, or a useless peer
  // to replace), as #onSignalledPeer would decide for the peer made from it.
  #acceptsOffer(remotePeerId: string): boolean {
    if (this.#destroyed || this.#options.peerRecords.refuse(remotePeerId)) return false;
    // Peers carry the hex id (#onSignalledPeer compares those too).
    const idHex = wireIdToHex(remotePeerId);
    let slot = this.#links.size + this.#connecting.size < this.#options.maxPeers;
    for (const other of this.#connecting.keys()) slot ||= other.initiator !== true && other.id === idHex;
    return (slot || this.#replaceablePeer() !== null) && this.#incomingOfferBudget.take(1, this.#options.nowMs());
  }

  #onConnected(peer: SignalledPeer): void {
    const remotePeerId = hexToText(peer.id ?? '');
    const banned = this.#options.peerRecords.refuse(remotePeerId);
    if (this.#destroyed || remotePeerId === '' || banned) {
      destroyQuietly(peer);
      return;
    }
    // Both viewers may offer to each other at once; one connection per pair is enough. Both sides
    // keep the one offered by the lower peer id: keeping whichever connected first here could keep
    // a different one on each side, and each then closes the other's, leaving the pair unlinked.
    const offerer = peer.initiator === true ? this.#options.peerId : remotePeerId;
    const existing = this.#links.get(remotePeerId);
    if (existing !== undefined) {
      const preferred = this.#options.peerId < remotePeerId ? this.#options.peerId : remotePeerId;
      if (offerer !== preferred || this.#offerers.get(remotePeerId) === preferred) {
        destroyQuietly(peer);
        return;
      }
      existing.destroy();
    }
    const link = new PeerLink({
      remotePeerId,
      peer,
      initialHave: this.#options.heldSequenceNumbers(),
      region: this.#options.region,
      getSegment: this.#options.getSegment,
      getRelay: this.#options.getRelay,
      onUploaded: this.#options.onUploaded,
      nowMs: this.#options.nowMs,
      uploadPacer: this.#options.uploadPacer ?? undefined,
      uplink: this.#options.uplink ?? undefined,
      uplinkClass: this.#options.uplinkClass,
      segmentSizeBoundBytes: this.#options.segmentSizeBoundBytes,
      receiveBudget: this.#options.receiveBudget,
      onAvailabilityChanged: () => this.#options.onAvailabilityChanged(this.swarmId),
      onStrike: (struck, kind) => this.strike(struck.remotePeerId, kind),
      onClosed: (closed, error) => {
        if (this.#links.get(closed.remotePeerId) === closed) {
          this.#links.delete(closed.remotePeerId);
          this.#offerers.delete(closed.remotePeerId);
          this.#whenShortOfPeers();
        }
        this.#options.onPeerClosed(this.swarmId, closed.remotePeerId, error);
      },
    });
    this.#links.set(remotePeerId, link);
    this.#offerers.set(remotePeerId, offerer);
    // A peer came: the next early announce starts from the first wait again (if still short of peers).
    if (this.#earlyAnnounceTimer !== null) clearTimeout(this.#earlyAnnounceTimer);
    this.#earlyAnnounceTimer = null;
    this.#earlyAnnounceWaitMs = EARLY_REANNOUNCE_MS;
    this.#whenShortOfPeers();
    this.#options.onPeerConnected(this.swarmId, remotePeerId);
  }
}

function destroyQuietly(peer: SignalledPeer): void {
  peer.removeAllListeners('error');
  peer.on('error', () => undefined);
  if (!peer.destroyed) peer.destroy();
}

function hexToText(hex: string): string {
  let out = '';
  for (let i = 0; i + 1 < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/**
 * The tracker reads the region hint from its URL (bittorrent-tracker's client cannot add announce
 * fields): `ws://t/?token=x` → `ws://t/?region=r&token=x`, `ws://t` → `ws://t?region=r&`.
 */
function withRegionHint(url: string, region: string | null): string {
  return region === null ? url : url.replace(/\?|$/, `?region=${region}&`);
}
