// What a node knows of its swarms over every node: peers, seeders and peers per region, as the
// announce script last read them (one announce old). Read synchronously by the core: how many
// offers go to other nodes (remote-share.ts), and the counts in announce replies.
import type { SwarmCounts } from '../protocol.ts';
import { remoteShare } from './remote-share.ts';
import type { LocalOthers } from './swarm-cluster.ts';

interface Counts {
  peers: number;
  seeders: number;
  /** Peers per region, as the last announce of one of its peers here read them. */
  readonly regions: Map<string, number>;
}

/** Regions counted per swarm: a site has a handful; made-up `?region=` hints stop here. */
const MAX_REGIONS_PER_SWARM = 32;
/** Swarms in the cluster's stats and series. */
const TOP_SWARMS = 10;
const NO_REGION = { localSameRegion: 0, remoteSameRegion: 0 };

export class ClusterCounts {
  readonly #swarms = new Map<string, Counts>();

  /** What an announce script replied for a peer of `region` (null: none): the swarm's and the region's peers. */
  record(infoHash: string, region: string | null, peers: number, seeders: number, regionPeers: number): void {
    let counts = this.#swarms.get(infoHash);
    if (counts === undefined) {
      counts = { peers, seeders, regions: new Map() };
      this.#swarms.set(infoHash, counts);
    } else {
      counts.peers = peers;
      counts.seeders = seeders;
    }
    if (region !== null && (counts.regions.has(region) || counts.regions.size < MAX_REGIONS_PER_SWARM))
      counts.regions.set(region, regionPeers);
  }

  /** Whether an announce here has told this swarm's counts over every node. */
  knows(infoHash: string): boolean {
    return this.#swarms.has(infoHash);
  }

  /** The swarm has no peer here any more. */
  forget(infoHash: string): void {
    this.#swarms.delete(infoHash);
  }

  /** How many of `wanted` offers go to other nodes; 0 while no peer elsewhere is known. */
  remoteShare(infoHash: string, local: LocalOthers, wanted: number, random: () => number): number {
    const known = this.#swarms.get(infoHash);
    if (known === undefined) return 0;
    const self = local.joined ? 0 : 1;
    const remoteOthers = known.peers - local.others - self;
    if (local.region === null)
      return remoteShare({ ...NO_REGION, localOthers: local.others, remoteOthers }, wanted, random);
    // A region not counted here yet (its first peer on this node): any peer elsewhere may be of it,
    // so the offers go there first (the script picks same-region ones first) rather than being split
    // as for peers without a region, which left this peer's region-mates for its next announce.
    const regionPeers = known.regions.get(local.region);
    return remoteShare(
      {
        localOthers: local.others,
        remoteOthers,
        localSameRegion: local.sameRegion,
        remoteSameRegion: regionPeers === undefined ? remoteOthers : regionPeers - local.sameRegion - self,
      },
      wanted,
      random,
    );
  }

  /** Counts over every node when known, else `local`; never fewer peers than are here. */
  counts(infoHash: string, local: SwarmCounts): SwarmCounts {
    const known = this.#swarms.get(infoHash);
    if (known === undefined || known.peers < local.complete + local.incomplete) return local;
    return { complete: known.seeders, incomplete: known.peers - known.seeders, downloaded: local.downloaded };
  }

  /**
   * The `count` swarms with the most peers (ties: first counted first), in O(swarms × count): every
   * /stats.json and /metrics asks, and sorting every swarm (a client can open 100 per socket) took
   * 0.5 s at 1,000,000.
   */
  top(count = TOP_SWARMS): { infoHash: string; peers: number; seeders: number }[] {
    const top: [string, Counts][] = [];
    if (count <= 0) return [];
    for (const entry of this.#swarms) {
      const peers = entry[1].peers;
      if (top.length === count && (top[count - 1] as [string, Counts])[1].peers >= peers) continue;
      let at = Math.min(top.length, count - 1);
      while (at > 0 && (top[at - 1] as [string, Counts])[1].peers < peers) at -= 1;
      top.splice(at, 0, entry);
      if (top.length > count) top.pop();
    }
    return top.map(([infoHash, counts]) => ({ infoHash, peers: counts.peers, seeders: counts.seeders }));
  }
}
