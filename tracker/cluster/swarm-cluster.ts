// The port through which the socket-free core shares its swarms with other tracker nodes. Without
// one (the default) a tracker is a single process with every swarm in memory; the Redis adapter
// (redis-swarm-cluster.ts) implements it for a cluster. Calls are fire-and-forget: the core never
// waits on another node (only a new peer's offers wait for the store to accept its id, and go at
// once when it cannot be asked), and a cluster that is down leaves local serving as it was.
import type { AnswerRequest, Offer, SwarmCounts } from '../protocol.ts';

/** A peer on this node, as the cluster stores it. */
export interface LocalPeer {
  readonly infoHash: string;
  readonly peerId: string;
  readonly seeder: boolean;
  readonly region?: string | null;
}

/** The swarm's other peers on this node, as an announcing peer sees them. */
export interface LocalOthers {
  readonly others: number;
  /** The announcing peer's region (null: none), and how many of the others here share it. */
  readonly region: string | null;
  readonly sameRegion: number;
  /** The peer joined with this announce: the cluster's counts (one announce old) do not hold it yet. */
  readonly joined: boolean;
}

/**
 * How the cluster store answered a peer's claim of its id: `taken` when a live peer of another node
 * holds it; `accepted` also when the store could not be asked (Redis down or commands shed).
 */
export type ClaimOutcome = 'accepted' | 'taken';

export interface SwarmCluster {
  /**
   * How many of `wanted` offers should go to peers on other nodes, given the swarm's other peers
   * here: same-region peers first wherever they are, then the rest. 0 when the swarm is known to
   * live on this node only: then no Redis hop is on the relay path.
   */
  remoteShare(infoHash: string, local: LocalOthers, wanted: number, random: () => number): number;
  /**
   * A local peer announced: refresh its membership (and region); `remoteOffers` go to random peers
   * on other nodes, of its region first. With `claimed` (a peer new on this node), the remote
   * offers leave only once the store accepted its id, and `claimed` is called once with the outcome
   * (before `refuseTaken` when taken; at once when the store cannot be asked).
   */
  announced(
    infoHash: string,
    peerId: string,
    seeder: boolean,
    remoteOffers: readonly Offer[],
    region: string | null,
    claimed?: (outcome: ClaimOutcome) => void,
  ): void;
  /** A local peer left its swarm (stopped, disconnected or expired); `swarmEmpty` when none is left here. */
  left(infoHash: string, peerId: string, swarmEmpty: boolean): void;
  /** Swarm counts over every node, when known; otherwise `local`. */
  counts(infoHash: string, local: SwarmCounts): SwarmCounts;
  /**
   * A scrape's `files` (counts from `counts`): fill in from the cluster store the swarms with no
   * known counts here, then call `reply` (at once when none needs reading).
   */
  scrape(files: Map<string, SwarmCounts>, reply: () => void): void;
  /** An answer to a peer that is not here: true when it is on its way to the peer's node. */
  relayAnswer(request: AnswerRequest): boolean;
}

/** What the cluster adapter needs from the core: deliver what other nodes relay, and list local peers. */
export interface ClusterDelivery {
  /** An offer from a peer on another node to a local peer; false when that peer is not here. */
  deliverOffer(infoHash: string, toPeerId: string, fromPeerId: string, offer: Offer): boolean;
  /** An answer from a peer on another node to a local peer; false when that peer is not here. */
  deliverAnswer(request: AnswerRequest): boolean;
  /**
   * The cluster store found `peerId` held by a live peer on another node: the local peer holding it
   * leaves and its connection is refused, as an announce of a held id is on one node.
   */
  refuseTaken(infoHash: string, peerId: string): void;
  /** Every local peer, to add them again after the cluster store lost them (a Redis restart). */
  localPeers(): Iterable<LocalPeer>;
}
