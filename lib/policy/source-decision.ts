import { choosePeer, EXPECTED_SEGMENT_BYTES, expectedDeliveryMs, peerPrior } from './peer-choice.ts';
import { DEADLINE_MARGIN_MS } from './peer-deadline.ts';
import { hash32 } from '../shared/hash.ts';

/** What the engine knows of one connected peer, for one segment. */
export interface PeerView {
  readonly peerId: string;
  readonly has: boolean;
  /** The peer announced it is fetching this segment over HTTP. */
  readonly loading: boolean;
  /** The peer announced it is receiving this segment from a peer and relays it as it arrives. */
  readonly relaying?: boolean;
  /** The peer recently announced segments close to this one (it is at this part of the stream). */
  readonly nearby: boolean;
  readonly activeDownloads: number;
  /** Smoothed request → response time of this peer; null or absent until measured. */
  readonly rttMs?: number | null;
  /** Smoothed bytes per second of past downloads from this peer; null or absent until measured. */
  readonly throughputBytesPerSecond?: number | null;
  /** The peer told a region hint other than ours. */
  readonly farRegion?: boolean;
  /**
   * The peer has it but answered `busy` (its uplink was full) moments ago: not asked (`has` is false
   * meanwhile), waited for like a seeder until its back-off ends, never struck for it.
   */
  readonly busy?: boolean;
  /** The uplink class the peer told (`uplinkClassOf`, bounded by the parser); 0 or absent: unknown. */
  readonly uplinkClass?: number;
}

/** Why a load waits instead of going to HTTP now. */
export type WaitReason =
  /**
   * A peer is fetching it, or has it but its uplink is full for a moment, or a peer at this part of
   * the stream is its designated seeder.
   */
  | 'seeder'
  /** The swarm was joined moments ago and no peer is connected yet. */
  | 'first-peers'
  /** Too far ahead of the playhead for the origin: only a peer may deliver it, until it is near. */
  | 'prefetch'
  /** Only peers of other regions have it and it is not needed soon: a peer of ours at this part of the stream fetches it first. */
  | 'near-peer';

export type SourceDecision =
  /** `relay`: the peer is still receiving it and relays it as it arrives (see RelaySource). */
  | { readonly kind: 'peer'; readonly peerId: string; readonly relay?: boolean }
  /** Wait `waitMs` (or until a peer's availability changes), then decide again. */
  | { readonly kind: 'wait'; readonly reason: WaitReason; readonly waitMs: number }
  | { readonly kind: 'http' };

/** The settings the decision follows (the engine passes its config). */
export interface DecisionSettings {
  /** Beyond this many seconds ahead, the origin is not asked for a segment. */
  readonly httpWindowSeconds: number;
  /** The shortest wait for a seeding peer. */
  readonly seederWaitMs: number;
  /** Before playback starts, how long startup segments may wait for peers. */
  readonly startupPeerWaitMs: number;
}

/** Everything besides the peers that the decision weighs: when the segment is needed, how long this load waited. */
export interface Situation {
  /** Seconds of playback before the segment starts playing; null when the playhead is unknown. */
  readonly secondsUntilNeeded: number | null;
  /** Milliseconds since the loader started on this segment (the waits are bounded from then). */
  readonly waitedMs: number;
  /** Playback has yet to start (then `startupPeerWaitMs` applies). */
  readonly startingUp: boolean;
  /** The swarm was joined moments ago and the tracker has not said that nobody else is here. */
  readonly warmingUp: boolean;
  /** How long HTTP would take for a segment, at this viewer's measured HTTP pace; null when unmeasured. */
  readonly httpDeliveryMs: number | null;
  /** Typical segment size of this swarm, for comparing peers with HTTP; null when none was loaded yet. */
  readonly expectedSegmentBytes: number | null;
  /** This viewer's uplink class, as told to its peers (0 or absent: unknown). */
  readonly uplinkClass?: number;
}

// A prefetch that waits for peers re-checks the playhead at least this often (seeks, rate changes)...
const PREFETCH_RECHECK_MS = 1000;
// ...and at most this often (the timer of a segment about to enter the HTTP window).
const PREFETCH_MIN_RECHECK_MS = 50;
// Stop waiting for a seeding peer this long before the segment plays, leaving time for HTTP. At a
// live edge a segment is asked for 2–6 s before it plays, and the designated seeder's player up to
// a playlist refresh (a target duration) after ours: 4 s here sent both to the origin about every
// third segment (simulator, live N=4: 1.375 copies per segment against the browser bench's 1.13).
const SEEDER_MARGIN_SECONDS = 2;
// A segment only far peers have waits for a near one to fetch it until this long before it plays.
const NEAR_PEER_MARGIN_SECONDS = 10;
// HTTP delivery time assumed for the wait rule before this viewer measured its own.
const UNMEASURED_HTTP_DELIVERY_MS = 500;

