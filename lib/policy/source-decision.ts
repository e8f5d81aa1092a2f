import { choosePeer, EXPECTED_SEGMENT_BYTES, expectedDeliveryMs, neutralPrior } from './peer-choice.ts';
import { DEADLINE_MARGIN_MS } from './peer-deadline.ts';
import { hash32 } from '../shared/hash.ts';

/** What the engine knows of one connected peer, for one segment. */
export interface PeerView {
  readonly peerId: string;
  readonly has: boolean;
  /** The peer announced it is fetching this segment over HTTP. */
  readonly loading: boolean;
  /** The peer recently announced segments close to this one (it is at this part of the stream). */
  readonly nearby: boolean;
  readonly activeDownloads: number;
  /** Smoothed request → response time of this peer; null or absent until measured. */
  readonly rttMs?: number | null;
  /** Smoothed bytes per second of past downloads from this peer; null or absent until measured. */
  readonly throughputBytesPerSecond?: number | null;
}

export type SourceDecision =
  | { readonly kind: 'peer'; readonly peerId: string }
  /** Wait for a seeding peer's `have` (at least a short while), bounded by the caller; then HTTP. */
  | { readonly kind: 'wait' }
  /** Wait for peers to connect, only while the segment is not needed soon; then HTTP. */
  | { readonly kind: 'wait-for-peers' }
  /** Too far ahead of the playhead for the origin: only a peer may deliver it, until it is near. */
  | { readonly kind: 'prefetch-wait' }
  | { readonly kind: 'http' };

/** When the segment is needed, as far as the engine knows. */
export interface Urgency {
  /** Seconds of playback before the segment starts playing; null when the playhead is unknown. */
  readonly secondsUntilNeeded: number | null;
  /** Beyond this many seconds ahead, the origin is not asked for a segment. */
  readonly httpWindowSeconds: number;
  /** The swarm was joined moments ago and no peer is connected yet: peers may be about to arrive. */
  readonly warmingUp?: boolean;
  /** How long HTTP would take for a segment, at this viewer's measured HTTP pace; null when unmeasured. */
  readonly httpDeliveryMs?: number | null;
  /** Typical segment size of this swarm, for comparing peers with HTTP. */
  readonly expectedSegmentBytes?: number | null;
}

/**
 * Where to get a segment that is not cached, so that normally one viewer of a swarm fetches it
 * from the origin and the others get it from peers:
 * 1. a connected peer has it → the one expected to deliver soonest (`choosePeer`: measured
 *    throughput and RTT, slowed by its running downloads; unmeasured peers get a neutral prior);
 *    but a segment needed soon goes to HTTP when that peer, at its measured pace, would deliver
 *    it late and HTTP, at its measured pace, sooner (urgent → fastest source in time);
 * 2. a peer is fetching it over HTTP, or the swarm is still warming up (just joined, no peers
 *    yet) → wait for it;
 * 3. among this viewer and the peers that are at this part of the stream, one is the designated
 *    seeder of this segment (lowest hash of peer id and sequence number, so the origin load
 *    spreads evenly and everyone agrees without talking): if it is us → HTTP now, else wait for
 *    it (the caller bounds the wait and then uses HTTP);
 * 4. nobody near → HTTP.
 * Before 2–4: a segment further ahead of the playhead than the HTTP window is only taken from
 * peers (no origin prefetch of what the viewer is not about to play).
 */
export function decideSource(
  selfPeerId: string,
  sequenceNumber: number,
  peers: readonly PeerView[],
  urgency: Urgency = { secondsUntilNeeded: null, httpWindowSeconds: Infinity },
): SourceDecision {
  const expectedBytes = urgency.expectedSegmentBytes ?? EXPECTED_SEGMENT_BYTES;
  const best = choosePeer(peers.filter((peer) => peer.has), expectedBytes);
  if (best !== undefined) return peerTooLate(best, urgency, expectedBytes) ? { kind: 'http' } : { kind: 'peer', peerId: best.peerId };
  if (urgency.secondsUntilNeeded !== null && urgency.secondsUntilNeeded > urgency.httpWindowSeconds) {
    return { kind: 'prefetch-wait' };
  }
  if (peers.some((peer) => peer.loading)) return { kind: 'wait' };
  // A new viewer usually connects to peers within a second or two: do not fetch from the origin
  // what they may well have, unless it is needed soon (the caller bounds the wait by the deadline).
  if (urgency.warmingUp === true && peers.length === 0) return { kind: 'wait-for-peers' };
  const nearby = peers.filter((peer) => peer.nearby);
  if (nearby.length === 0) return { kind: 'http' };
  const selfRank = seederRank(selfPeerId, sequenceNumber);
  const someoneBetter = nearby.some((peer) => seederRank(peer.peerId, sequenceNumber) < selfRank);
  return someoneBetter ? { kind: 'wait' } : { kind: 'http' };
}

// Only a peer whose pace was measured is judged; an unmeasured one gets its chance (the loader
// still moves a transfer that turns out late to HTTP).
function peerTooLate(peer: PeerView, urgency: Urgency, expectedBytes: number): boolean {
  const { secondsUntilNeeded, httpDeliveryMs } = urgency;
  if (secondsUntilNeeded === null || httpDeliveryMs === undefined || httpDeliveryMs === null) return false;
  if (peer.throughputBytesPerSecond === undefined || peer.throughputBytesPerSecond === null) return false;
  const peerMs = expectedDeliveryMs(peer, neutralPrior([peer]), expectedBytes);
  return peerMs > secondsUntilNeeded * 1000 - DEADLINE_MARGIN_MS && httpDeliveryMs < peerMs;
}

/** A stable pseudo-random rank of a peer for a segment that every viewer computes alike. */
export function seederRank(peerId: string, sequenceNumber: number): number {
  return hash32(`${peerId}/${sequenceNumber}`);
}
