// The tracker's state machine: no sockets, no timers. The socket adapter feeds it frames and
// disconnects and calls sweep() on a timer; tests drive it with fake connections and a fake clock.
import type { SwarmGate } from './access.ts';
import type { ClusterDelivery, LocalPeer, SwarmCluster } from './cluster/swarm-cluster.ts';
import {
  countAnnounce,
  createCounters,
  topSwarms,
  type RejectReason,
  type TrackerCounters,
  type TrackerSnapshot,
  type TrackerStats,
} from './core-counters.ts';
import { ConnectionPeers } from './connection-peers.ts';
import { NEW_PEER_PROBATION_MS, type TrackerCoreOptions } from './core-options.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import { OfferRelay } from './offer-relay.ts';
import { SILENT_LOGGER, type Logger } from './log.ts';
import {
  encodeAnnounceReply,
  encodeFailure,
  encodeRelayedAnswer,
  encodeRelayedOffer,
  encodeScrapeReply,
  parseRequest,
  type AnnounceRequest,
  type AnswerRequest,
  type Offer,
  type SwarmCounts,
  type TrackerRequest,
} from './protocol.ts';
import { reannounceRestartsProbation } from './probation.ts';
import { RateBench } from './rate-bench.ts';
import { RelayedOffers, relayedOfferKey } from './relayed-offers.ts';
import { newSwarmPeer, TrackerSwarm, type SwarmPeer, type SwarmTotals, type TrackerConnection } from './swarm.ts';

export { NEW_PEER_PROBATION_MS, type TrackerCoreOptions } from './core-options.ts';
export type { RejectReason, SwarmSummary, TrackerCounters, TrackerSnapshot, TrackerStats } from './core-counters.ts';

/** Why an announce of a peer id another connection holds (on any node) is refused. */
const PEER_ID_TAKEN = 'peer_id is in use by another connection';

export class TrackerCore implements ClusterDelivery {
  readonly #options: TrackerCoreOptions;
  readonly #swarms = new Map<string, TrackerSwarm>();
  readonly #connectionPeers = new ConnectionPeers();
  readonly #expiry = new ExpiryQueue<SwarmPeer>();
  readonly #counters: TrackerCounters = createCounters();

  readonly #logger: Logger;
  /** Null when every swarm is open (pass no gate then: the announce path skips the check). */
  readonly #swarmGate: SwarmGate | null;
  readonly #cluster: SwarmCluster | null;
  readonly #relayedOffers = new RelayedOffers();
  /** Offers local peers sent to other nodes, by offerer's connection: answers from there are checked as local ones. */
  readonly #offersSentAway = new RelayedOffers();
  readonly #bench: RateBench;
  readonly #offerRelay: OfferRelay;
  readonly #probationMs: number;
  readonly #swarmTotals: SwarmTotals = { heldBack: 0 };

