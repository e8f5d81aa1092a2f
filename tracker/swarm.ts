// The peers of one info hash, stored for O(1) join/leave and O(k) random picks at any swarm size,
// split into peers the tracker introduces (hands offers to) and peers it holds back for now.
import type { OutgoingFrame } from './protocol.ts';
import type { LocalOthers } from './cluster/swarm-cluster.ts';

/** A connection as the core sees it: the socket adapter (or a test) implements it. */
export interface TrackerConnection {
  readonly id: number;
  /** Remote address, for logs and (later) per-address limits. */
  readonly address?: string;
  /** The client's region (its `?region=` hint, or from its address prefix); peers of one region meet first. */
  readonly region?: string | null;
  send(frame: OutgoingFrame): void;
  close(code: number, reason: string): void;
}

/** One peer id in one swarm. A connection may hold several (bittorrent-tracker's client shares one socket per tracker URL). */
export interface SwarmPeer {
  readonly infoHash: string;
  readonly peerId: string;
  connection: TrackerConnection;
  /** When it joined: an answer to an offer relayed earlier was for an earlier holder of its peer id. */
  readonly joinedMs: number;
  lastAnnounceMs: number;
  seeder: boolean;
  /** Index in its swarm's member array, kept by TrackerSwarm (-1 before it joins). */
  slot: number;
  /** Its region (from its connection), or null; index in the swarm's list of that region's members. */
  region?: string | null;
  regionSlot?: number;
  /** Until then the peer is on probation: offered only when too few others are introduced (see TrackerSwarm.promote). */
  probationEndsMs: number;
  /** Its connection went over the announce rate: never handed offers until it calms down. */
  benched: boolean;
  /**
   * It announced again within a second during its probation (an honest client announces once per
   * interval, a flooding one many times a second): not offered until a quiet probation has passed.
   */
  restless: boolean;
  /** Re-announces within RESTLESS_REANNOUNCE_MS of the one before, during its probation. */
  quickReannounces: number;
}

/** A peer joining now on `connection` (not yet in its swarm), on probation until `probationEndsMs`. */
export function newSwarmPeer(
  infoHash: string,
  peerId: string,
  connection: TrackerConnection,
  nowMs: number,
  probationEndsMs: number,
  benched: boolean,
): SwarmPeer {
  const region = connection.region ?? null;
  return {
    infoHash,
    peerId,
    connection,
    joinedMs: nowMs,
    lastAnnounceMs: 0,
    seeder: false,
    slot: -1,
    region,
    probationEndsMs,
    benched,
    restless: false,
    quickReannounces: 0,
  };
}

/** Sizes kept across all swarms of a tracker. */
export interface SwarmTotals {
  heldBack: number;
}

export class TrackerSwarm {
  readonly infoHash: string;
  /**
   * Dense array of members (swap-remove keeps it dense); each member knows its index (`slot`), so
   * the shuffles of randomOthers write two objects, not a Map, and the Map is only for lookups.
   * Three regions: introduced peers in [0, #introduced), peers on probation in
   * [#introduced, #drawable), benched and restless peers after; moving a peer to the next region is one swap
   * at a boundary.
   */
  readonly #peers: SwarmPeer[] = [];
  #introduced = 0;
  #drawable = 0;
  readonly #byPeerId = new Map<string, SwarmPeer>();
  /** Members by region (dense arrays, swap-remove; `regionSlot` is the index), for same-region introductions. */
  readonly #regions = new Map<string, SwarmPeer[]>();
  /** Peers on probation in join order, which is also the order their probation ends (it lasts the same for all). */
  readonly #onProbation = new Set<SwarmPeer>();
  /** When the first peer on probation is due; Infinity when none is. */
  #nextPromotionMs = Infinity;
  #seeders = 0;
  /** `completed` events seen while this swarm existed (the scrape's `downloaded`). */
  downloaded = 0;

  /** Held-back peers over every swarm sharing this object, kept as peers move (so /metrics reads it in O(1)). */
  readonly #totals: SwarmTotals;

