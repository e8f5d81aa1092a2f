// Peers on other nodes that earlier announce scripts picked and no offer has taken yet, kept per
// swarm for a moment. An announce sends its offers for other nodes to them in its own event-loop
// turn, instead of after its own script's reply: that reply is a Redis round trip and then a turn
// of a busy node away (the cluster bench measured +14 ms at p50 across nodes under load, 0.3 ms
// idle). Each pick is used once, newest first, and only while young: a peer that left meanwhile
// would get its offer in vain. Peers with a region are not served from here: their introductions
// (same region first, tracker-cluster-regions) follow their own script's picks.

/** A peer on another node, as an announce script picked it. */
export interface RemotePeer {
  readonly peerId: string;
  readonly node: string;
}

interface Pick extends RemotePeer {
  readonly pickedAtMs: number;
}

/** Picks kept per swarm: twice bittorrent-tracker's 5 offers per announce, the most one reply adds. */
export const MAX_PICKS_PER_SWARM = 10;
/** A pick older than this is dropped unused (a swarm that announces less often pays the round trip). */
export const PICK_MAX_AGE_MS = 1000;

export class RemotePicks {
  /** Per swarm, oldest first (picks are stored as replies arrive, taken from the end). */
  readonly #bySwarm = new Map<string, Pick[]>();
  readonly #maxPerSwarm: number;
  readonly #maxAgeMs: number;

  constructor(maxPerSwarm = MAX_PICKS_PER_SWARM, maxAgeMs = PICK_MAX_AGE_MS) {
    this.#maxPerSwarm = maxPerSwarm;
    this.#maxAgeMs = maxAgeMs;
  }

  /** Swarms holding picks (bounded by the swarms with peers here: `forget` drops the rest). */
  get swarms(): number {
    return this.#bySwarm.size;
  }

  /** Keep what a reply picked beyond its own offers; a peer already held is not held twice. */
  store(infoHash: string, peers: readonly RemotePeer[], nowMs: number): void {
    if (peers.length === 0) return;
    let picks = this.#bySwarm.get(infoHash);
    if (picks === undefined) {
      picks = [];
      this.#bySwarm.set(infoHash, picks);
    }
    for (const peer of peers) {
      if (picks.some((pick) => pick.peerId === peer.peerId)) continue;
      picks.push({ peerId: peer.peerId, node: peer.node, pickedAtMs: nowMs });
    }
    if (picks.length > this.#maxPerSwarm) picks.splice(0, picks.length - this.#maxPerSwarm);
  }

  /** Up to `count` distinct picks of the swarm, newest first, each given out once; none older than the age limit. */
  take(infoHash: string, count: number, nowMs: number): RemotePeer[] {
    const picks = this.#bySwarm.get(infoHash);
    const taken: RemotePeer[] = [];
    if (picks === undefined || count <= 0) return taken;
    while (taken.length < count) {
      const pick = picks.pop();
      if (pick === undefined) break;
      if (nowMs - pick.pickedAtMs > this.#maxAgeMs) {
        picks.length = 0; // the rest are older still
        break;
      }
      taken.push(pick);
    }
    if (picks.length === 0) this.#bySwarm.delete(infoHash);
    return taken;
  }

  /** The swarm has no peer here any more. */
  forget(infoHash: string): void {
    this.#bySwarm.delete(infoHash);
  }

  clear(): void {
    this.#bySwarm.clear();
  }
}

/**
 * An announce script's picks (`reply` from index 3 on: peer, node, peer, node, ...) split into the
 * targets of the `count` offers not sent early and the spare ones to keep; a peer already sent an
 * early offer of the same announce is skipped (never one peer twice for one announce).
 */
export function splitPicks(
  reply: readonly unknown[],
  early: readonly RemotePeer[],
  count: number,
): { readonly targets: RemotePeer[]; readonly spare: RemotePeer[] } {
  const targets: RemotePeer[] = [];
  const spare: RemotePeer[] = [];
  for (let i = 3; i + 1 < reply.length; i += 2) {
    const to = { peerId: String(reply[i]), node: String(reply[i + 1]) };
    if (early.some((sent) => sent.peerId === to.peerId)) continue;
    (targets.length < count ? targets : spare).push(to);
  }
  return { targets, spare };
}