/**
 * Where to get a segment that is not cached, and how long to wait before HTTP, so that normally
 * one viewer of a swarm fetches it from the origin and the others get it from peers:
 * 1. a connected peer has it → the one expected to deliver soonest (`choosePeer`: measured
 *    throughput and RTT, slowed by its running downloads; unmeasured peers get a prior); within
 *    the HTTP window, peers of our region relaying it while it arrives compete with them;
 *    but while only peers of other regions have it and it is not needed soon, and one of our
 *    region at this part of the stream lacks it, wait until 10 s before it plays: the first of them
 *    to need it relays it (one cross-region copy per region); a segment within the HTTP window goes
 *    to HTTP when that peer holds it whole and, at its measured pace, would deliver it late and HTTP,
 *    at its measured pace, sooner (urgent → fastest source in time); a relay is asked all the same
 *    (its bytes until the loader cuts it are kept for a Range resume); beyond the window such a
 *    load waits (2.);
 * 2. a segment further ahead of the playhead than the HTTP window is only taken from peers: wait
 *    (re-checking the playhead) until it is near;
 * 3. a peer is fetching it over HTTP, or has it but answered `busy` moments ago, or the swarm is
 *    still warming up (just joined, no peers yet) → wait for it;
 * 4. among this viewer and the peers that are at this part of the stream, one is the designated
 *    seeder of this segment (lowest hash of peer id and sequence number, weighted by the uplink
 *    class each told, so the origin load spreads and everyone agrees without talking): if it is
 *    us → HTTP now, else wait;
 * 5. nobody near → HTTP.
 * A wait whose length (`waitLengthMs`) has run out is HTTP.
 */
export function decideSource(
  selfPeerId: string,
  sequenceNumber: number,
  peers: readonly PeerView[],
  situation: Situation,
  settings: DecisionSettings,
): SourceDecision {
  const where = whereFrom(selfPeerId, sequenceNumber, peers, situation, settings.httpWindowSeconds);
  if (where === 'http') return { kind: 'http' };
  if (typeof where === 'object') return where;
  const waitMs = waitLengthMs(where, situation, settings);
  return waitMs > 0 ? { kind: 'wait', reason: where, waitMs } : { kind: 'http' };
}

/**
 * How long a load may still wait, by reason. A seeder is waited for at least `seederWaitMs`, and
 * longer while the segment is not needed soon (keeping a margin for the transfer itself); the first
 * peers as long as that rule allows. Either wait must leave time for HTTP after it:
 * time left ≥ HTTP delivery (measured, else 500 ms) + the deadline margin, even if that cuts
 * `seederWaitMs` short. Before playback starts, either wait lasts at least `startupPeerWaitMs` (the
 * user trades startup time for peers; by default a joiner makes no offers before its first segment
 * is appended, so there is nobody to wait for). A prefetch re-checks the
 * playhead every second, or when the segment enters the HTTP window if that is sooner; a near-peer
 * wait likewise, until 10 s before the segment plays.
 */
export function waitLengthMs(reason: WaitReason, situation: Situation, settings: DecisionSettings): number {
  const { secondsUntilNeeded, waitedMs } = situation;
  if (reason === 'prefetch' || reason === 'near-peer') {
    const untilWindowMs =
      ((secondsUntilNeeded ?? 0) - (reason === 'prefetch' ? settings.httpWindowSeconds : NEAR_PEER_MARGIN_SECONDS)) *
      1000;
    return Math.max(PREFETCH_MIN_RECHECK_MS, Math.min(untilWindowMs, PREFETCH_RECHECK_MS));
  }
  const msBefore = (marginSeconds: number): number =>
    secondsUntilNeeded === null ? 0 : (secondsUntilNeeded - marginSeconds) * 1000;
  // The first peers are waited for as long as HTTP after the wait would still be in time (latestMs):
  // once connected they deliver in a fraction of a segment's duration, and a joiner makes its offers
  // only once its first segment is appended, so its second segment may be asked for before the first
  // peer is there (2-s segments on the bench: a cut at 1.5 s before it plays sent some to the origin).
  const forReasonMs =
    reason === 'seeder'
      ? Math.max(settings.seederWaitMs - waitedMs, msBefore(SEEDER_MARGIN_SECONDS))
      : secondsUntilNeeded === null
        ? 0
        : Infinity;
  const latestMs =
    secondsUntilNeeded === null
      ? Infinity
      : secondsUntilNeeded * 1000 - (situation.httpDeliveryMs ?? UNMEASURED_HTTP_DELIVERY_MS) - DEADLINE_MARGIN_MS;
  const startupMs = situation.startingUp ? settings.startupPeerWaitMs - waitedMs : 0;
  return Math.max(startupMs, Math.min(forReasonMs, latestMs));
}

