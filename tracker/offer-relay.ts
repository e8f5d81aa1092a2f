// Where an announce's offers go: to random other peers here first-hand, a share (and what no local
// peer took) to other nodes through the cluster port. In a cluster, a peer new on this node claims a
// peer id that a live peer of another node may hold, and only the announce script can tell (a Redis
// round trip later). Until it answered, the claimant's offers are held: delivered once the id is
// accepted, dropped (counted) when it is taken, so a copycat of a victim's id (ids travel in every
// relayed offer) gets no offer delivered under it. Held per claimant: at most the announce's offers
// to relay (numwant, capped by maxNumwant), for as long as one pending Redis command (bounded and
// shed by pending-commands.ts, timed out by the link). When Redis cannot be asked (down, or the
// command shed) the cluster accepts at once: offers go from memory, as every reply does then.
import type { ClaimOutcome, SwarmCluster } from './cluster/swarm-cluster.ts';
import type { TrackerCounters } from './core-counters.ts';
import { encodeRelayedOffer, type AnnounceRequest, type Offer } from './protocol.ts';
import { relayedOfferKey, type RelayedOffers } from './relayed-offers.ts';
import type { SwarmPeer, TrackerSwarm } from './swarm.ts';

/** What the relay reads and writes of the core's state. */
export interface OfferRelayParts {
  readonly cluster: SwarmCluster | null;
  readonly counters: TrackerCounters;
  /** Offers relayed to each local connection, for their answers. */
  readonly relayedOffers: RelayedOffers;
  /** Offers local peers sent to other nodes, by offerer's connection. */
  readonly offersSentAway: RelayedOffers;
  readonly random: () => number;
  readonly nowMs: () => number;
}

export class OfferRelay {
  readonly #parts: OfferRelayParts;
  /** Offer targets of the announce being handled, reused: no array per announce. */
  readonly #targets: SwarmPeer[] = [];
  /** Peers whose claim of their id the cluster store has not accepted yet. */
  readonly #unconfirmed = new WeakSet<SwarmPeer>();

  constructor(parts: OfferRelayParts) {
    this.#parts = parts;
  }

  /**
   * Whether `peer` claims an id the store has not accepted yet: it gets no offer meanwhile (from
   * here or another node), or a copycat of a victim's id could answer offers as the victim.
   */
  unconfirmed(peer: SwarmPeer): boolean {
    return this.#unconfirmed.has(peer);
  }

  /** `wanted` offers to random others: local peers first-hand, a share (or what no local peer took) to other nodes. */
  relay(request: AnnounceRequest, swarm: TrackerSwarm, peer: SwarmPeer, wanted: number, joined: boolean): void {
    const { infoHash, peerId } = request;
    const { cluster, random } = this.#parts;
    const nowMs = peer.lastAnnounceMs; // this announce's time
    swarm.promote(nowMs);
    // In a cluster, a share of the offers goes to peers on other nodes (none while the swarm is only here).
    const region = peer.region ?? null;
    const remote = cluster?.remoteShare(infoHash, swarm.othersFor(region, joined), wanted, random) ?? 0;
    const targets = swarm.randomOthers(wanted - remote, peer, random, this.#targets);
    if (cluster === null) {
      this.#deliver(request, peer, targets, nowMs);
      targets.length = 0;
      return;
    }
    if (joined) this.#unconfirmed.add(peer);
    const pending = this.#unconfirmed.has(peer);
    // Claimants not yet accepted (a cluster's only) are passed over: their offers go to other nodes,
    // below. While this peer's own claim is pending its offers wait for the store's answer, which comes
    // after its answers to every earlier claim (one ordered connection per swarm key): the targets
    // are judged then (#claimed), so a peer that joined a moment before is not passed over.
    let kept = 0;
    for (const target of targets) if (pending || !this.#unconfirmed.has(target)) targets[kept++] = target;
    targets.length = kept;
    // Offers no local peer took (too few here) go to other nodes too.
    const away = targets.length < wanted ? request.offers.slice(targets.length, wanted) : [];
    for (const offer of away)
      this.#parts.offersSentAway.record(peer.connection, relayedOfferKey(infoHash, peerId, offer.offerId), nowMs);
    if (!pending) {
      this.#deliver(request, peer, targets, nowMs);
      targets.length = 0;
      cluster.announced(infoHash, peerId, peer.seeder, away, region);
      return;
    }
    const held = targets.splice(0);
    cluster.announced(infoHash, peerId, peer.seeder, away, region, (outcome) =>
      this.#claimed(outcome, request, swarm, peer, held, away.length),
    );
  }

  /** A benched peer's announce: no offers, only its membership (a claim to confirm when it is new here). */
  withheld(infoHash: string, peer: SwarmPeer, joined: boolean): void {
    // A single tracker has no claim to confirm (the core refused a held id before this).
    if (joined && this.#parts.cluster !== null) this.#unconfirmed.add(peer);
    const confirm = (outcome: ClaimOutcome): void => {
      if (outcome === 'accepted') this.#unconfirmed.delete(peer);
    };
    const claimed = this.#unconfirmed.has(peer) ? confirm : undefined;
    this.#parts.cluster?.announced(infoHash, peer.peerId, peer.seeder, [], peer.region ?? null, claimed);
  }

  /** The store answered a held announce: deliver its offers to the targets still here, or drop them. */
  #claimed(
    outcome: ClaimOutcome,
    request: AnnounceRequest,
    swarm: TrackerSwarm,
    peer: SwarmPeer,
    held: readonly SwarmPeer[],
    awayCount: number,
  ): void {
    if (outcome === 'taken') {
      this.#parts.counters.offersDroppedIdTaken += held.length + awayCount;
      return;
    }
    this.#unconfirmed.delete(peer);
    // Gone meanwhile (closed, stopped, expired): nobody to connect to; so are targets that left.
    if (swarm.get(peer.peerId) !== peer) return;
    const present = held.filter((target) => swarm.get(target.peerId) === target && !this.#unconfirmed.has(target));
    this.#deliver(request, peer, present, this.#parts.nowMs());
  }

  #deliver(request: AnnounceRequest, peer: SwarmPeer, targets: readonly SwarmPeer[], nowMs: number): void {
    const { infoHash, peerId } = request;
    const { counters, relayedOffers } = this.#parts;
    for (let i = 0; i < targets.length; i++) {
      const offer = request.offers[i] as Offer;
      const target = targets[i] as SwarmPeer;
      if (peer.region != null && target.region === peer.region) counters.offersRelayedSameRegion += 1;
      relayedOffers.record(target.connection, relayedOfferKey(infoHash, peerId, offer.offerId), nowMs);
      target.connection.send(encodeRelayedOffer(infoHash, peerId, offer));
    }
    counters.offersRelayed += targets.length;
  }
}
