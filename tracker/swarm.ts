// The peers of one info hash, stored for O(1) join/leave and O(k) random picks at any swarm size.
import type { OutgoingFrame } from './protocol.ts';

/** A connection as the core sees it: the socket adapter (or a test) implements it. */
export interface TrackerConnection {
  readonly id: number;
  /** Remote address, for logs and (later) per-address limits. */
  readonly address?: string;
  send(frame: OutgoingFrame): void;
  close(code: number, reason: string): void;
}

/** One peer id in one swarm. A connection may hold several (bittorrent-tracker's client shares one socket per tracker URL). */
export interface SwarmPeer {
  readonly infoHash: string;
  readonly peerId: string;
  connection: TrackerConnection;
  lastAnnounceMs: number;
  seeder: boolean;
  /** Index in its swarm's member array, kept by TrackerSwarm (-1 before it joins). */
  slot: number;
}

export class TrackerSwarm {
  readonly infoHash: string;
  /**
   * Dense array of members (swap-remove keeps it dense); each member knows its index (`slot`), so
   * the shuffles of randomOthers write two objects, not a Map, and the Map is only for lookups.
   */
  readonly #peers: SwarmPeer[] = [];
  readonly #byPeerId = new Map<string, SwarmPeer>();
  #seeders = 0;
  /** `completed` events seen while this swarm existed (the scrape's `downloaded`). */
  downloaded = 0;

  constructor(infoHash: string) {
    this.infoHash = infoHash;
  }

  get size(): number {
    return this.#peers.length;
  }

  get seeders(): number {
    return this.#seeders;
  }

  get leechers(): number {
    return this.#peers.length - this.#seeders;
  }

  /** Every member, as the live array: read it, never change it. */
  members(): readonly SwarmPeer[] {
    return this.#peers;
  }

  get(peerId: string): SwarmPeer | undefined {
    return this.#byPeerId.get(peerId);
  }

  /** Add a peer whose id is not yet a member. */
  add(peer: SwarmPeer): void {
    if (this.#byPeerId.has(peer.peerId)) throw new Error(`peer ${JSON.stringify(peer.peerId)} is already in the swarm`);
    this.#byPeerId.set(peer.peerId, peer);
    peer.slot = this.#peers.length;
    this.#peers.push(peer);
    if (peer.seeder) this.#seeders += 1;
  }

  setSeeder(peer: SwarmPeer, seeder: boolean): void {
    if (peer.seeder === seeder || !this.#holds(peer)) return;
    peer.seeder = seeder;
    this.#seeders += seeder ? 1 : -1;
  }

  /** Remove this exact record; false if it is not (or no longer) the member with its id. */
  remove(peer: SwarmPeer): boolean {
    if (!this.#holds(peer)) return false;
    this.#moveToEnd(peer.slot);
    this.#peers.pop();
    this.#byPeerId.delete(peer.peerId);
    peer.slot = -1;
    if (peer.seeder) this.#seeders -= 1;
    return true;
  }

  /**
   * Up to `count` distinct random members other than `exclude`, in O(count) whatever the swarm's
   * size: a partial Fisher–Yates shuffle over the member array (member order carries no meaning).
   * Written into `into` (emptied first) when given, so a caller can reuse one array.
   */
  randomOthers(count: number, exclude: SwarmPeer | null, random: () => number, into: SwarmPeer[] = []): SwarmPeer[] {
    let pool = this.#peers.length;
    if (exclude !== null && this.#holds(exclude)) {
      // Park the excluded peer at the end and draw from the slots before it.
      this.#moveToEnd(exclude.slot);
      pool -= 1;
    }
    const picked = into;
    picked.length = 0;
    while (picked.length < count && pool > 0) {
      // Clamp: a random() that returns 1 (a bad injected source) must not index past the pool.
      const slot = Math.min(pool - 1, Math.floor(random() * pool));
      this.#swap(slot, pool - 1);
      pool -= 1;
      picked.push(this.#peers[pool] as SwarmPeer);
    }
    return picked;
  }

  #holds(peer: SwarmPeer): boolean {
    return peer.slot >= 0 && this.#peers[peer.slot] === peer;
  }

  #moveToEnd(slot: number): void {
    this.#swap(slot, this.#peers.length - 1);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const first = this.#peers[a] as SwarmPeer;
    const second = this.#peers[b] as SwarmPeer;
    this.#peers[a] = second;
    this.#peers[b] = first;
    second.slot = a;
    first.slot = b;
  }
}
