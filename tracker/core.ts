// The tracker's state machine: no sockets, no timers. The socket adapter feeds it frames and
// disconnects; tests drive it with fake connections and a fake clock.
import { encodeFailure, parseRequest, type TrackerRequest } from './protocol.ts';
import { TrackerSwarm, type TrackerConnection } from './swarm.ts';

export interface TrackerCoreOptions {
  readonly announceIntervalSeconds: number;
  readonly peerTimeoutMs: number;
  readonly maxOffersPerAnnounce: number;
  readonly nowMs: () => number;
  readonly random: () => number;
}

export interface TrackerCounters {
  announces: number;
  answers: number;
  scrapes: number;
  offersRelayed: number;
  answersRelayed: number;
  answersUndeliverable: number;
  rejectedMessages: number;
  expiredPeers: number;
}

export interface TrackerStats extends Readonly<TrackerCounters> {
  readonly swarms: number;
  readonly peers: number;
  readonly connections: number;
  readonly topSwarms: readonly { readonly infoHash: string; readonly peers: number; readonly seeders: number }[];
}

const TOP_SWARMS = 10;

export class TrackerCore {
  readonly #options: TrackerCoreOptions;
  readonly #swarms = new Map<string, TrackerSwarm>();
  /** For each connection, the swarms it joined and its peer id in each. */
  readonly #memberships = new Map<TrackerConnection, Map<string, string>>();
  #peers = 0;
  readonly #counters: TrackerCounters = {
    announces: 0,
    answers: 0,
    scrapes: 0,
    offersRelayed: 0,
    answersRelayed: 0,
    answersUndeliverable: 0,
    rejectedMessages: 0,
    expiredPeers: 0,
  };

  constructor(options: TrackerCoreOptions) {
    this.#options = options;
  }

  /** Handle one untrusted text frame from a connection. */
  handle(text: string, connection: TrackerConnection): void {
    const parsed = parseRequest(text, this.#options.maxOffersPerAnnounce);
    if (!parsed.ok) {
      this.#counters.rejectedMessages += 1;
      connection.send(encodeFailure(parsed.reason, parsed.action, parsed.infoHash));
      return;
    }
    this.handleRequest(parsed.request, connection);
  }

  handleRequest(request: TrackerRequest, connection: TrackerConnection): void {
    switch (request.action) {
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

  /** The connection is gone: it leaves every swarm it joined. */
  disconnect(connection: TrackerConnection): void {
    const joined = this.#memberships.get(connection);
    if (joined === undefined) return;
    this.#memberships.delete(connection);
    for (const [infoHash, peerId] of joined) this.#leave(infoHash, peerId, connection);
  }

  /** Drop peers that stopped announcing; returns how many left. */
  sweep(): number {
    const beforeMs = this.#options.nowMs() - this.#options.peerTimeoutMs;
    let expired = 0;
    for (const [infoHash, swarm] of [...this.#swarms]) {
      for (const peer of swarm.stale(beforeMs)) {
        this.#forget(peer.connection, infoHash);
        this.#leave(infoHash, peer.peerId, peer.connection);
        expired += 1;
      }
    }
    this.#counters.expiredPeers += expired;
    return expired;
  }

  stats(): TrackerStats {
    const top = [...this.#swarms]
      .sort(([, a], [, b]) => b.size - a.size)
      .slice(0, TOP_SWARMS)
      .map(([infoHash, swarm]) => ({ infoHash, peers: swarm.size, seeders: swarm.seeders }));
    return { ...this.#counters, swarms: this.#swarms.size, peers: this.#peers, connections: this.#memberships.size, topSwarms: top };
  }

  #announce(request: Extract<TrackerRequest, { action: 'announce' }>, connection: TrackerConnection): void {
    this.#counters.announces += 1;
    const { infoHash, peerId } = request;
    if (request.event === 'stopped') {
      this.#forget(connection, infoHash);
      this.#leave(infoHash, peerId, connection);
      return;
    }
    let swarm = this.#swarms.get(infoHash);
    if (swarm === undefined) {
      swarm = new TrackerSwarm();
      this.#swarms.set(infoHash, swarm);
    }
    const sizeBefore = swarm.size;
    const previous = swarm.upsert(peerId, connection, this.#options.nowMs(), request.left === 0 || request.event === 'completed');
    if (swarm.size > sizeBefore) this.#peers += 1;
    if (previous !== null) this.#forget(previous, infoHash);
    let joined = this.#memberships.get(connection);
    if (joined === undefined) {
      joined = new Map();
      this.#memberships.set(connection, joined);
    }
    joined.set(infoHash, peerId);
    connection.send(
      JSON.stringify({
        action: 'announce',
        interval: this.#options.announceIntervalSeconds,
        info_hash: infoHash,
        complete: swarm.seeders,
        incomplete: swarm.leechers,
      }),
    );
    const wanted = Math.min(request.offers.length, request.numwant > 0 ? request.numwant : request.offers.length);
    const targets = swarm.randomOthers(wanted, peerId, this.#options.random);
    targets.forEach((target, i) => {
      const { offerId, offer } = request.offers[i] as (typeof request.offers)[number];
      target.connection.send(JSON.stringify({ action: 'announce', offer, offer_id: offerId, peer_id: peerId, info_hash: infoHash }));
    });
    this.#counters.offersRelayed += targets.length;
  }

  #answer(request: Extract<TrackerRequest, { action: 'answer' }>, connection: TrackerConnection): void {
    this.#counters.answers += 1;
    const swarm = this.#swarms.get(request.infoHash);
    // Only a member of the swarm may answer, and only to a member.
    const sender = swarm?.get(request.peerId);
    const target = swarm?.get(request.toPeerId);
    if (sender === undefined || sender.connection !== connection || target === undefined) {
      this.#counters.answersUndeliverable += 1;
      return;
    }
    target.connection.send(
      JSON.stringify({ action: 'announce', answer: request.answer, offer_id: request.offerId, peer_id: request.peerId, info_hash: request.infoHash }),
    );
    this.#counters.answersRelayed += 1;
  }

  #scrape(infoHashes: readonly string[], connection: TrackerConnection): void {
    this.#counters.scrapes += 1;
    const hashes = infoHashes.length > 0 ? infoHashes : [...this.#swarms.keys()].slice(0, 100);
    const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {};
    for (const infoHash of hashes) {
      const swarm = this.#swarms.get(infoHash);
      files[infoHash] = { complete: swarm?.seeders ?? 0, incomplete: swarm?.leechers ?? 0, downloaded: swarm?.seeders ?? 0 };
    }
    connection.send(JSON.stringify({ action: 'scrape', files }));
  }

  #forget(connection: TrackerConnection, infoHash: string): void {
    const joined = this.#memberships.get(connection);
    if (joined === undefined) return;
    joined.delete(infoHash);
    if (joined.size === 0) this.#memberships.delete(connection);
  }

  #leave(infoHash: string, peerId: string, connection: TrackerConnection): void {
    const swarm = this.#swarms.get(infoHash);
    const peer = swarm?.get(peerId);
    // A peer id that moved to another connection stays with the new one.
    if (swarm === undefined || peer === undefined || peer.connection !== connection) return;
    swarm.remove(peerId);
    this.#peers -= 1;
    if (swarm.size === 0) this.#swarms.delete(infoHash);
  }
}
