// The tracker core's plain counters and the shapes of its snapshot and stats (what /metrics and
// /stats.json read), and the pick of the largest swarms.
import type { SwarmRefusalReason } from './access.ts';
import type { AnnounceRequest, ProtocolErrorCode } from './protocol.ts';
import type { TrackerSwarm } from './swarm.ts';

/** Why a message was answered with a failure instead of being served. */
export type RejectReason =
  | ProtocolErrorCode
  | SwarmRefusalReason
  | 'peers-per-connection'
  | 'rate-limited'
  | 'peer-id-taken';

export interface TrackerCounters {
  /** Announces accepted, whatever their event (answers not included). */
  announces: number;
  announcesStarted: number;
  announcesCompleted: number;
  announcesStopped: number;
  answers: number;
  scrapes: number;
  offersRelayed: number;
  /** Offers relayed from a peer with a region to a peer of the same region. */
  offersRelayedSameRegion: number;
  answersRelayed: number;
  /** Answers whose sender or target is not a member of the swarm on that connection. */
  answersUndeliverable: number;
  /** Answers for an offer never relayed to their sender, or already answered (forged or replayed). */
  answersUnrelayed: number;
  /** Answers for an offer relayed longer ago than RELAYED_OFFER_TTL_MS. */
  answersExpired: number;
  /** Offers of benched connections, not relayed. */
  offersWithheld: number;
  /** Offers of a peer new on this node (cluster) held until Redis answered, dropped: another node's peer holds its id. */
  offersDroppedIdTaken: number;
  /** Re-announces during probation, which start it again with the peer not offered. */
  probationRestarts: number;
  rejectedMessages: number;
  /** rejectedMessages by reason; a reason appears once it has happened. */
  rejectedByReason: Partial<Record<RejectReason, number>>;
  expiredPeers: number;
}

export interface SwarmSummary {
  readonly infoHash: string;
  readonly peers: number;
  readonly seeders: number;
}

/** Counters and sizes, cheap to take (what /metrics reads on each scrape). */
export interface TrackerSnapshot extends Readonly<Omit<TrackerCounters, 'rejectedByReason'>> {
  readonly rejectedByReason: Readonly<Partial<Record<RejectReason, number>>>;
  readonly swarms: number;
  readonly peers: number;
  /** Connections that hold at least one peer. */
  readonly connections: number;
  /** Peers on probation or benched, offered only when too few others are. */
  readonly peersHeldBack: number;
  /** Connections on the bench for their announce rate. */
  readonly connectionsBenched: number;
  /** Times a connection was benched. */
  readonly benchings: number;
  /** Relayed offers forgotten because one connection held too many. */
  readonly relayedOffersEvicted: number;
}

export interface TrackerStats extends TrackerSnapshot {
  readonly topSwarms: readonly SwarmSummary[];
}

export function createCounters(): TrackerCounters {
  return {
    announces: 0,
    announcesStarted: 0,
    announcesCompleted: 0,
    announcesStopped: 0,
    answers: 0,
    scrapes: 0,
    offersRelayed: 0,
    offersRelayedSameRegion: 0,
    answersRelayed: 0,
    answersUndeliverable: 0,
    answersUnrelayed: 0,
    answersExpired: 0,
    offersWithheld: 0,
    offersDroppedIdTaken: 0,
    probationRestarts: 0,
    rejectedMessages: 0,
    rejectedByReason: {},
    expiredPeers: 0,
  };
}

/** One accepted announce, by its event. */
export function countAnnounce(counters: TrackerCounters, event: AnnounceRequest['event']): void {
  counters.announces += 1;
  if (event === 'started') counters.announcesStarted += 1;
  else if (event === 'completed') counters.announcesCompleted += 1;
  else if (event === 'stopped') counters.announcesStopped += 1;
}

const TOP_SWARMS = 10;

/** The largest swarms in O(swarms × TOP_SWARMS), without sorting them all. */
export function topSwarms(swarms: Iterable<TrackerSwarm>): SwarmSummary[] {
  const top: TrackerSwarm[] = [];
  for (const swarm of swarms) {
    if (top.length === TOP_SWARMS && (top[TOP_SWARMS - 1] as TrackerSwarm).size >= swarm.size) continue;
    let at = Math.min(top.length, TOP_SWARMS - 1);
    while (at > 0 && (top[at - 1] as TrackerSwarm).size < swarm.size) at -= 1;
    top.splice(at, 0, swarm);
    if (top.length > TOP_SWARMS) top.pop();
  }
  return top.map((swarm) => ({ infoHash: swarm.infoHash, peers: swarm.size, seeders: swarm.seeders }));
}
