/** A connection as the core sees it: an id and a way to send a text frame. */
export interface TrackerConnection {
  readonly id: number;
  send(frame: string): void;
  close(code: number, reason: string): void;
}

export interface SwarmPeer {
  readonly peerId: string;
  connection: TrackerConnection;
  lastAnnounceMs: number;
  seeder: boolean;
}

/**
 * The peers of one info hash. An array plus an index map: join, leave (swap-remove) and
 * picking k random peers all cost O(1) / O(k), whatever the swarm's size.
 */
export class TrackerSwarm {
  readonly #peers: SwarmPeer[] = [];
  readonly #indexByPeerId = new Map<string, number>();
  #seeders = 0;

  get size(): number {
    return this.#peers.length;
  }

  get seeders(): number {
    return this.#seeders;
  }

  get leechers(): number {
    return this.#peers.length - this.#seeders;
  }

  get(peerId: string): SwarmPeer | undefined {
    const index = this.#indexByPeerId.get(peerId);
    return index === undefined ? undefined : this.#peers[index];
  }

  /** Add a peer or update its record; returns the peer's previous connection if it moved. */
  upsert(peerId: string, connection: TrackerConnection, nowMs: number, seeder: boolean): TrackerConnection | null {
    const existing = this.get(peerId);
    if (existing !== undefined) {
      const previous = existing.connection === connection ? null : existing.connection;
      existing.connection = connection;
      existing.lastAnnounceMs = nowMs;
      if (existing.seeder !== seeder) this.#seeders += seeder ? 1 : -1;
      existing.seeder = seeder;
      return previous;
    }
    this.#indexByPeerId.set(peerId, this.#peers.length);
    this.#peers.push({ peerId, connection, lastAnnounceMs: nowMs, seeder });
    if (seeder) this.#seeders += 1;
    return null;
  }

  remove(peerId: string): boolean {
    const index = this.#indexByPeerId.get(peerId);
    if (index === undefined) return false;
    const removed = this.#peers[index] as SwarmPeer;
    const last = this.#peers.pop() as SwarmPeer;
    if (last !== removed) {
      this.#peers[index] = last;
      this.#indexByPeerId.set(last.peerId, index);
    }
    this.#indexByPeerId.delete(peerId);
    if (removed.seeder) this.#seeders -= 1;
    return true;
  }

  /** Up to `count` distinct random peers other than `excludePeerId`, in O(count) expected time. */
  randomOthers(count: number, excludePeerId: string, random: () => number): SwarmPeer[] {
    const others = this.#peers.length - (this.#indexByPeerId.has(excludePeerId) ? 1 : 0);
    const want = Math.min(count, others);
    if (want <= 0) return [];
    const picked = new Set<number>();
    const out: SwarmPeer[] = [];
    // Rejection sampling; when most of a small swarm is wanted, a bounded number of tries can
    // miss, so finish with a linear pass (then the swarm is at most a few times `count`).
    for (let tries = 0; out.length < want && tries < want * 4; tries++) {
      const index = Math.floor(random() * this.#peers.length);
      const peer = this.#peers[index] as SwarmPeer;
      if (picked.has(index) || peer.peerId === excludePeerId) continue;
      picked.add(index);
      out.push(peer);
    }
    for (let index = 0; out.length < want && index < this.#peers.length; index++) {
      const peer = this.#peers[index] as SwarmPeer;
      if (picked.has(index) || peer.peerId === excludePeerId) continue;
      picked.add(index);
      out.push(peer);
    }
    return out;
  }

  /** Peers whose last announce is older than `beforeMs`. */
  *stale(beforeMs: number): Generator<SwarmPeer> {
    for (const peer of [...this.#peers]) if (peer.lastAnnounceMs < beforeMs) yield peer;
  }
}