  constructor(options: TrackerCoreOptions) {
    this.#options = options;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#swarmGate = options.swarmGate ?? null;
    this.#cluster = options.cluster ?? null;
    this.#probationMs = options.newPeerProbationMs ?? NEW_PEER_PROBATION_MS;
    this.#bench = new RateBench(options.rateBenchMs);
    this.#offerRelay = new OfferRelay({
      cluster: this.#cluster,
      counters: this.#counters,
      relayedOffers: this.#relayedOffers,
      offersSentAway: this.#offersSentAway,
      random: options.random,
      nowMs: options.nowMs,
    });
  }

  /** Handle one untrusted text frame from a connection. Never throws on bad input. */
  handle(text: string, connection: TrackerConnection): void {
    const parsed = parseRequest(text, this.#options);
    if (!parsed.ok) {
      this.#reject(connection, parsed.error, parsed.error.code);
      return;
    }
    this.handleRequest(parsed.request, connection);
  }

  /** Handle a request that is already parsed (e.g. relayed by another tracker node). */
  handleRequest(request: TrackerRequest, connection: TrackerConnection): void {
    switch (request.type) {
      case 'announce':
        this.#announce(request, connection);
        return;
      case 'answer':
        this.#answer(request, connection);
        return;
      case 'scrape':
        this.#scrape(request.infoHashes, connection);
        return;
    }
  }

  /** The connection is gone: every peer it held leaves its swarm. Idempotent. */
  disconnect(connection: TrackerConnection): void {
    this.#relayedOffers.forget(connection);
    this.#offersSentAway.forget(connection);
    this.#bench.forget(connection);
    for (const peer of this.#connectionPeers.of(connection)) this.#leave(peer);
  }

  deliverOffer(infoHash: string, toPeerId: string, fromPeerId: string, offer: Offer): boolean {
    const target = this.#swarms.get(infoHash)?.get(toPeerId);
    if (target === undefined || this.#offerRelay.unconfirmed(target)) return false;
    // The answer to it is relayed back like one to a local offer: once, within the offer's life.
    this.#relayedOffers.record(
      target.connection,
      relayedOfferKey(infoHash, fromPeerId, offer.offerId),
      this.#options.nowMs(),
    );
    target.connection.send(encodeRelayedOffer(infoHash, fromPeerId, offer));
    this.#counters.offersRelayed += 1;
    return true;
  }

  deliverAnswer(request: AnswerRequest): boolean {
    const target = this.#swarms.get(request.infoHash)?.get(request.toPeerId);
    if (target === undefined) return false;
    // Only for an offer this peer sent away, once: not one of an earlier holder of its id.
    const key = relayedOfferKey(request.infoHash, request.toPeerId, request.offerId);
    if (!this.#offerTaken(this.#offersSentAway, target.connection, key, target.joinedMs)) return false;
    target.connection.send(encodeRelayedAnswer(request));
    this.#counters.answersRelayed += 1;
    return true;
  }

  refuseTaken(infoHash: string, peerId: string): void {
    const peer = this.#swarms.get(infoHash)?.get(peerId);
    if (peer === undefined) return;
    this.#leave(peer);
    this.#reject(peer.connection, { message: PEER_ID_TAKEN, action: 'announce', infoHash }, 'peer-id-taken');
  }

  *localPeers(): Iterable<LocalPeer> {
    for (const swarm of this.#swarms.values()) yield* swarm.members();
  }

  /** Drop peers that have not announced for `peerTimeoutMs` (at most `maxPeers`, oldest first); returns how many. */
  sweep(maxPeers = Infinity): number {
    const expired = this.#expiry.expired(this.#options.nowMs() - this.#options.peerTimeoutMs, maxPeers);
    for (const peer of expired) this.#leave(peer);
    this.#counters.expiredPeers += expired.length;
    return expired.length;
  }

  /** Counters and sizes in O(1): no per-swarm work. */
  snapshot(): TrackerSnapshot {
    return {
      ...this.#counters,
      rejectedByReason: { ...this.#counters.rejectedByReason },
      swarms: this.#swarms.size,
      peers: this.#expiry.size,
      connections: this.#connectionPeers.size,
      peersHeldBack: this.#swarmTotals.heldBack,
      connectionsBenched: this.#bench.size,
      benchings: this.#bench.benchings,
      relayedOffersEvicted: this.#relayedOffers.evicted + this.#offersSentAway.evicted,
    };
  }

  stats(): TrackerStats {
    return { ...this.snapshot(), topSwarms: topSwarms(this.#swarms.values()) };
  }

  /** An announce, in steps: budget, stop, admission, join or refresh, reply, offers. */
  #announce(request: AnnounceRequest, connection: TrackerConnection): void {
    const { infoHash, peerId, event } = request;
    if (!this.#takeBudget(connection, 'announce', infoHash)) return;
    const existing = this.#swarms.get(infoHash)?.get(peerId);
    if (event === 'stopped') {
      this.#stop(request, existing, connection);
      return;
    }
    if (!this.#admit(request, existing, connection)) return;
    countAnnounce(this.#counters, event);
    const nowMs = this.#options.nowMs();
    const bench = this.#bench.status(connection, nowMs);
    if (bench === 'released') this.#setBenched(connection, false);
    const swarm = this.#swarms.get(infoHash) ?? this.#createSwarm(infoHash);
    const peer = this.#joinOrRefresh(request, swarm, existing, connection, bench === 'benched', nowMs);
    connection.send(encodeAnnounceReply(infoHash, this.#options.announceIntervalSeconds, this.#counts(infoHash)));
    const wanted = Math.min(request.offers.length, request.numwant ?? request.offers.length, this.#options.maxNumwant);
    if (bench === 'benched') {
      this.#counters.offersWithheld += wanted;
      this.#offerRelay.withheld(infoHash, peer, existing === undefined);
      return;
    }
    this.#offerRelay.relay(request, swarm, peer, wanted, existing === undefined);
  }

  /** Announces and scrapes spend the connection's rate budget; over it, the connection is benched and refused. */
  #takeBudget(connection: TrackerConnection, action: 'announce' | 'scrape', infoHash: string | null): boolean {
    if (this.#options.rateLimiter?.take(connection) !== false) return true;
    if (this.#bench.bench(connection, this.#options.nowMs())) this.#setBenched(connection, true);
    this.#reject(connection, { message: 'too many announces: slow down', action, infoHash }, 'rate-limited');
    return false;
  }

  #stop(request: AnnounceRequest, existing: SwarmPeer | undefined, connection: TrackerConnection): void {
    const { infoHash } = request;
    // Only the connection holding a peer id may stop it; the reply's counts go only where a scrape's would.
    if (existing !== undefined && existing.connection === connection) this.#leave(existing);
    else if (this.#gateRefuses(infoHash, connection, 'announce')) return;
    countAnnounce(this.#counters, request.event);
    connection.send(encodeAnnounceReply(infoHash, this.#options.announceIntervalSeconds, this.#counts(infoHash)));
  }

  /** Whether this connection may announce this peer id here; refuses (and says why) otherwise. */
  #admit(request: AnnounceRequest, existing: SwarmPeer | undefined, connection: TrackerConnection): boolean {
    const { infoHash } = request;
    // A peer id belongs to the connection that announced it first, for as long as that connection
    // holds it (until it closes, sends "stopped", or the peer expires): moving it to the newcomer
    // would hand the victim's offers to whoever copied its id from a relayed offer.
    if (existing !== undefined) {
      if (existing.connection === connection) return true;
      this.#reject(connection, { message: PEER_ID_TAKEN, action: 'announce', infoHash }, 'peer-id-taken');
      return false;
    }
    const maxPeers = this.#options.maxPeersPerConnection;
    if (this.#connectionPeers.count(connection) >= maxPeers) {
      const message = `at most ${maxPeers} peers per connection`;
      this.#reject(connection, { message, action: 'announce', infoHash }, 'peers-per-connection');
      return false;
    }
    // Checked when a peer joins on this connection, not on every re-announce (see SwarmAccess).
    return !this.#gateRefuses(infoHash, connection, 'announce');
  }

  /** Whether the swarm gate refuses this connection the swarm (then the refusal is sent). */
  #gateRefuses(infoHash: string, connection: TrackerConnection, action: 'announce' | 'scrape'): boolean {
    const refusal = this.#swarmGate?.admit(infoHash, connection) ?? null;
    if (refusal !== null) this.#reject(connection, { message: refusal.message, action, infoHash }, refusal.reason);
    return refusal !== null;
  }

  /** A new peer joins the swarm (on probation); a known one is refreshed (a restless newcomer's probation restarts). */
  #joinOrRefresh(
    request: AnnounceRequest,
    swarm: TrackerSwarm,
    existing: SwarmPeer | undefined,
    connection: TrackerConnection,
    benched: boolean,
    nowMs: number,
  ): SwarmPeer {
    const { event } = request;
    let peer = existing;
    if (peer === undefined) {
      peer = newSwarmPeer(request.infoHash, request.peerId, connection, nowMs, nowMs + this.#probationMs, benched);
      swarm.add(peer, nowMs);
      this.#connectionPeers.hold(connection, peer);
    } else if (reannounceRestartsProbation(peer, event, nowMs)) {
      // Announcing again and again within a second while still new is what floods do, not browsers.
      swarm.restartProbation(peer, nowMs + this.#probationMs, nowMs);
      this.#counters.probationRestarts += 1;
    }
    peer.lastAnnounceMs = nowMs;
    this.#expiry.touch(peer, nowMs);
    if (event === 'completed' && !peer.seeder) swarm.downloaded += 1;
    // Like bittorrent-tracker: `completed` or left=0 makes a seeder; no `left` keeps the state.
    swarm.setSeeder(peer, event === 'completed' || (request.left === null ? peer.seeder : request.left === 0));
    return peer;
  }

  /** Bench or release every peer a connection holds. */
  #setBenched(connection: TrackerConnection, benched: boolean): void {
    const nowMs = this.#options.nowMs();
    for (const peer of this.#connectionPeers.of(connection))
      this.#swarms.get(peer.infoHash)?.setBenched(peer, benched, nowMs);
  }

  #answer(request: AnswerRequest, connection: TrackerConnection): void {
    this.#counters.answers += 1;
    const swarm = this.#swarms.get(request.infoHash);
    // Only a member answers, from the connection that holds its peer id, and only to a member.
    const sender = swarm?.get(request.peerId);
    const target = swarm?.get(request.toPeerId);
    // In a cluster the target may be on another node (the offer came from there).
    if (
      sender === undefined ||
      sender.connection !== connection ||
      target === sender ||
      (target === undefined && this.#cluster === null)
    ) {
      this.#counters.answersUndeliverable += 1;
      return;
    }
    // Only for an offer of `target` this connection was sent, and only once: not one of an
    // earlier holder of its peer id (which travels in every offer it relayed).
    const key = relayedOfferKey(request.infoHash, request.toPeerId, request.offerId);
    if (!this.#offerTaken(this.#relayedOffers, connection, key, target?.joinedMs ?? -Infinity)) return;
    if (target === undefined) {
      if (this.#cluster?.relayAnswer(request) === true) this.#counters.answersRelayed += 1;
      else this.#counters.answersUndeliverable += 1;
      return;
    }
    target.connection.send(encodeRelayedAnswer(request));
    this.#counters.answersRelayed += 1;
  }

  /** Whether an answer may go on: its offer is in `offers` for `connection` (then consumed); else counted why not. */
  #offerTaken(offers: RelayedOffers, connection: TrackerConnection, key: string, offererJoinedMs: number): boolean {
    const unrelayed = offers.take(connection, key, this.#options.nowMs(), offererJoinedMs);
    if (unrelayed === 'expired') this.#counters.answersExpired += 1;
    else if (unrelayed !== null) this.#counters.answersUnrelayed += 1;
    return unrelayed === null;
  }

  #scrape(infoHashes: readonly string[], connection: TrackerConnection): void {
    if (!this.#takeBudget(connection, 'scrape', null)) return;
    // Counts of a swarm tell who watches what: only for swarms this connection may join.
    if (this.#swarmGate !== null && infoHashes.some((hash) => this.#gateRefuses(hash, connection, 'scrape'))) return;
    this.#counters.scrapes += 1;
    const files = new Map<string, SwarmCounts>();
    for (const infoHash of infoHashes) files.set(infoHash, this.#counts(infoHash));
    const reply = (): void => connection.send(encodeScrapeReply(files, this.#options.announceIntervalSeconds));
    // In a cluster, swarms with no peer here are counted from the cluster store before the reply.
    if (this.#cluster === null) reply();
    else this.#cluster.scrape(files, reply);
  }

  #reject(connection: TrackerConnection, error: Parameters<typeof encodeFailure>[0], reason: RejectReason): void {
    this.#counters.rejectedMessages += 1;
    const byReason = this.#counters.rejectedByReason;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    if (this.#logger.enabled('debug'))
      this.#logger.debug('message rejected', {
        reason,
        failure: error.message,
        connection: connection.id,
        address: connection.address,
      });
    connection.send(encodeFailure(error));
  }

  #counts(infoHash: string): SwarmCounts {
    const swarm = this.#swarms.get(infoHash);
    const local = {
      complete: swarm?.seeders ?? 0,
      incomplete: swarm?.leechers ?? 0,
      downloaded: swarm?.downloaded ?? 0,
    };
    return this.#cluster === null ? local : this.#cluster.counts(infoHash, local);
  }

  #createSwarm(infoHash: string): TrackerSwarm {
    const swarm = new TrackerSwarm(infoHash, this.#swarmTotals);
    this.#swarms.set(infoHash, swarm);
    return swarm;
  }

  /** The one way out of a swarm: stopped, disconnect and expiry all end here. */
  #leave(peer: SwarmPeer): void {
    this.#connectionPeers.release(peer);
    this.#expiry.delete(peer);
    const swarm = this.#swarms.get(peer.infoHash);
    if (swarm === undefined) return;
    swarm.remove(peer);
    // Empty swarms go at once (bittorrent-tracker keeps them until a slow cleanup).
    if (swarm.size === 0) this.#swarms.delete(peer.infoHash);
    this.#cluster?.left(peer.infoHash, peer.peerId, swarm.size === 0);
  }
}