  constructor(infoHash: string, totals: SwarmTotals = { heldBack: 0 }) {
    this.infoHash = infoHash;
    this.#totals = totals;
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

  /**
   * Every member as of this call, each one only while it still is: a caller that awaits between
   * members (the cluster's re-add) would otherwise walk the live array while announces reorder it
   * (draws, promotions) and leaves shrink it, skipping some members and repeating others.
   */
  *members(): Generator<SwarmPeer, void, undefined> {
    for (const peer of [...this.#peers]) if (this.#holds(peer)) yield peer;
  }

  /** Members on probation or benched: not handed offers while enough others are (benched ones never). */
  get heldBack(): number {
    return this.#peers.length - this.#introduced;
  }

  /** Members of one region (held-back ones too); 0 for none. */
  regionSize(region: string | null): number {
    return region === null ? 0 : (this.#regions.get(region)?.length ?? 0);
  }

  /** The other members as an announcing peer of `region` sees them, for the cluster's split of offers. */
  othersFor(region: string | null, joined: boolean): LocalOthers {
    return { others: this.size - 1, region, sameRegion: Math.max(0, this.regionSize(region) - 1), joined };
  }

  get(peerId: string): SwarmPeer | undefined {
    return this.#byPeerId.get(peerId);
  }

  /** Add a peer whose id is not yet a member; introduced at once unless it is benched or on probation at `nowMs`. */
  add(peer: SwarmPeer, nowMs: number): void {
    if (this.#byPeerId.has(peer.peerId)) throw new Error(`peer ${JSON.stringify(peer.peerId)} is already in the swarm`);
    this.#byPeerId.set(peer.peerId, peer);
    peer.slot = this.#peers.length;
    this.#peers.push(peer);
    if (peer.region != null) {
      const members = this.#regions.get(peer.region) ?? [];
      if (members.length === 0) this.#regions.set(peer.region, members);
      peer.regionSlot = members.length;
      members.push(peer);
    }
    this.#totals.heldBack += 1; // past the split until #place says otherwise
    if (peer.seeder) this.#seeders += 1;
    if (peer.probationEndsMs > nowMs) {
      this.#onProbation.add(peer);
      if (this.#nextPromotionMs === Infinity) this.#nextPromotionMs = peer.probationEndsMs;
    }
    this.#place(peer, nowMs);
  }

  /** End the probation of every peer whose probation is over by `nowMs`; O(1) when none is due. */
  promote(nowMs: number): void {
    if (nowMs < this.#nextPromotionMs) return;
    this.#nextPromotionMs = Infinity;
    for (const peer of this.#onProbation) {
      if (peer.probationEndsMs > nowMs) {
        this.#nextPromotionMs = peer.probationEndsMs;
        return;
      }
      this.#onProbation.delete(peer);
      peer.restless = false;
      this.#place(peer, nowMs);
    }
  }

  /** A re-announce during probation: probation starts again, until `endsMs`, and the peer is not offered meanwhile. */
  restartProbation(peer: SwarmPeer, endsMs: number, nowMs: number): void {
    if (!this.#holds(peer)) return;
    peer.restless = true;
    peer.probationEndsMs = endsMs;
    // To the end of the queue: every probation lasts the same, so it ends last.
    this.#onProbation.delete(peer);
    this.#onProbation.add(peer);
    if (this.#nextPromotionMs === Infinity) this.#nextPromotionMs = endsMs;
    this.#place(peer, nowMs);
  }

  /** Move a member to the region its `benched` and `probationEndsMs` say it belongs to. */
  #place(peer: SwarmPeer, nowMs: number): void {
    if (this.#holds(peer)) this.#moveTo(peer, peer.benched || peer.restless ? 2 : peer.probationEndsMs > nowMs ? 1 : 0);
  }

  #moveTo(peer: SwarmPeer, target: 0 | 1 | 2): void {
    let region = this.#regionOf(peer.slot);
    if (region === target) return;
    if (region === 0 || target === 0) this.#totals.heldBack += region === 0 ? 1 : -1;
    for (; region < target; region++) {
      // To the first slot of the next region: swap with the last slot of this one, move the boundary left.
      if (region === 0) this.#swap(peer.slot, --this.#introduced);
      else this.#swap(peer.slot, --this.#drawable);
    }
    for (; region > target; region--) {
      // To the last slot of the region before: swap with the first slot of this one, move the boundary right.
      if (region === 2) this.#swap(peer.slot, this.#drawable++);
      else this.#swap(peer.slot, this.#introduced++);
    }
  }

  #regionOf(slot: number): 0 | 1 | 2 {
    return slot < this.#introduced ? 0 : slot < this.#drawable ? 1 : 2;
  }

  /** Bench or unbench a member (its connection's announce rate decides). */
  setBenched(peer: SwarmPeer, benched: boolean, nowMs: number): void {
    peer.benched = benched;
    this.#place(peer, nowMs);
  }

  setSeeder(peer: SwarmPeer, seeder: boolean): void {
    if (peer.seeder === seeder || !this.#holds(peer)) return;
    peer.seeder = seeder;
    this.#seeders += seeder ? 1 : -1;
  }

  /** Remove this exact record; false if it is not (or no longer) the member with its id. */
  remove(peer: SwarmPeer): boolean {
    if (!this.#holds(peer)) return false;
    // Keep the regions: into the last one first (the benched), then to the very end.
    this.#moveTo(peer, 2);
    this.#totals.heldBack -= 1;
    this.#moveToEnd(peer.slot);
    this.#peers.pop();
    this.#onProbation.delete(peer);
    this.#byPeerId.delete(peer.peerId);
    peer.slot = -1;
    const members = peer.region == null ? undefined : this.#regions.get(peer.region);
    if (members !== undefined) {
      const last = members.pop() as SwarmPeer;
      if (last !== peer) {
        last.regionSlot = peer.regionSlot ?? 0;
        members[last.regionSlot] = last;
      }
      if (members.length === 0) this.#regions.delete(peer.region as string);
    }
    if (peer.seeder) this.#seeders -= 1;
    return true;
  }

  /**
   * Up to `count` distinct random members other than `exclude`, in O(count) whatever the swarm's
   * size: a partial Fisher–Yates shuffle over the member array (member order carries no meaning).
   * Introduced peers of `exclude`'s region first, then introduced peers of any region; only when
   * they are too few, peers on probation; benched peers never.
   * Written into `into` (emptied first) when given, so a caller can reuse one array.
   */
  randomOthers(count: number, exclude: SwarmPeer | null, random: () => number, into: SwarmPeer[] = []): SwarmPeer[] {
    const picked = into;
    picked.length = 0;
    const excluded = exclude !== null && this.#holds(exclude) ? exclude : null;
    const local = excluded?.region == null ? undefined : this.#regions.get(excluded.region);
    if (local !== undefined && local.length > 1) {
      this.#drawLocal(local, count, excluded as SwarmPeer, random, picked);
      if (picked.length === count) return picked;
      // The rest from everyone, without repeating a peer already picked.
      const chosen = new Set(picked);
      const rest = this.randomOthers(count + picked.length + 1, null, random, []);
      for (const peer of rest) if (picked.length < count && peer !== excluded && !chosen.has(peer)) picked.push(peer);
      return picked;
    }
    this.#draw(0, this.#introduced, count, excluded?.slot ?? -1, random, picked);
    if (picked.length < count && this.#introduced < this.#drawable) {
      // The first draw moves the excluded peer only within its own range: read its slot again.
      this.#draw(this.#introduced, this.#drawable, count, excluded?.slot ?? -1, random, picked);
    }
    return picked;
  }

  /**
   * Up to `count` introduced members of one region's list other than `exclude`: a partial shuffle
   * of the list that skips members not introduced, bounded to a few draws per pick so a region
   * full of held-back peers costs O(count) too.
   */
  #drawLocal(members: SwarmPeer[], count: number, exclude: SwarmPeer, random: () => number, picked: SwarmPeer[]): void {
    let end = members.length;
    for (let draws = 0; picked.length < count && end > 0 && draws < 4 * count + 8; draws++) {
      const slot = Math.min(end - 1, Math.floor(random() * end));
      const peer = members[slot] as SwarmPeer;
      // Swap to the end of the unshuffled part (regionSlot follows).
      const last = members[end - 1] as SwarmPeer;
      members[slot] = last;
      last.regionSlot = slot;
      members[end - 1] = peer;
      peer.regionSlot = end - 1;
      end -= 1;
      if (peer !== exclude && peer.slot < this.#introduced) picked.push(peer);
    }
  }

  /** Draw from slots [from, to) into `picked` until it holds `count`. */
  #draw(from: number, to: number, count: number, excluded: number, random: () => number, picked: SwarmPeer[]): void {
    let end = to;
    if (excluded >= from && excluded < to) {
      // Park the excluded peer at the end of the range and draw from the slots before it.
      this.#swap(excluded, end - 1);
      end -= 1;
    }
    while (picked.length < count && end > from) {
      const pool = end - from;
      // Clamp: a random() that returns 1 (a bad injected source) must not index past the pool.
      const slot = from + Math.min(pool - 1, Math.floor(random() * pool));
      this.#swap(slot, end - 1);
      end -= 1;
      picked.push(this.#peers[end] as SwarmPeer);
    }
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