function whereFrom(
  selfPeerId: string,
  sequenceNumber: number,
  peers: readonly PeerView[],
  situation: Situation,
  httpWindowSeconds: number,
): { readonly kind: 'peer'; readonly peerId: string; readonly relay?: boolean } | WaitReason | 'http' {
  const expectedBytes = situation.expectedSegmentBytes ?? EXPECTED_SEGMENT_BYTES;
  const best = choosePeer(
    peers.filter((peer) => peer.has),
    expectedBytes,
  );
  // Any near peer, not only one ranking before us: with ranks, a viewer that ranked first fetched it
  // from afar while the one needing it within 10 s did too (issue 15, swarm bench: 0.98 of 3.58 MB
  // of cross-region bytes were such second copies). Now the first whose margin runs out relays it.
  if (
    best?.farRegion &&
    (situation.secondsUntilNeeded ?? 0) > NEAR_PEER_MARGIN_SECONDS &&
    peers.some((peer) => !peer.farRegion && peer.nearby && !peer.has)
  )
    return 'near-peer';
  // Within the HTTP window, peers of our region that relay it while it arrives compete with those
  // that have it whole (these first: a tie goes to a whole copy); beyond it a relay is not asked.
  const relays = peers.filter((peer) => peer.relaying === true && !peer.has && !peer.farRegion);
  const withinWindow = situation.secondsUntilNeeded === null || situation.secondsUntilNeeded <= httpWindowSeconds;
  const chosen =
    withinWindow && relays.length > 0
      ? choosePeer([...peers.filter((peer) => peer.has), ...relays], expectedBytes)
      : best;
  // A holder too slow for the deadline leaves it to HTTP, but not beyond the HTTP window: there it
  // waits as any prefetch, for a faster holder or until the segment comes near. A relay is asked
  // however it was measured: its pace is its source's now, and what it brings before the loader
  // cuts it is kept for a Range resume (simulator, live: origin share 24.2 -> 20.8% at N=200, 23.0
  // -> 19.0% at N=1000; VOD within a point).
  if (chosen !== undefined && (!chosen.has || !peerTooLate(chosen, situation, expectedBytes)))
    return chosen.has ? { kind: 'peer', peerId: chosen.peerId } : { kind: 'peer', peerId: chosen.peerId, relay: true };
  if (!withinWindow) return 'prefetch';
  if (chosen !== undefined) return 'http';
  if (peers.some((peer) => peer.loading || peer.busy === true)) return 'seeder';
  // A new viewer usually connects to peers within a second or two: do not fetch from the origin
  // what they may well have, unless it is needed soon (the wait is bounded by the deadline).
  if (situation.warmingUp && peers.length === 0) return 'first-peers';
  return designatedSeeder(selfPeerId, sequenceNumber, peers, situation.uplinkClass) ? 'seeder' : 'http';
}

/**
 * The designated seeder of this segment among the peers at this part of the stream when it is not
 * us: the lowest `seederRank` if it ranks before ours (`uplinkClass`: ours, as told), else undefined.
 */
export function designatedSeeder(
  selfPeerId: string,
  sequenceNumber: number,
  peers: readonly PeerView[],
  uplinkClass?: number,
): PeerView | undefined {
  let designated: PeerView | undefined;
  let lowest = seederRank(selfPeerId, sequenceNumber, uplinkClass);
  for (const peer of peers) {
    const rank = peer.nearby ? seederRank(peer.peerId, sequenceNumber, peer.uplinkClass) : Infinity;
    if (rank < lowest) [designated, lowest] = [peer, rank];
  }
  return designated;
}

// Only a peer whose pace was measured is judged; an unmeasured one gets its chance (the loader
// still moves a transfer that turns out late to HTTP).
function peerTooLate(peer: PeerView, situation: Situation, expectedBytes: number): boolean {
  const { secondsUntilNeeded, httpDeliveryMs } = situation;
  if (secondsUntilNeeded === null || httpDeliveryMs === null) return false;
  if (peer.throughputBytesPerSecond === undefined || peer.throughputBytesPerSecond === null) return false;
  const peerMs = expectedDeliveryMs(peer, peerPrior([peer]), expectedBytes);
  return peerMs > secondsUntilNeeded * 1000 - DEADLINE_MARGIN_MS && httpDeliveryMs < peerMs;
}

/**
 * A stable pseudo-random rank of a peer for a segment that every viewer computes alike (the lowest
 * is the designated seeder), divided by 4 per uplink class the peer told (policy/seeder-weight.ts):
 * a viewer with twice the uplink passes a segment on to its neighbours in half the time, so it
 * seeds more often (class 2: ~16× as often as class 0; bench README, "Seeders by uplink").
 */
export function seederRank(peerId: string, sequenceNumber: number, uplinkClass = 0): number {
  return hash32(`${peerId}/${sequenceNumber}`) / 4 ** uplinkClass;
}
